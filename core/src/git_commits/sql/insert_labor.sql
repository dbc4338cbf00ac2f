INSERT INTO aveloxis_data.repo_labor (
    repo_id, rl_analysis_date, programming_language, file_path, file_name, total_lines,
    code_lines, comment_lines, blank_lines, tool_source, tool_version, data_source)
SELECT $1, $4::timestamptz, r.language, r.path, r.name, r.total, r.code, r.comments, r.blanks,
       'aveloxis', $3, 'git'
  FROM jsonb_to_recordset($2::jsonb) AS r(path text, name text, language text, total bigint,
                                          code bigint, comments bigint, blanks bigint)
