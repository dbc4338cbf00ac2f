-- Commit authors known only by their GitHub noreply address (`id+login@users.noreply.github.com`):
-- the address names the account, so the contributor is that GitHub user, under the same
-- deterministic id the API collection gives it.
WITH n AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS n(id uuid, email text, name text,
                                                     gh_id bigint, login text)
), contributors AS (
    INSERT INTO aveloxis_data.contributors (
        cntrb_id, cntrb_login, cntrb_email, cntrb_full_name, cntrb_canonical, gh_user_id,
        gh_login, tool_source, tool_version, data_source)
    SELECT n.id, n.login, n.email, n.name, n.email, n.gh_id, n.login, 'aveloxis', $2, $3 FROM n
    ON CONFLICT DO NOTHING
), identities AS (
    INSERT INTO aveloxis_data.contributor_identities (
        cntrb_id, platform_id, platform_user_id, login, tool_source, tool_version, data_source)
    SELECT n.id, 1, n.gh_id, n.login, 'aveloxis', $2, $3 FROM n
    ON CONFLICT DO NOTHING
)
INSERT INTO aveloxis_data.contributors_aliases (
    cntrb_id, canonical_email, alias_email, tool_source, tool_version, data_source)
SELECT n.id, n.email, n.email, 'aveloxis', $2, $3 FROM n
ON CONFLICT (alias_email) DO NOTHING
