INSERT INTO aveloxis_data.commit_parents AS t (
    repo_id, cmt_commit_hash, parent_commit_hash, cmt_id, parent_id,
    tool_source, tool_version, data_source)
SELECT $1, p.h, p.p,
       (SELECT min(c.cmt_id) FROM aveloxis_data.commits c
         WHERE c.repo_id = $1 AND c.cmt_commit_hash = p.h),
       (SELECT min(c.cmt_id) FROM aveloxis_data.commits c
         WHERE c.repo_id = $1 AND c.cmt_commit_hash = p.p),
       'aveloxis', $3, $4
  FROM jsonb_to_recordset($2::jsonb) AS p(h text, p text)
ON CONFLICT (repo_id, cmt_commit_hash, parent_commit_hash) DO UPDATE SET
    cmt_id = EXCLUDED.cmt_id,
    parent_id = EXCLUDED.parent_id,
    tool_version = EXCLUDED.tool_version,
    data_collection_date = now()
WHERE (t.cmt_id, t.parent_id) IS DISTINCT FROM (EXCLUDED.cmt_id, EXCLUDED.parent_id)
