INSERT INTO aveloxis_data.commits AS t (
    repo_id, cmt_commit_hash,
    cmt_author_name, cmt_author_raw_email, cmt_author_email, cmt_author_date,
    cmt_author_affiliation, cmt_author_timestamp,
    cmt_committer_name, cmt_committer_raw_email, cmt_committer_email, cmt_committer_date,
    cmt_committer_affiliation, cmt_committer_timestamp,
    cmt_added, cmt_removed, cmt_whitespace, cmt_filename, cmt_ght_author_id,
    tool_source, tool_version, data_source)
SELECT $1, c.h,
       c.an, c.are, c.ae, c.ad, c.aa, c.at,
       c.cn, c.cre, c.ce, c.cd, c.ca, c.ct,
       f.a, f.r, 0, f.f, c.aid,
       'aveloxis', $3, $4
  FROM jsonb_to_recordset($2::jsonb) AS c(
           h text, an text, are text, ae text, ad text, aa text, "at" timestamptz,
           cn text, cre text, ce text, cd text, ca text, ct timestamptz,
           aid uuid, files jsonb)
 CROSS JOIN LATERAL jsonb_to_recordset(c.files) AS f(f text, a integer, r integer)
ON CONFLICT (repo_id, cmt_commit_hash, cmt_filename) DO UPDATE SET
    cmt_author_name = EXCLUDED.cmt_author_name,
    cmt_author_raw_email = EXCLUDED.cmt_author_raw_email,
    cmt_author_email = EXCLUDED.cmt_author_email,
    cmt_author_date = EXCLUDED.cmt_author_date,
    cmt_author_affiliation = EXCLUDED.cmt_author_affiliation,
    cmt_author_timestamp = EXCLUDED.cmt_author_timestamp,
    cmt_committer_name = EXCLUDED.cmt_committer_name,
    cmt_committer_raw_email = EXCLUDED.cmt_committer_raw_email,
    cmt_committer_email = EXCLUDED.cmt_committer_email,
    cmt_committer_date = EXCLUDED.cmt_committer_date,
    cmt_committer_affiliation = EXCLUDED.cmt_committer_affiliation,
    cmt_committer_timestamp = EXCLUDED.cmt_committer_timestamp,
    cmt_added = EXCLUDED.cmt_added,
    cmt_removed = EXCLUDED.cmt_removed,
    cmt_ght_author_id = COALESCE(EXCLUDED.cmt_ght_author_id, t.cmt_ght_author_id),
    tool_version = EXCLUDED.tool_version,
    data_source = EXCLUDED.data_source,
    data_collection_date = now()
WHERE (t.cmt_author_name, t.cmt_author_raw_email, t.cmt_author_email, t.cmt_author_date,
       t.cmt_author_affiliation, t.cmt_author_timestamp,
       t.cmt_committer_name, t.cmt_committer_raw_email, t.cmt_committer_email,
       t.cmt_committer_date, t.cmt_committer_affiliation, t.cmt_committer_timestamp,
       t.cmt_added, t.cmt_removed, t.cmt_ght_author_id)
   IS DISTINCT FROM
      (EXCLUDED.cmt_author_name, EXCLUDED.cmt_author_raw_email, EXCLUDED.cmt_author_email,
       EXCLUDED.cmt_author_date, EXCLUDED.cmt_author_affiliation, EXCLUDED.cmt_author_timestamp,
       EXCLUDED.cmt_committer_name, EXCLUDED.cmt_committer_raw_email,
       EXCLUDED.cmt_committer_email, EXCLUDED.cmt_committer_date,
       EXCLUDED.cmt_committer_affiliation, EXCLUDED.cmt_committer_timestamp,
       EXCLUDED.cmt_added, EXCLUDED.cmt_removed,
       COALESCE(EXCLUDED.cmt_ght_author_id, t.cmt_ght_author_id))
