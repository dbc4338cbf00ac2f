INSERT INTO aveloxis_data.commit_messages AS t (
    repo_id, cmt_hash, cmt_msg, tool_source, tool_version, data_source)
SELECT $1, m.h, m.m, 'aveloxis', $3, $4
  FROM jsonb_to_recordset($2::jsonb) AS m(h text, m text)
ON CONFLICT (repo_id, cmt_hash) DO UPDATE SET
    cmt_msg = EXCLUDED.cmt_msg,
    tool_version = EXCLUDED.tool_version,
    data_collection_date = now()
WHERE t.cmt_msg IS DISTINCT FROM EXCLUDED.cmt_msg
