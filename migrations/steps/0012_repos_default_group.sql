-- label: every repository in a group (ungrouped ones to the default group); repo_group_id NOT NULL
-- Idempotent: the group is created once, and only repositories still without a group move.
-- The group's name is the operator's `collection.default_repo_group` (passed by `aveloxis
-- migrate` as the setting aveloxis.default_repo_group), Augur's "Default Repo Group" otherwise.
-- The FK is deferred: checked now, so no trigger event is pending when the column is altered.
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type, data_source)
SELECT coalesce(nullif(current_setting('aveloxis.default_repo_group', true), ''),
                'Default Repo Group'), '', 'aveloxis migrate'
 WHERE EXISTS (SELECT 1 FROM aveloxis_data.repos WHERE repo_group_id IS NULL)
ON CONFLICT (rg_type, rg_name) DO NOTHING;
UPDATE aveloxis_data.repos
   SET repo_group_id = (SELECT g.repo_group_id FROM aveloxis_data.repo_groups g
                         WHERE g.rg_type = ''
                           AND g.rg_name = coalesce(nullif(current_setting('aveloxis.default_repo_group', true), ''),
                                                    'Default Repo Group'))
 WHERE repo_group_id IS NULL;
ALTER TABLE aveloxis_data.repos ALTER COLUMN repo_group_id SET NOT NULL;
