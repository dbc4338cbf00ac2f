WITH n AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS n(id uuid, email text, name text)
), contributors AS (
    INSERT INTO aveloxis_data.contributors (
        cntrb_id, cntrb_login, cntrb_email, cntrb_full_name, cntrb_canonical,
        tool_source, tool_version, data_source)
    SELECT n.id, '', n.email, n.name, n.email, 'aveloxis', $2, $3 FROM n
), aliases AS (
    INSERT INTO aveloxis_data.contributors_aliases (
        cntrb_id, canonical_email, alias_email, tool_source, tool_version, data_source)
    SELECT n.id, n.email, n.email, 'aveloxis', $2, $3 FROM n
    ON CONFLICT (alias_email) DO NOTHING
)
INSERT INTO aveloxis_data.unresolved_commit_emails (email, name, tool_source, tool_version,
                                                    data_source)
SELECT n.email, n.name, 'aveloxis', $2, $3 FROM n
ON CONFLICT (email) DO NOTHING
