-- Views owned by migrate: dropped and recreated together when this file changes.
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.api_get_all_repos_by_platform AS
    SELECT platform_id, count(*) AS repos FROM aveloxis_data.repos GROUP BY platform_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS api_get_all_repos_by_platform_key
    ON aveloxis_data.api_get_all_repos_by_platform (platform_id);
