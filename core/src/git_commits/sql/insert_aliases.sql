INSERT INTO aveloxis_data.contributors_aliases (
    cntrb_id, canonical_email, alias_email, tool_source, tool_version, data_source)
SELECT a.id, a.email, a.email, 'aveloxis', $2, $3
  FROM jsonb_to_recordset($1::jsonb) AS a(id uuid, email text)
ON CONFLICT (alias_email) DO NOTHING
