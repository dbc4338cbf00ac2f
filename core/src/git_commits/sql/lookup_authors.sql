SELECT e.email,
       (SELECT a.cntrb_id FROM aveloxis_data.contributors_aliases a
         WHERE a.alias_email IN (e.email, e.raw)
         ORDER BY a.cntrb_active DESC, (a.alias_email = e.email) DESC, a.cntrb_alias_id
         LIMIT 1) AS alias_id,
       -- A GitHub noreply address names its account: by user id, or (old form) by login.
       (SELECT c.cntrb_id FROM aveloxis_data.contributors c
         WHERE (e.gh_id IS NOT NULL AND c.gh_user_id = e.gh_id)
            OR (e.gh_id IS NULL AND e.login IS NOT NULL AND c.gh_user_id IS NOT NULL
                AND lower(c.gh_login) = e.login)
         ORDER BY (c.gh_user_id = e.gh_id) DESC NULLS LAST, c.cntrb_id
         LIMIT 1) AS noreply_id,
       (SELECT c.cntrb_id FROM aveloxis_data.contributors c
         WHERE c.cntrb_email IN (e.email, e.raw)
         ORDER BY (c.gh_user_id IS NULL AND c.gl_id IS NULL), c.cntrb_created_at NULLS LAST,
                  c.cntrb_id
         LIMIT 1) AS email_id
  FROM jsonb_to_recordset($1::jsonb) AS e(email text, raw text, gh_id bigint, login text)
