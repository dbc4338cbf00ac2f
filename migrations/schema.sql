-- =============================================================================
-- Aveloxis data model: declarative fresh-install schema (tables, indexes, seeds)
-- =============================================================================
--
-- Applied to a fresh database by the migration engine as ONE multi-statement
-- string inside ONE transaction, recording every step in steps/ as covered: this
-- file is the end state of all of them (proved by the upgrade tests). Every
-- statement is idempotent (IF NOT EXISTS / ON CONFLICT DO NOTHING / CREATE OR
-- REPLACE FUNCTION) so re-running it is a no-op.
--
-- Conventions:
--   * every table in aveloxis_data carries tool_source, tool_version,
--     data_source, data_collection_date (TIMESTAMPTZ DEFAULT now());
--   * every table the collector upserts has a natural-key UNIQUE constraint
--     (declared in core/src/collect/specs; checked against the live catalog);
--   * every FK is a named table constraint, DEFERRABLE INITIALLY DEFERRED;
--   * FKs to aveloxis_data.contributors(cntrb_id) are
--     ON UPDATE CASCADE ON DELETE RESTRICT (cntrb_id can be rewritten from a
--     random UUID to the deterministic GithubUUID);
--   * FKs to immutable surrogate keys (repo_id, issue_id, ...) keep the default
--     NO ACTION so that, being deferred, parents and children may be written or
--     removed in any order inside one transaction; operational tables that
--     only describe a repo (queue, status, staging, user_repos) cascade deletes;
--   * every FK child column set is covered by a non-partial btree index whose
--     leading column(s) are exactly the FK columns (a PK/UNIQUE counts);
--   * indexes are plain CREATE INDEX IF NOT EXISTS here (fresh installs run in
--     a transaction on empty tables); indexes added later to populated tables
--     belong to upgrade steps and use CONCURRENTLY;
--   * the migration engine itself owns aveloxis_ops.schema_migrations and
--     aveloxis_ops.schema_meta; they are deliberately absent from this file.
--
-- All names are schema-qualified; nothing depends on search_path.
-- =============================================================================

CREATE SCHEMA IF NOT EXISTS aveloxis_data;
CREATE SCHEMA IF NOT EXISTS aveloxis_ops;

-- -----------------------------------------------------------------------------
-- Deterministic contributor id (GithubUUID, byte-compatible with Augur).
--   byte 0      platform id
--   bytes 1-4   platform user id, big-endian, when 0 <= id <= 4294967295
--   bytes 1-8   big-endian uint64 when the id does not fit in 32 bits
--               (Aveloxis extension; Augur raises instead), and then
--   byte 15     0x01, a marker: without it the 8-byte form would collide with
--               the 4-byte form, e.g. (1, 4294967296) with (1, 1)
--   other bytes zero; no version/variant bits are set.
-- (1,15)      -> 01000000-0f00-0000-0000-000000000000
-- (1,2445413) -> 01002550-6500-0000-0000-000000000000
-- The Rust side (aveloxis_core::contributor_id) implements the same function;
-- this one exists for ad-hoc SQL and is cross-checked against it in tests.
-- -----------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION aveloxis_data.github_uuid(p_platform integer, p_user_id bigint)
RETURNS uuid
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT CASE
        WHEN p_platform < 0 OR p_platform > 255 OR p_user_id < 0 THEN NULL
        WHEN p_user_id <= 4294967295 THEN
            (lpad(to_hex(p_platform), 2, '0')
             || lpad(to_hex(p_user_id), 8, '0')
             || repeat('0', 22))::uuid
        ELSE
            (lpad(to_hex(p_platform), 2, '0')
             || lpad(to_hex(p_user_id), 16, '0')
             || repeat('0', 12) || '01')::uuid
    END
$fn$;

-- =============================================================================
-- aveloxis_data: core
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.platforms (
    platform_id          SMALLINT PRIMARY KEY,
    platform_name        TEXT NOT NULL,
    platform_version     TEXT,
    platform_release_date DATE,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_platforms_name UNIQUE (platform_name)
);

INSERT INTO aveloxis_data.platforms (platform_id, platform_name, data_source)
VALUES (1, 'GitHub', 'seed'), (2, 'GitLab', 'seed'), (3, 'Git', 'seed')
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_groups (
    repo_group_id        BIGSERIAL PRIMARY KEY,
    rg_name              TEXT NOT NULL,
    rg_description       TEXT,
    rg_website           TEXT,
    rg_recache           SMALLINT DEFAULT 1,
    rg_last_modified     TIMESTAMPTZ NOT NULL DEFAULT now(),
    rg_type              TEXT NOT NULL DEFAULT '',   -- github_org, gitlab_group, ...
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repo_groups_type_name UNIQUE (rg_type, rg_name)
);
CREATE INDEX IF NOT EXISTS idx_repo_groups_rg_name ON aveloxis_data.repo_groups (rg_name);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_groups_list_serve (
    rgls_id              BIGSERIAL PRIMARY KEY,
    repo_group_id        BIGINT NOT NULL,
    rgls_name            TEXT,
    rgls_description     TEXT,
    rgls_sponsor         TEXT,
    rgls_email           TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_rgls_repo_group FOREIGN KEY (repo_group_id)
        REFERENCES aveloxis_data.repo_groups (repo_group_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_rgls_repo_group_id ON aveloxis_data.repo_groups_list_serve (repo_group_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.repos (
    repo_id              BIGSERIAL PRIMARY KEY,
    repo_group_id        BIGINT NOT NULL,          -- every repository is in a group (Augur)
    platform_id          SMALLINT NOT NULL,
    repo_git             TEXT NOT NULL,            -- canonical clone URL; the upsert key
    repo_name            TEXT NOT NULL DEFAULT '',
    repo_owner           TEXT NOT NULL DEFAULT '', -- GitLab: may be group/subgroup
    repo_path            TEXT,
    repo_description     TEXT,
    primary_language     TEXT,
    languages            JSONB NOT NULL DEFAULT '{}'::jsonb,
    repo_type            TEXT DEFAULT '',
    forked_from          TEXT,
    repo_archived        BOOLEAN NOT NULL DEFAULT false,
    repo_archived_date_collected TIMESTAMPTZ,
    repo_gone_at         TIMESTAMPTZ,              -- explicit, reversible sidelining (404/410)
    repo_gone_checked_at TIMESTAMPTZ,
    platform_repo_id     TEXT,                     -- forge id (Augur repo_src_id)
    repo_added           TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at           TIMESTAMPTZ,
    updated_at           TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repos_repo_git UNIQUE (repo_git),
    CONSTRAINT fk_repos_repo_group FOREIGN KEY (repo_group_id)
        REFERENCES aveloxis_data.repo_groups (repo_group_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_repos_platform FOREIGN KEY (platform_id)
        REFERENCES aveloxis_data.platforms (platform_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repos_repo_group_id ON aveloxis_data.repos (repo_group_id);
CREATE INDEX IF NOT EXISTS idx_repos_platform_id ON aveloxis_data.repos (platform_id, platform_repo_id);
CREATE INDEX IF NOT EXISTS idx_repos_owner_name ON aveloxis_data.repos (repo_owner, repo_name);
-- Forge URLs are case-insensitive: one row per repo regardless of case.
-- (Plain git hosts, platform 3, may be case-sensitive and are exempt.)
CREATE UNIQUE INDEX IF NOT EXISTS uq_repos_repo_git_ci
    ON aveloxis_data.repos (lower(repo_git)) WHERE platform_id IN (1, 2);

-- =============================================================================
-- aveloxis_data: contributors
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.contributors (
    cntrb_id             UUID PRIMARY KEY DEFAULT gen_random_uuid(), -- GithubUUID when the platform user id is known
    cntrb_login          TEXT NOT NULL DEFAULT '',
    cntrb_email          TEXT,
    cntrb_full_name      TEXT,
    cntrb_company        TEXT,
    cntrb_created_at     TIMESTAMPTZ,
    cntrb_type           TEXT,
    cntrb_fake           SMALLINT DEFAULT 0,
    cntrb_deleted        SMALLINT DEFAULT 0,
    cntrb_long           NUMERIC(11, 8),
    cntrb_lat            NUMERIC(10, 8),
    cntrb_country_code   CHAR(3),
    cntrb_state          TEXT,
    cntrb_city           TEXT,
    cntrb_location       TEXT,
    cntrb_canonical      TEXT,
    cntrb_last_used      TIMESTAMPTZ,
    cntrb_last_enriched_at TIMESTAMPTZ,
    cntrb_last_search_attempted_at TIMESTAMPTZ,
    cntrb_last_breadth_at TIMESTAMPTZ,
    gh_user_id           BIGINT,
    gh_login             TEXT,
    gh_url               TEXT,
    gh_html_url          TEXT,
    gh_node_id           TEXT,
    gh_avatar_url        TEXT,
    gh_gravatar_id       TEXT,
    gh_followers_url     TEXT,
    gh_following_url     TEXT,
    gh_gists_url         TEXT,
    gh_starred_url       TEXT,
    gh_subscriptions_url TEXT,
    gh_organizations_url TEXT,
    gh_repos_url         TEXT,
    gh_events_url        TEXT,
    gh_received_events_url TEXT,
    gh_type              TEXT,
    gh_site_admin        TEXT,
    gh_state             TEXT,
    gl_web_url           TEXT,
    gl_avatar_url        TEXT,
    gl_state             TEXT,
    gl_username          TEXT,
    gl_full_name         TEXT,
    gl_id                BIGINT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);
-- A platform user is one contributor.  Logins are NOT unique: they are
-- recycled after renames (upstream's login-keyed upsert merged strangers).
CREATE UNIQUE INDEX IF NOT EXISTS uq_contributors_gh_user_id
    ON aveloxis_data.contributors (gh_user_id) WHERE gh_user_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS uq_contributors_gl_id
    ON aveloxis_data.contributors (gl_id) WHERE gl_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_contributors_login ON aveloxis_data.contributors (cntrb_login) WHERE cntrb_login <> '';
CREATE INDEX IF NOT EXISTS idx_contributors_gh_login ON aveloxis_data.contributors (gh_login);
CREATE INDEX IF NOT EXISTS idx_contributors_email ON aveloxis_data.contributors (cntrb_email);
CREATE INDEX IF NOT EXISTS idx_contributors_canonical ON aveloxis_data.contributors (cntrb_canonical);
CREATE INDEX IF NOT EXISTS idx_contributors_last_enriched_at ON aveloxis_data.contributors (cntrb_last_enriched_at NULLS FIRST);

CREATE TABLE IF NOT EXISTS aveloxis_data.contributor_identities (
    identity_id          BIGSERIAL PRIMARY KEY,
    cntrb_id             UUID NOT NULL,
    platform_id          SMALLINT NOT NULL,
    platform_user_id     BIGINT NOT NULL,
    login                TEXT NOT NULL DEFAULT '',
    node_id              TEXT,
    email                TEXT,
    full_name            TEXT,
    avatar_url           TEXT,
    profile_url          TEXT,
    user_type            TEXT,
    created_at           TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_contributor_identities_platform_user UNIQUE (platform_id, platform_user_id),
    CONSTRAINT fk_contributor_identities_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_contributor_identities_platform FOREIGN KEY (platform_id)
        REFERENCES aveloxis_data.platforms (platform_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_contributor_identities_cntrb_id ON aveloxis_data.contributor_identities (cntrb_id);
CREATE INDEX IF NOT EXISTS idx_contributor_identities_login ON aveloxis_data.contributor_identities (platform_id, lower(login));

CREATE TABLE IF NOT EXISTS aveloxis_data.contributor_login_history (
    login_history_id     BIGSERIAL PRIMARY KEY,
    cntrb_id             UUID NOT NULL,
    platform_id          SMALLINT NOT NULL,
    login                TEXT NOT NULL,
    first_seen_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_contributor_login_history UNIQUE (cntrb_id, platform_id, login),
    CONSTRAINT fk_contributor_login_history_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_contributor_login_history_platform FOREIGN KEY (platform_id)
        REFERENCES aveloxis_data.platforms (platform_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_contributor_login_history_platform_login
    ON aveloxis_data.contributor_login_history (platform_id, login);

-- Legacy backup table kept for Augur parity; no constraints beyond its PK.
CREATE TABLE IF NOT EXISTS aveloxis_data.contributors_old (
    cntrb_id             UUID PRIMARY KEY,
    cntrb_login          TEXT,
    cntrb_email          TEXT,
    cntrb_full_name      TEXT,
    cntrb_company        TEXT,
    cntrb_created_at     TIMESTAMPTZ,
    cntrb_type           TEXT,
    cntrb_canonical      TEXT,
    gh_user_id           BIGINT,
    gh_login             TEXT,
    gh_node_id           TEXT,
    gl_id                BIGINT,
    gl_username          TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_data.contributors_aliases (
    cntrb_alias_id       BIGSERIAL PRIMARY KEY,
    cntrb_id             UUID NOT NULL,
    canonical_email      TEXT,
    alias_email          TEXT NOT NULL,
    cntrb_active         SMALLINT NOT NULL DEFAULT 1,
    cntrb_last_modified  TIMESTAMPTZ DEFAULT now(),
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_contributors_aliases_alias_email UNIQUE (alias_email),
    CONSTRAINT fk_contributors_aliases_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_contributors_aliases_cntrb_id ON aveloxis_data.contributors_aliases (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.contributor_affiliations (
    ca_id                BIGSERIAL PRIMARY KEY,
    ca_domain            TEXT NOT NULL,
    ca_start_date        DATE DEFAULT '1970-01-01',
    ca_last_used         TIMESTAMPTZ DEFAULT now(),
    ca_affiliation       TEXT,
    ca_active            SMALLINT DEFAULT 1,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_contributor_affiliations_domain UNIQUE (ca_domain)
);

CREATE TABLE IF NOT EXISTS aveloxis_data.contributor_repo (
    cntrb_repo_id        BIGSERIAL PRIMARY KEY,
    cntrb_id             UUID NOT NULL,
    repo_git             TEXT NOT NULL,
    repo_name            TEXT,
    gh_repo_id           BIGINT NOT NULL,
    cntrb_category       TEXT,                     -- event type
    event_id             BIGINT NOT NULL,
    created_at           TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_contributor_repo_cntrb_event UNIQUE (cntrb_id, event_id),
    CONSTRAINT fk_contributor_repo_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_contributor_repo_repo_git ON aveloxis_data.contributor_repo (repo_git);

CREATE TABLE IF NOT EXISTS aveloxis_data.unresolved_commit_emails (
    email_unresolved_id  BIGSERIAL PRIMARY KEY,
    email                TEXT NOT NULL,
    name                 TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    looked_up_at         TIMESTAMPTZ,              -- step 0015: asked of the forge once
    CONSTRAINT uq_unresolved_commit_emails_email UNIQUE (email)
);

-- =============================================================================
-- aveloxis_data: commits (facade; one row per commit per file, as in Augur)
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.commits (
    cmt_id               BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    cmt_commit_hash      TEXT NOT NULL,
    cmt_author_name      TEXT NOT NULL DEFAULT '',
    cmt_author_raw_email TEXT NOT NULL DEFAULT '',
    cmt_author_email     TEXT NOT NULL DEFAULT '',
    cmt_author_date      TEXT NOT NULL DEFAULT '',   -- 'YYYY-MM-DD' (Augur keeps a string)
    cmt_author_affiliation TEXT,
    cmt_committer_name   TEXT NOT NULL DEFAULT '',
    cmt_committer_raw_email TEXT NOT NULL DEFAULT '',
    cmt_committer_email  TEXT NOT NULL DEFAULT '',
    cmt_committer_date   TEXT NOT NULL DEFAULT '',
    cmt_committer_affiliation TEXT,
    cmt_added            INTEGER NOT NULL DEFAULT 0,
    cmt_removed          INTEGER NOT NULL DEFAULT 0,
    cmt_whitespace       INTEGER NOT NULL DEFAULT 0,
    cmt_filename         TEXT NOT NULL DEFAULT '',
    cmt_date_attempted   TIMESTAMPTZ NOT NULL DEFAULT now(),
    cmt_ght_committer_id INTEGER,
    cmt_ght_committed_at TIMESTAMPTZ,
    cmt_author_timestamp TIMESTAMPTZ,
    cmt_committer_timestamp TIMESTAMPTZ,
    cmt_author_platform_username TEXT,
    cmt_ght_author_id    UUID,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_commits_repo_hash_file UNIQUE (repo_id, cmt_commit_hash, cmt_filename),
    CONSTRAINT fk_commits_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_commits_author_cntrb FOREIGN KEY (cmt_ght_author_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_commits_ght_author_id ON aveloxis_data.commits (cmt_ght_author_id);
CREATE INDEX IF NOT EXISTS idx_commits_author_email ON aveloxis_data.commits (cmt_author_email);
CREATE INDEX IF NOT EXISTS idx_commits_author_raw_email ON aveloxis_data.commits (cmt_author_raw_email);
CREATE INDEX IF NOT EXISTS idx_commits_committer_raw_email ON aveloxis_data.commits (cmt_committer_raw_email);
CREATE INDEX IF NOT EXISTS idx_commits_author_affiliation ON aveloxis_data.commits (cmt_author_affiliation);

-- Keyed by hashes: a parent may be a merge commit with no per-file row, so the
-- Augur surrogate columns (cmt_id, parent_id) are optional references.
CREATE TABLE IF NOT EXISTS aveloxis_data.commit_parents (
    repo_id              BIGINT NOT NULL,
    cmt_commit_hash      TEXT NOT NULL,
    parent_commit_hash   TEXT NOT NULL,
    cmt_id               BIGINT,
    parent_id            BIGINT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_commit_parents PRIMARY KEY (repo_id, cmt_commit_hash, parent_commit_hash),
    CONSTRAINT fk_commit_parents_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_commit_parents_cmt FOREIGN KEY (cmt_id)
        REFERENCES aveloxis_data.commits (cmt_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_commit_parents_parent FOREIGN KEY (parent_id)
        REFERENCES aveloxis_data.commits (cmt_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_commit_parents_cmt_id ON aveloxis_data.commit_parents (cmt_id);
CREATE INDEX IF NOT EXISTS idx_commit_parents_parent_id ON aveloxis_data.commit_parents (parent_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.commit_messages (
    cmt_msg_id           BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    cmt_hash             TEXT NOT NULL,
    cmt_msg              TEXT NOT NULL DEFAULT '',
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_commit_messages_repo_hash UNIQUE (repo_id, cmt_hash),
    CONSTRAINT fk_commit_messages_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

-- =============================================================================
-- aveloxis_data: messages (one table for all comment text)
-- =============================================================================

-- msg_kind is part of the natural key: GitHub reuses numeric ids across issue
-- comments, review comments and review bodies (upstream silently overwrote
-- 198,237 rows keyed without it).
CREATE TABLE IF NOT EXISTS aveloxis_data.messages (
    msg_id               BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT,
    rgls_id              BIGINT,
    platform_id          SMALLINT NOT NULL,
    platform_msg_id      BIGINT NOT NULL,
    msg_kind             TEXT NOT NULL,
    node_id              TEXT,
    msg_text             TEXT,
    msg_timestamp        TIMESTAMPTZ,
    msg_updated_at       TIMESTAMPTZ,
    msg_sender_email     TEXT,
    msg_header           TEXT,
    cntrb_id             UUID,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT ck_messages_kind CHECK (msg_kind IN
        ('issue_comment', 'review_comment', 'review_body', 'commit_comment')),
    CONSTRAINT uq_messages_platform_msg_kind UNIQUE (platform_id, platform_msg_id, msg_kind),
    CONSTRAINT fk_messages_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_messages_rgls FOREIGN KEY (rgls_id)
        REFERENCES aveloxis_data.repo_groups_list_serve (rgls_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_messages_platform FOREIGN KEY (platform_id)
        REFERENCES aveloxis_data.platforms (platform_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_messages_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_messages_repo_id ON aveloxis_data.messages (repo_id, msg_timestamp);
CREATE INDEX IF NOT EXISTS idx_messages_rgls_id ON aveloxis_data.messages (rgls_id);
CREATE INDEX IF NOT EXISTS idx_messages_cntrb_id ON aveloxis_data.messages (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.commit_comment_ref (
    cmt_comment_id       BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    cmt_commit_hash      TEXT NOT NULL,
    cmt_id               BIGINT,                   -- a per-file commits row, when known
    msg_id               BIGINT NOT NULL,
    user_id              BIGINT,
    body                 TEXT,
    line                 BIGINT,
    position             BIGINT,
    commit_comment_src_node_id TEXT,
    cmt_comment_src_id   BIGINT NOT NULL,
    created_at           TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_commit_comment_ref_src_id UNIQUE (cmt_comment_src_id),
    CONSTRAINT fk_commit_comment_ref_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_commit_comment_ref_cmt FOREIGN KEY (cmt_id)
        REFERENCES aveloxis_data.commits (cmt_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_commit_comment_ref_msg FOREIGN KEY (msg_id)
        REFERENCES aveloxis_data.messages (msg_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_commit_comment_ref_repo ON aveloxis_data.commit_comment_ref (repo_id, cmt_commit_hash);
CREATE INDEX IF NOT EXISTS idx_commit_comment_ref_cmt_id ON aveloxis_data.commit_comment_ref (cmt_id);
CREATE INDEX IF NOT EXISTS idx_commit_comment_ref_msg_id ON aveloxis_data.commit_comment_ref (msg_id);

-- =============================================================================
-- aveloxis_data: issues
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.issues (
    issue_id             BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    platform_id          SMALLINT NOT NULL DEFAULT 1,
    platform_issue_id    BIGINT NOT NULL,          -- Augur gh_issue_id
    issue_number         BIGINT,                   -- Augur gh_issue_number
    node_id              TEXT,                     -- Augur issue_node_id
    issue_title          TEXT,
    issue_body           TEXT,
    issue_state          TEXT,
    issue_url            TEXT,
    html_url             TEXT,
    repository_url       TEXT,
    labels_url           TEXT,
    comments_url         TEXT,
    events_url           TEXT,
    reporter_id          UUID,                     -- opener
    closed_by_id         UUID,                     -- Augur issues.cntrb_id (closer)
    gh_user_id           BIGINT,                   -- opener's platform user id
    pull_request         BIGINT,                   -- Augur: set when the item is a PR
    pull_request_id      BIGINT,
    comment_count        BIGINT,
    external_key         TEXT NOT NULL DEFAULT '',
    created_at           TIMESTAMPTZ,
    updated_at           TIMESTAMPTZ,
    closed_at            TIMESTAMPTZ,
    due_on               TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_issues_repo_platform_issue UNIQUE (repo_id, platform_issue_id),
    CONSTRAINT fk_issues_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_issues_reporter FOREIGN KEY (reporter_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_issues_closed_by FOREIGN KEY (closed_by_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_issues_repo_number ON aveloxis_data.issues (repo_id, issue_number);
CREATE INDEX IF NOT EXISTS idx_issues_reporter_id ON aveloxis_data.issues (reporter_id);
CREATE INDEX IF NOT EXISTS idx_issues_closed_by_id ON aveloxis_data.issues (closed_by_id);
CREATE INDEX IF NOT EXISTS idx_issues_repo_updated ON aveloxis_data.issues (repo_id, updated_at);
CREATE UNIQUE INDEX IF NOT EXISTS uq_issues_repo_external_key
    ON aveloxis_data.issues (repo_id, external_key) WHERE external_key <> '';

CREATE TABLE IF NOT EXISTS aveloxis_data.issue_labels (
    issue_label_id       BIGSERIAL PRIMARY KEY,
    issue_id             BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    platform_label_id    BIGINT,                   -- 0/NULL on the GraphQL path
    label_text           TEXT NOT NULL,
    label_description    TEXT,
    label_color          TEXT,
    node_id              TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_issue_labels_issue_text UNIQUE (issue_id, label_text),
    CONSTRAINT fk_issue_labels_issue FOREIGN KEY (issue_id)
        REFERENCES aveloxis_data.issues (issue_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_issue_labels_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_issue_labels_repo_id ON aveloxis_data.issue_labels (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.issue_assignees (
    issue_assignee_id    BIGSERIAL PRIMARY KEY,
    issue_id             BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    cntrb_id             UUID,
    platform_assignee_id BIGINT NOT NULL,          -- Augur issue_assignee_src_id
    node_id              TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_issue_assignees_issue_assignee UNIQUE (issue_id, platform_assignee_id),
    CONSTRAINT fk_issue_assignees_issue FOREIGN KEY (issue_id)
        REFERENCES aveloxis_data.issues (issue_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_issue_assignees_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_issue_assignees_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_issue_assignees_repo_id ON aveloxis_data.issue_assignees (repo_id);
CREATE INDEX IF NOT EXISTS idx_issue_assignees_cntrb_id ON aveloxis_data.issue_assignees (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.issue_events (
    issue_event_id       BIGSERIAL PRIMARY KEY,    -- Augur event_id
    issue_id             BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    cntrb_id             UUID,
    platform_id          SMALLINT NOT NULL DEFAULT 1,
    platform_event_id    BIGINT NOT NULL,          -- Augur issue_event_src_id
    node_id              TEXT,
    node_url             TEXT,
    action               TEXT NOT NULL,
    action_commit_hash   TEXT,
    created_at           TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    -- GitLab numbers resource label events apart from project events: the ids overlap, so the
    -- kind is part of the natural key ('event' or 'label_event').
    event_kind           TEXT NOT NULL DEFAULT 'event',
    CONSTRAINT fk_issue_events_issue FOREIGN KEY (issue_id)
        REFERENCES aveloxis_data.issues (issue_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_issue_events_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_issue_events_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_issue_events_repo_event_kind
    ON aveloxis_data.issue_events (repo_id, platform_event_id, event_kind);
CREATE INDEX IF NOT EXISTS idx_issue_events_issue_id ON aveloxis_data.issue_events (issue_id, created_at);
CREATE INDEX IF NOT EXISTS idx_issue_events_cntrb_id ON aveloxis_data.issue_events (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.issue_message_ref (
    issue_msg_ref_id     BIGSERIAL PRIMARY KEY,
    issue_id             BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    msg_id               BIGINT NOT NULL,
    issue_msg_ref_src_node_id TEXT,
    issue_msg_ref_src_comment_id BIGINT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_issue_message_ref_issue_msg UNIQUE (issue_id, msg_id),
    CONSTRAINT fk_issue_message_ref_issue FOREIGN KEY (issue_id)
        REFERENCES aveloxis_data.issues (issue_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_issue_message_ref_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_issue_message_ref_msg FOREIGN KEY (msg_id)
        REFERENCES aveloxis_data.messages (msg_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_issue_message_ref_repo_id ON aveloxis_data.issue_message_ref (repo_id);
CREATE INDEX IF NOT EXISTS idx_issue_message_ref_msg_id ON aveloxis_data.issue_message_ref (msg_id);

-- =============================================================================
-- aveloxis_data: pull requests / merge requests
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_requests (
    pull_request_id      BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    platform_id          SMALLINT NOT NULL DEFAULT 1,
    platform_pr_id       BIGINT NOT NULL,          -- Augur pr_src_id
    node_id              TEXT,                     -- Augur pr_src_node_id
    pr_number            BIGINT,                   -- Augur pr_src_number
    pr_url               TEXT,
    pr_html_url          TEXT,
    pr_diff_url          TEXT,
    pr_patch_url         TEXT,
    pr_issue_url         TEXT,
    pr_commits_url       TEXT,
    pr_review_comments_url TEXT,
    pr_comments_url      TEXT,
    pr_statuses_url      TEXT,
    pr_title             TEXT,                     -- Augur pr_src_title
    pr_body              TEXT,
    pr_state             TEXT,                     -- open/closed/merged (Augur pr_src_state)
    pr_locked            BOOLEAN,                  -- Augur pr_src_locked
    pr_augur_issue_id    BIGINT,
    pr_teams             BIGINT,
    pr_milestone         TEXT,
    author_id            UUID,                     -- Augur pr_augur_contributor_id
    author_association   TEXT,                     -- Augur pr_src_author_association
    merge_commit_sha     TEXT,                     -- Augur pr_merge_commit_sha
    meta_head_id         TEXT,                     -- head label (Augur pr_meta_head_id)
    meta_base_id         TEXT,                     -- base label (Augur pr_meta_base_id)
    created_at           TIMESTAMPTZ,              -- Augur pr_created_at
    updated_at           TIMESTAMPTZ,
    closed_at            TIMESTAMPTZ,
    merged_at            TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_requests_repo_platform_pr UNIQUE (repo_id, platform_pr_id),
    CONSTRAINT fk_pull_requests_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_requests_author FOREIGN KEY (author_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_requests_repo_number ON aveloxis_data.pull_requests (repo_id, pr_number);
CREATE INDEX IF NOT EXISTS idx_pull_requests_author_id ON aveloxis_data.pull_requests (author_id);
CREATE INDEX IF NOT EXISTS idx_pull_requests_repo_updated ON aveloxis_data.pull_requests (repo_id, updated_at);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_labels (
    pr_label_id          BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    platform_label_id    BIGINT,                   -- Augur pr_src_id
    node_id              TEXT,
    label_name           TEXT NOT NULL,            -- Augur pr_src_description/name
    label_description    TEXT,
    label_color          TEXT,
    is_default           BOOLEAN,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_request_labels_pr_name UNIQUE (pull_request_id, label_name),
    CONSTRAINT fk_pull_request_labels_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_labels_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_labels_repo_id ON aveloxis_data.pull_request_labels (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_assignees (
    pr_assignee_map_id   BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    cntrb_id             UUID,                     -- Augur contrib_id
    platform_assignee_id BIGINT NOT NULL,          -- Augur pr_assignee_src_id
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_request_assignees_pr_assignee UNIQUE (pull_request_id, platform_assignee_id),
    CONSTRAINT fk_pull_request_assignees_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_assignees_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_assignees_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_assignees_repo_id ON aveloxis_data.pull_request_assignees (repo_id);
CREATE INDEX IF NOT EXISTS idx_pull_request_assignees_cntrb_id ON aveloxis_data.pull_request_assignees (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_reviewers (
    pr_reviewer_map_id   BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    cntrb_id             UUID,
    platform_reviewer_id BIGINT NOT NULL,          -- Augur pr_reviewer_src_id
    reviewer_login       TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_request_reviewers_pr_reviewer UNIQUE (pull_request_id, platform_reviewer_id),
    CONSTRAINT fk_pull_request_reviewers_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_reviewers_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_reviewers_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_reviewers_repo_id ON aveloxis_data.pull_request_reviewers (repo_id);
CREATE INDEX IF NOT EXISTS idx_pull_request_reviewers_cntrb_id ON aveloxis_data.pull_request_reviewers (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_reviews (
    pr_review_id         BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    cntrb_id             UUID,
    platform_id          SMALLINT NOT NULL DEFAULT 1,
    platform_review_id   BIGINT NOT NULL,          -- Augur pr_review_src_id
    node_id              TEXT,                     -- Augur pr_review_node_id
    review_state         TEXT,                     -- Augur pr_review_state
    review_body          TEXT,                     -- Augur pr_review_body
    submitted_at         TIMESTAMPTZ,              -- Augur pr_review_submitted_at
    author_association   TEXT,
    commit_id            TEXT,
    html_url             TEXT,
    pull_request_url     TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_request_reviews_pr_review UNIQUE (pull_request_id, platform_review_id),
    CONSTRAINT fk_pull_request_reviews_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_reviews_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_reviews_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_reviews_repo_id ON aveloxis_data.pull_request_reviews (repo_id);
CREATE INDEX IF NOT EXISTS idx_pull_request_reviews_cntrb_id ON aveloxis_data.pull_request_reviews (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_meta (
    pr_meta_id           BIGSERIAL PRIMARY KEY,    -- Augur pr_repo_meta_id
    pull_request_id      BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    cntrb_id             UUID,
    head_or_base         TEXT NOT NULL,            -- Augur pr_head_or_base
    meta_label           TEXT,                     -- Augur pr_src_meta_label
    meta_ref             TEXT,                     -- Augur pr_src_meta_ref
    meta_sha             TEXT,                     -- Augur pr_sha
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT ck_pull_request_meta_head_or_base CHECK (head_or_base IN ('head', 'base')),
    CONSTRAINT uq_pull_request_meta_pr_side UNIQUE (pull_request_id, head_or_base),
    CONSTRAINT fk_pull_request_meta_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_meta_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_meta_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_meta_repo_id ON aveloxis_data.pull_request_meta (repo_id);
CREATE INDEX IF NOT EXISTS idx_pull_request_meta_cntrb_id ON aveloxis_data.pull_request_meta (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_repo (
    pr_repo_id           BIGSERIAL PRIMARY KEY,
    pr_repo_meta_id      BIGINT NOT NULL,
    pr_repo_head_or_base TEXT NOT NULL,
    pr_src_repo_id       BIGINT,
    pr_src_node_id       TEXT,
    pr_repo_name         TEXT,
    pr_repo_full_name    TEXT,
    pr_repo_private      BOOLEAN,
    pr_cntrb_id          UUID,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_request_repo_meta_side UNIQUE (pr_repo_meta_id, pr_repo_head_or_base),
    CONSTRAINT fk_pull_request_repo_meta FOREIGN KEY (pr_repo_meta_id)
        REFERENCES aveloxis_data.pull_request_meta (pr_meta_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_repo_cntrb FOREIGN KEY (pr_cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_repo_cntrb_id ON aveloxis_data.pull_request_repo (pr_cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_commits (
    pr_cmt_id            BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    pr_cmt_sha           TEXT NOT NULL,
    pr_cmt_node_id       TEXT,
    pr_cmt_message       TEXT,
    pr_cmt_comments_url  TEXT,
    pr_cmt_author_email  TEXT,
    pr_cmt_author_name   TEXT,
    pr_cmt_timestamp     TIMESTAMPTZ,
    author_cntrb_id      UUID,                     -- Augur pr_cmt_author_cntrb_id
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_request_commits_pr_sha UNIQUE (pull_request_id, pr_cmt_sha),
    CONSTRAINT fk_pull_request_commits_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_commits_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_commits_author FOREIGN KEY (author_cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_commits_repo_id ON aveloxis_data.pull_request_commits (repo_id, pr_cmt_sha);
CREATE INDEX IF NOT EXISTS idx_pull_request_commits_author ON aveloxis_data.pull_request_commits (author_cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_files (
    pr_file_id           BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    pr_file_path         TEXT NOT NULL,
    pr_file_additions    BIGINT,
    pr_file_deletions    BIGINT,
    pr_file_change_type  TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_request_files_pr_path UNIQUE (pull_request_id, pr_file_path),
    CONSTRAINT fk_pull_request_files_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_files_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_files_repo_id ON aveloxis_data.pull_request_files (repo_id, pr_file_path);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_events (
    pr_event_id          BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    cntrb_id             UUID,
    platform_id          SMALLINT NOT NULL DEFAULT 1,
    platform_event_id    BIGINT NOT NULL,          -- Augur issue_event_src_id
    node_id              TEXT,
    node_url             TEXT,
    action               TEXT NOT NULL,
    action_commit_hash   TEXT,
    created_at           TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    -- GitLab numbers resource label events apart from project events: the ids overlap, so the
    -- kind is part of the natural key ('event' or 'label_event').
    event_kind           TEXT NOT NULL DEFAULT 'event',
    CONSTRAINT fk_pull_request_events_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_events_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_events_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_pull_request_events_repo_event_kind
    ON aveloxis_data.pull_request_events (repo_id, platform_event_id, event_kind);
CREATE INDEX IF NOT EXISTS idx_pull_request_events_pr_id ON aveloxis_data.pull_request_events (pull_request_id, created_at);
CREATE INDEX IF NOT EXISTS idx_pull_request_events_cntrb_id ON aveloxis_data.pull_request_events (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_message_ref (
    pr_msg_ref_id        BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    msg_id               BIGINT NOT NULL,
    pr_message_ref_src_comment_id BIGINT,
    pr_message_ref_src_node_id TEXT,
    pr_issue_url         TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_request_message_ref_pr_msg UNIQUE (pull_request_id, msg_id),
    CONSTRAINT fk_pull_request_message_ref_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_message_ref_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pull_request_message_ref_msg FOREIGN KEY (msg_id)
        REFERENCES aveloxis_data.messages (msg_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_message_ref_repo_id ON aveloxis_data.pull_request_message_ref (repo_id);
CREATE INDEX IF NOT EXISTS idx_pull_request_message_ref_msg_id ON aveloxis_data.pull_request_message_ref (msg_id);

-- Links a review to its body message (msg_kind = 'review_body').
CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_review_message_ref (
    pr_review_msg_ref_id BIGSERIAL PRIMARY KEY,
    pr_review_id         BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    msg_id               BIGINT NOT NULL,
    pr_review_msg_url    TEXT,
    pr_review_src_id     BIGINT,
    pr_review_msg_src_id BIGINT,
    pr_review_msg_node_id TEXT,
    pr_review_msg_html_url TEXT,
    pr_review_msg_updated_at TIMESTAMPTZ,
    pr_url               TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pr_review_message_ref_review_msg UNIQUE (pr_review_id, msg_id),
    CONSTRAINT fk_pr_review_message_ref_review FOREIGN KEY (pr_review_id)
        REFERENCES aveloxis_data.pull_request_reviews (pr_review_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pr_review_message_ref_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_pr_review_message_ref_msg FOREIGN KEY (msg_id)
        REFERENCES aveloxis_data.messages (msg_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pr_review_message_ref_repo_id ON aveloxis_data.pull_request_review_message_ref (repo_id);
CREATE INDEX IF NOT EXISTS idx_pr_review_message_ref_msg_id ON aveloxis_data.pull_request_review_message_ref (msg_id);

-- Inline diff comments (msg_kind = 'review_comment'), with their diff context.
CREATE TABLE IF NOT EXISTS aveloxis_data.review_comments (
    review_comment_id    BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    pull_request_id      BIGINT NOT NULL,
    pr_review_id         BIGINT,
    msg_id               BIGINT,
    cntrb_id             UUID,
    platform_src_id      BIGINT NOT NULL,
    platform_review_id   BIGINT,
    node_id              TEXT,
    diff_hunk            TEXT,
    path                 TEXT,
    position             INTEGER,
    original_position    INTEGER,
    line                 INTEGER,
    original_line        INTEGER,
    start_line           INTEGER,
    original_start_line  INTEGER,
    side                 TEXT,
    start_side           TEXT,
    commit_id            TEXT,
    original_commit_id   TEXT,
    in_reply_to_id       BIGINT,
    author_association   TEXT,
    html_url             TEXT,
    url                  TEXT,
    created_at           TIMESTAMPTZ,
    updated_at           TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_review_comments_repo_src UNIQUE (repo_id, platform_src_id),
    CONSTRAINT fk_review_comments_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_review_comments_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_review_comments_review FOREIGN KEY (pr_review_id)
        REFERENCES aveloxis_data.pull_request_reviews (pr_review_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_review_comments_msg FOREIGN KEY (msg_id)
        REFERENCES aveloxis_data.messages (msg_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_review_comments_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_review_comments_pr_id ON aveloxis_data.review_comments (pull_request_id);
CREATE INDEX IF NOT EXISTS idx_review_comments_review_id ON aveloxis_data.review_comments (pr_review_id);
CREATE INDEX IF NOT EXISTS idx_review_comments_msg_id ON aveloxis_data.review_comments (msg_id);
CREATE INDEX IF NOT EXISTS idx_review_comments_cntrb_id ON aveloxis_data.review_comments (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_teams (
    pr_team_id           BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    pr_src_team_id       BIGINT NOT NULL,
    pr_src_team_node     TEXT,
    pr_src_team_url      TEXT,
    pr_team_name         TEXT,
    pr_team_slug         TEXT,
    pr_team_description  TEXT,
    pr_team_privacy      TEXT,
    pr_team_permission   TEXT,
    pr_team_src_members_url TEXT,
    pr_team_src_repositories_url TEXT,
    pr_team_parent_id    BIGINT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_pull_request_teams_pr_team UNIQUE (pull_request_id, pr_src_team_id),
    CONSTRAINT fk_pull_request_teams_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.pull_request_analysis (
    pull_request_analysis_id BIGSERIAL PRIMARY KEY,
    pull_request_id      BIGINT NOT NULL,
    merge_probability    NUMERIC,
    mechanism            TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_pull_request_analysis_pr FOREIGN KEY (pull_request_id)
        REFERENCES aveloxis_data.pull_requests (pull_request_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_pull_request_analysis_pr_id ON aveloxis_data.pull_request_analysis (pull_request_id);

-- =============================================================================
-- aveloxis_data: message analysis (Augur parity; not populated by the collector)
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.message_analysis (
    msg_analysis_id      BIGSERIAL PRIMARY KEY,
    msg_id               BIGINT NOT NULL,
    worker_run_id        BIGINT,
    sentiment_score      DOUBLE PRECISION,
    reconstruction_error DOUBLE PRECISION,
    novelty_flag         BOOLEAN,
    feedback_flag        BOOLEAN,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_message_analysis_msg FOREIGN KEY (msg_id)
        REFERENCES aveloxis_data.messages (msg_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_message_analysis_msg_id ON aveloxis_data.message_analysis (msg_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.message_analysis_summary (
    msg_summary_id       BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    worker_run_id        BIGINT,
    positive_ratio       DOUBLE PRECISION,
    negative_ratio       DOUBLE PRECISION,
    novel_count          BIGINT,
    period               TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_message_analysis_summary_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_message_analysis_summary_repo_id ON aveloxis_data.message_analysis_summary (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.message_sentiment (
    msg_analysis_id      BIGSERIAL PRIMARY KEY,
    msg_id               BIGINT NOT NULL,
    worker_run_id        BIGINT,
    sentiment_score      DOUBLE PRECISION,
    reconstruction_error DOUBLE PRECISION,
    novelty_flag         BOOLEAN,
    feedback_flag        BOOLEAN,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_message_sentiment_msg FOREIGN KEY (msg_id)
        REFERENCES aveloxis_data.messages (msg_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_message_sentiment_msg_id ON aveloxis_data.message_sentiment (msg_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.message_sentiment_summary (
    msg_summary_id       BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    worker_run_id        BIGINT,
    positive_ratio       DOUBLE PRECISION,
    negative_ratio       DOUBLE PRECISION,
    novel_count          BIGINT,
    period               TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_message_sentiment_summary_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_message_sentiment_summary_repo_id ON aveloxis_data.message_sentiment_summary (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.discourse_insights (
    msg_discourse_id     BIGSERIAL PRIMARY KEY,
    msg_id               BIGINT NOT NULL,
    discourse_act        TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_discourse_insights_msg FOREIGN KEY (msg_id)
        REFERENCES aveloxis_data.messages (msg_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_discourse_insights_msg_id ON aveloxis_data.discourse_insights (msg_id);

-- =============================================================================
-- aveloxis_data: releases
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.releases (
    repo_id              BIGINT NOT NULL,
    release_id           TEXT NOT NULL,            -- forge node id / GitLab tag
    release_name         TEXT,
    release_description  TEXT,
    release_author       TEXT,
    release_tag_name     TEXT,
    release_url          TEXT,
    release_created_at   TIMESTAMPTZ,
    release_published_at TIMESTAMPTZ,
    release_updated_at   TIMESTAMPTZ,
    is_draft             BOOLEAN NOT NULL DEFAULT false,   -- Augur release_is_draft
    is_prerelease        BOOLEAN NOT NULL DEFAULT false,   -- Augur release_is_prerelease
    tag_only             BOOLEAN NOT NULL DEFAULT false,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_releases PRIMARY KEY (repo_id, release_id),
    CONSTRAINT fk_releases_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

-- =============================================================================
-- aveloxis_data: repository metadata
-- =============================================================================

-- Latest snapshot per repo (upsert on repo_id); the previous snapshot is
-- rotated into repo_info_history by the processor.
CREATE TABLE IF NOT EXISTS aveloxis_data.repo_info (
    repo_info_id         BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    last_updated         TIMESTAMPTZ,
    issues_enabled       TEXT,
    open_issues          BIGINT,
    pull_requests_enabled TEXT,
    wiki_enabled         TEXT,
    pages_enabled        TEXT,
    fork_count           BIGINT,
    default_branch       TEXT,
    watcher_count        BIGINT,                   -- Augur watchers_count
    star_count           BIGINT,                   -- Augur stars_count
    committer_count      BIGINT,                   -- Augur committers_count
    commit_count         BIGINT,
    issues_count         BIGINT,
    issues_closed        BIGINT,
    issues_open          BIGINT,
    pr_count             BIGINT,                   -- Augur pull_request_count
    prs_open             BIGINT,                   -- Augur pull_requests_open
    prs_closed           BIGINT,                   -- Augur pull_requests_closed
    prs_merged           BIGINT,                   -- Augur pull_requests_merged
    issue_contributors_count BIGINT,
    license              TEXT,
    changelog_file       TEXT,
    contributing_file    TEXT,
    license_file         TEXT,
    code_of_conduct_file TEXT,
    security_issue_file  TEXT,
    security_audit_file  TEXT,
    status               TEXT,
    keywords             TEXT,
    archived             BOOLEAN,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repo_info_repo UNIQUE (repo_id),
    CONSTRAINT fk_repo_info_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_info_history (
    repo_info_history_id BIGSERIAL PRIMARY KEY,
    repo_info_id         BIGINT,                   -- id the row had in repo_info
    repo_id              BIGINT NOT NULL,
    rotated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_updated         TIMESTAMPTZ,
    issues_enabled       TEXT,
    open_issues          BIGINT,
    pull_requests_enabled TEXT,
    wiki_enabled         TEXT,
    pages_enabled        TEXT,
    fork_count           BIGINT,
    default_branch       TEXT,
    watcher_count        BIGINT,
    star_count           BIGINT,
    committer_count      BIGINT,
    commit_count         BIGINT,
    issues_count         BIGINT,
    issues_closed        BIGINT,
    issues_open          BIGINT,
    pr_count             BIGINT,
    prs_open             BIGINT,
    prs_closed           BIGINT,
    prs_merged           BIGINT,
    issue_contributors_count BIGINT,
    license              TEXT,
    changelog_file       TEXT,
    contributing_file    TEXT,
    license_file         TEXT,
    code_of_conduct_file TEXT,
    security_issue_file  TEXT,
    security_audit_file  TEXT,
    status               TEXT,
    keywords             TEXT,
    archived             BOOLEAN,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_info_history_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_info_history_repo ON aveloxis_data.repo_info_history (repo_id, data_collection_date);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_clones (
    repo_clone_data_id   BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    unique_clones        BIGINT,
    count_clones         BIGINT,
    clone_timestamp      TIMESTAMPTZ NOT NULL,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repo_clones_repo_ts UNIQUE (repo_id, clone_timestamp),
    CONSTRAINT fk_repo_clones_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_badging (
    badge_collection_id  BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    created_at           TIMESTAMPTZ DEFAULT now(),
    data                 JSONB,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_badging_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_badging_repo_id ON aveloxis_data.repo_badging (repo_id, created_at);

-- Augur's junk-named table "akl;fjlk;a", renamed.
CREATE TABLE IF NOT EXISTS aveloxis_data.dei_badging (
    id                   BIGSERIAL PRIMARY KEY,
    badging_id           INTEGER NOT NULL,
    level                TEXT NOT NULL,
    repo_id              BIGINT NOT NULL,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_dei_badging_repo_badge UNIQUE (repo_id, badging_id),
    CONSTRAINT fk_dei_badging_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_insights (
    ri_id                BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    ri_metric            TEXT,
    ri_value             TEXT,
    ri_date              TIMESTAMPTZ,
    ri_fresh             BOOLEAN,
    ri_score             NUMERIC,
    ri_field             TEXT,
    ri_detection_method  TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_insights_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_insights_repo_id ON aveloxis_data.repo_insights (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_insights_records (
    ri_id                BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    ri_metric            TEXT,
    ri_field             TEXT,
    ri_value             TEXT,
    ri_date              TIMESTAMPTZ,
    ri_score             DOUBLE PRECISION,
    ri_detection_method  TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_insights_records_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_insights_records_repo_id ON aveloxis_data.repo_insights_records (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_group_insights (
    rgi_id               BIGSERIAL PRIMARY KEY,
    repo_group_id        BIGINT NOT NULL,
    rgi_metric           TEXT,
    rgi_value            TEXT,
    cms_id               BIGINT,
    rgi_fresh            BOOLEAN,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_group_insights_group FOREIGN KEY (repo_group_id)
        REFERENCES aveloxis_data.repo_groups (repo_group_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_group_insights_group_id ON aveloxis_data.repo_group_insights (repo_group_id);

-- =============================================================================
-- aveloxis_data: dependencies / supply chain
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_dependencies (
    repo_dependencies_id BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    dep_language         TEXT NOT NULL DEFAULT '', -- ecosystem
    dep_name             TEXT NOT NULL,
    dep_count            INTEGER,
    manifest_path        TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repo_dependencies_repo_lang_name UNIQUE (repo_id, dep_language, dep_name),
    CONSTRAINT fk_repo_dependencies_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

-- current_version fixes Augur's typo current_verion (the compat view aliases it back).
CREATE TABLE IF NOT EXISTS aveloxis_data.repo_deps_libyear (
    repo_deps_libyear_id BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    package_manager      TEXT NOT NULL DEFAULT '',
    name                 TEXT NOT NULL,
    requirement          TEXT NOT NULL DEFAULT '',
    type                 TEXT,
    current_version      TEXT,
    latest_version       TEXT,
    current_release_date TIMESTAMPTZ,
    latest_release_date  TIMESTAMPTZ,
    libyear              DOUBLE PRECISION,
    license              TEXT,
    purl                 TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repo_deps_libyear_key UNIQUE (repo_id, package_manager, name, requirement),
    CONSTRAINT fk_repo_deps_libyear_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_deps_libyear_history (
    repo_deps_libyear_history_id BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    package_manager      TEXT NOT NULL DEFAULT '',
    name                 TEXT NOT NULL,
    requirement          TEXT NOT NULL DEFAULT '',
    type                 TEXT,
    current_version      TEXT,
    latest_version       TEXT,
    current_release_date TIMESTAMPTZ,
    latest_release_date  TIMESTAMPTZ,
    libyear              DOUBLE PRECISION,
    license              TEXT,
    purl                 TEXT,
    rotated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_deps_libyear_history_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_deps_libyear_history_repo
    ON aveloxis_data.repo_deps_libyear_history (repo_id, data_collection_date);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_deps_scorecard (
    repo_deps_scorecard_id BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    name                 TEXT NOT NULL,            -- check name
    score                TEXT,
    scorecard_check_details JSONB,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repo_deps_scorecard_repo_name UNIQUE (repo_id, name),
    CONSTRAINT fk_repo_deps_scorecard_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_deps_scorecard_history (
    repo_deps_scorecard_history_id BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    name                 TEXT NOT NULL,
    score                TEXT,
    scorecard_check_details JSONB,
    rotated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_deps_scorecard_history_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_deps_scorecard_history_repo
    ON aveloxis_data.repo_deps_scorecard_history (repo_id, data_collection_date);

-- OSV.dev results per (repo, package version, advisory).
CREATE TABLE IF NOT EXISTS aveloxis_data.repo_deps_vulnerabilities (
    repo_deps_vulnerability_id BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    ecosystem            TEXT NOT NULL DEFAULT '',
    package_name         TEXT NOT NULL,
    package_version      TEXT NOT NULL DEFAULT '',
    vuln_id              TEXT NOT NULL,            -- OSV id (GHSA-..., CVE-...)
    aliases              TEXT[],
    summary              TEXT,
    severity             TEXT,
    cvss_score           NUMERIC(4, 1),
    fixed_versions       TEXT[],
    published_at         TIMESTAMPTZ,
    modified_at          TIMESTAMPTZ,
    first_detected_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at          TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repo_deps_vulnerabilities_key
        UNIQUE (repo_id, ecosystem, package_name, package_version, vuln_id),
    CONSTRAINT fk_repo_deps_vulnerabilities_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_deps_vulnerabilities_vuln ON aveloxis_data.repo_deps_vulnerabilities (vuln_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_sbom_scans (
    rsb_id               BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    sbom_format          TEXT NOT NULL DEFAULT 'cyclonedx',  -- cyclonedx | spdx
    sbom_scan            JSONB,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repo_sbom_scans_repo_format UNIQUE (repo_id, sbom_format),
    CONSTRAINT fk_repo_sbom_scans_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.libraries (
    library_id           BIGSERIAL PRIMARY KEY,
    platform             TEXT,
    name                 TEXT,
    created_timestamp    TIMESTAMPTZ,
    updated_timestamp    TIMESTAMPTZ,
    library_description  TEXT,
    keywords             TEXT,
    library_homepage     TEXT,
    license              TEXT,
    version_count        INTEGER,
    latest_release_timestamp TEXT,
    latest_release_number TEXT,
    package_manager_id   TEXT,
    dependency_count     INTEGER,
    dependent_library_count INTEGER,
    primary_language     TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_data.library_dependencies (
    lib_dependency_id    BIGSERIAL PRIMARY KEY,
    library_id           BIGINT NOT NULL,
    manifest_platform    TEXT,
    manifest_filepath    TEXT,
    manifest_kind        TEXT,
    repo_id_branch       TEXT NOT NULL DEFAULT '',
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_library_dependencies_library FOREIGN KEY (library_id)
        REFERENCES aveloxis_data.libraries (library_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_library_dependencies_library_id ON aveloxis_data.library_dependencies (library_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.library_version (
    library_version_id   BIGSERIAL PRIMARY KEY,
    library_id           BIGINT NOT NULL,
    library_platform     TEXT,
    version_number       TEXT,
    version_release_date TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_library_version_library FOREIGN KEY (library_id)
        REFERENCES aveloxis_data.libraries (library_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_library_version_library_id ON aveloxis_data.library_version (library_id);

-- =============================================================================
-- aveloxis_data: ML / topic / network (Augur parity; not populated)
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.lstm_anomaly_models (
    model_id             BIGSERIAL PRIMARY KEY,
    model_name           TEXT,
    model_description    TEXT,
    look_back_days       BIGINT,
    training_days        BIGINT,
    batch_size           BIGINT,
    metric               TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_data.lstm_anomaly_results (
    result_id            BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT,
    repo_category        TEXT,
    model_id             BIGINT,
    metric               TEXT,
    contamination_factor DOUBLE PRECISION,
    mean_absolute_error  DOUBLE PRECISION,
    remarks              TEXT,
    metric_field         TEXT,
    mean_absolute_actual_value DOUBLE PRECISION,
    mean_absolute_prediction_value DOUBLE PRECISION,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_lstm_anomaly_results_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_lstm_anomaly_results_model FOREIGN KEY (model_id)
        REFERENCES aveloxis_data.lstm_anomaly_models (model_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_lstm_anomaly_results_repo_id ON aveloxis_data.lstm_anomaly_results (repo_id);
CREATE INDEX IF NOT EXISTS idx_lstm_anomaly_results_model_id ON aveloxis_data.lstm_anomaly_results (model_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.topic_model_meta (
    model_id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    repo_id              BIGINT,
    model_method         TEXT,
    num_topics           INTEGER,
    num_words_per_topic  INTEGER,
    training_parameters  JSONB,
    model_file_paths     JSONB,
    parameters_hash      TEXT,
    coherence            DOUBLE PRECISION,
    perplexity           DOUBLE PRECISION,
    topic_diversity      DOUBLE PRECISION,
    quality              JSONB,
    training_message_count BIGINT,
    data_fingerprint     JSONB,
    visualization_data   JSONB,
    training_start_time  TIMESTAMPTZ,
    training_end_time    TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_topic_model_meta_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_topic_model_meta_repo_id ON aveloxis_data.topic_model_meta (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.topic_model_event (
    event_id             BIGSERIAL PRIMARY KEY,
    ts                   TIMESTAMPTZ NOT NULL DEFAULT now(),
    repo_id              BIGINT,
    model_id             UUID,
    event                TEXT NOT NULL,
    level                TEXT NOT NULL DEFAULT 'INFO',
    payload              JSONB,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_topic_model_event_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_topic_model_event_model FOREIGN KEY (model_id)
        REFERENCES aveloxis_data.topic_model_meta (model_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_topic_model_event_repo_id ON aveloxis_data.topic_model_event (repo_id);
CREATE INDEX IF NOT EXISTS idx_topic_model_event_model_id ON aveloxis_data.topic_model_event (model_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.topic_words (
    topic_words_id       BIGSERIAL PRIMARY KEY,
    topic_id             BIGINT,
    word                 TEXT,
    word_prob            DOUBLE PRECISION,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_cluster_messages (
    msg_cluster_id       BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT,
    cluster_content      INTEGER,
    cluster_mechanism    INTEGER,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_cluster_messages_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_cluster_messages_repo_id ON aveloxis_data.repo_cluster_messages (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_topic (
    repo_topic_id        BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT,
    topic_id             INTEGER,
    topic_prob           DOUBLE PRECISION,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_topic_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_topic_repo_id ON aveloxis_data.repo_topic (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.network_beyond_augur (
    nba_id               BIGSERIAL PRIMARY KEY,
    cntrb_id             UUID,
    login                TEXT,
    repo_git             TEXT,
    repo_name            TEXT,
    event_type           TEXT,
    event_count          BIGINT,
    first_seen_at        TIMESTAMPTZ,
    last_seen_at         TIMESTAMPTZ,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_network_beyond_augur_cntrb FOREIGN KEY (cntrb_id)
        REFERENCES aveloxis_data.contributors (cntrb_id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_network_beyond_augur_cntrb_id ON aveloxis_data.network_beyond_augur (cntrb_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.network_beyond_augur_dependencies (
    nbad_id              BIGSERIAL PRIMARY KEY,
    repo_git             TEXT,
    dependency_name      TEXT,
    dependency_ecosystem TEXT,
    dependency_version   TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

-- =============================================================================
-- aveloxis_data: facade data mart (plain tables, rebuilt in SQL after git log)
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.dm_repo_annual (
    repo_id              BIGINT NOT NULL,
    email                TEXT NOT NULL,
    affiliation          TEXT NOT NULL DEFAULT '',
    year                 SMALLINT NOT NULL,
    added                BIGINT NOT NULL DEFAULT 0,
    removed              BIGINT NOT NULL DEFAULT 0,
    whitespace           BIGINT NOT NULL DEFAULT 0,
    files                BIGINT NOT NULL DEFAULT 0,
    patches              BIGINT NOT NULL DEFAULT 0,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_dm_repo_annual PRIMARY KEY (repo_id, email, affiliation, year),
    CONSTRAINT fk_dm_repo_annual_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.dm_repo_monthly (
    repo_id              BIGINT NOT NULL,
    email                TEXT NOT NULL,
    affiliation          TEXT NOT NULL DEFAULT '',
    month                SMALLINT NOT NULL,
    year                 SMALLINT NOT NULL,
    added                BIGINT NOT NULL DEFAULT 0,
    removed              BIGINT NOT NULL DEFAULT 0,
    whitespace           BIGINT NOT NULL DEFAULT 0,
    files                BIGINT NOT NULL DEFAULT 0,
    patches              BIGINT NOT NULL DEFAULT 0,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_dm_repo_monthly PRIMARY KEY (repo_id, email, affiliation, year, month),
    CONSTRAINT fk_dm_repo_monthly_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.dm_repo_weekly (
    repo_id              BIGINT NOT NULL,
    email                TEXT NOT NULL,
    affiliation          TEXT NOT NULL DEFAULT '',
    week                 SMALLINT NOT NULL,
    year                 SMALLINT NOT NULL,
    added                BIGINT NOT NULL DEFAULT 0,
    removed              BIGINT NOT NULL DEFAULT 0,
    whitespace           BIGINT NOT NULL DEFAULT 0,
    files                BIGINT NOT NULL DEFAULT 0,
    patches              BIGINT NOT NULL DEFAULT 0,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_dm_repo_weekly PRIMARY KEY (repo_id, email, affiliation, year, week),
    CONSTRAINT fk_dm_repo_weekly_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.dm_repo_group_annual (
    repo_group_id        BIGINT NOT NULL,
    email                TEXT NOT NULL,
    affiliation          TEXT NOT NULL DEFAULT '',
    year                 SMALLINT NOT NULL,
    added                BIGINT NOT NULL DEFAULT 0,
    removed              BIGINT NOT NULL DEFAULT 0,
    whitespace           BIGINT NOT NULL DEFAULT 0,
    files                BIGINT NOT NULL DEFAULT 0,
    patches              BIGINT NOT NULL DEFAULT 0,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_dm_repo_group_annual PRIMARY KEY (repo_group_id, email, affiliation, year),
    CONSTRAINT fk_dm_repo_group_annual_group FOREIGN KEY (repo_group_id)
        REFERENCES aveloxis_data.repo_groups (repo_group_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.dm_repo_group_monthly (
    repo_group_id        BIGINT NOT NULL,
    email                TEXT NOT NULL,
    affiliation          TEXT NOT NULL DEFAULT '',
    month                SMALLINT NOT NULL,
    year                 SMALLINT NOT NULL,
    added                BIGINT NOT NULL DEFAULT 0,
    removed              BIGINT NOT NULL DEFAULT 0,
    whitespace           BIGINT NOT NULL DEFAULT 0,
    files                BIGINT NOT NULL DEFAULT 0,
    patches              BIGINT NOT NULL DEFAULT 0,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_dm_repo_group_monthly PRIMARY KEY (repo_group_id, email, affiliation, year, month),
    CONSTRAINT fk_dm_repo_group_monthly_group FOREIGN KEY (repo_group_id)
        REFERENCES aveloxis_data.repo_groups (repo_group_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.dm_repo_group_weekly (
    repo_group_id        BIGINT NOT NULL,
    email                TEXT NOT NULL,
    affiliation          TEXT NOT NULL DEFAULT '',
    week                 SMALLINT NOT NULL,
    year                 SMALLINT NOT NULL,
    added                BIGINT NOT NULL DEFAULT 0,
    removed              BIGINT NOT NULL DEFAULT 0,
    whitespace           BIGINT NOT NULL DEFAULT 0,
    files                BIGINT NOT NULL DEFAULT 0,
    patches              BIGINT NOT NULL DEFAULT 0,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_dm_repo_group_weekly PRIMARY KEY (repo_group_id, email, affiliation, year, week),
    CONSTRAINT fk_dm_repo_group_weekly_group FOREIGN KEY (repo_group_id)
        REFERENCES aveloxis_data.repo_groups (repo_group_id)
        DEFERRABLE INITIALLY DEFERRED
);

-- =============================================================================
-- aveloxis_data: code analysis
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_labor (
    repo_labor_id        BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    repo_clone_date      TIMESTAMPTZ,
    rl_analysis_date     TIMESTAMPTZ NOT NULL,
    programming_language TEXT,
    file_path            TEXT NOT NULL DEFAULT '',
    file_name            TEXT NOT NULL DEFAULT '',
    total_lines          INTEGER,
    code_lines           INTEGER,
    comment_lines        INTEGER,
    blank_lines          INTEGER,
    code_complexity      INTEGER,
    repo_url             TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_repo_labor_key UNIQUE (repo_id, rl_analysis_date, file_path, file_name),
    CONSTRAINT fk_repo_labor_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_meta (
    rmeta_id             BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    rmeta_name           TEXT,
    rmeta_value          TEXT DEFAULT '0',
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_meta_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_meta_repo_id ON aveloxis_data.repo_meta (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_stats (
    rstat_id             BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    rstat_name           TEXT,
    rstat_value          BIGINT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_stats_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_stats_repo_id ON aveloxis_data.repo_stats (repo_id);

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_test_coverage (
    repo_test_coverage_id BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    repo_clone_date      TIMESTAMPTZ,
    rtc_analysis_date    TIMESTAMPTZ,
    programming_language TEXT,
    file_path            TEXT,
    file_name            TEXT,
    testing_tool         TEXT,
    file_statement_count BIGINT,
    file_subroutine_count BIGINT,
    file_statements_tested BIGINT,
    file_subroutines_tested BIGINT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repo_test_coverage_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repo_test_coverage_repo_id ON aveloxis_data.repo_test_coverage (repo_id);

-- =============================================================================
-- aveloxis_data: CHAOSS (parity)
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.chaoss_metric_status (
    cms_id               BIGSERIAL PRIMARY KEY,
    cm_group             TEXT,
    cm_source            TEXT,
    cm_type              TEXT,
    cm_backend_status    TEXT,
    cm_frontend_status   TEXT,
    cm_defined           BOOLEAN,
    cm_api_endpoint_repo TEXT,
    cm_api_endpoint_rg   TEXT,
    cm_name              TEXT,
    cm_working_group     TEXT,
    cm_info              JSONB,
    cm_working_group_focus_area TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_data.chaoss_user (
    chaoss_id            BIGSERIAL PRIMARY KEY,
    chaoss_login_name    TEXT,
    chaoss_login_hashword TEXT,
    chaoss_email         TEXT,
    chaoss_text_phone    TEXT,
    chaoss_first_name    TEXT,
    chaoss_last_name     TEXT,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_chaoss_user_email UNIQUE (chaoss_email)
);

-- =============================================================================
-- aveloxis_data: misc (facade working tables, Augur parity)
-- =============================================================================

CREATE TABLE IF NOT EXISTS aveloxis_data.exclude (
    id                   BIGSERIAL PRIMARY KEY,
    projects_id          INTEGER NOT NULL DEFAULT 0,
    email                TEXT DEFAULT 'NULL',
    domain               TEXT DEFAULT 'NULL',
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

-- Previous repo_git values of moved/renamed repos (written by UpdateRepoURLs).
CREATE TABLE IF NOT EXISTS aveloxis_data.historical_repo_urls (
    repo_id              BIGINT NOT NULL,
    git_url              TEXT NOT NULL,
    date_collected       TIMESTAMPTZ NOT NULL DEFAULT now(),
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_historical_repo_urls PRIMARY KEY (repo_id, git_url),
    CONSTRAINT fk_historical_repo_urls_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_historical_repo_urls_git_url ON aveloxis_data.historical_repo_urls (lower(git_url));

CREATE TABLE IF NOT EXISTS aveloxis_data.repos_fetch_log (
    repos_fetch_log_id   BIGSERIAL PRIMARY KEY,
    repos_id             BIGINT NOT NULL,
    status               TEXT NOT NULL,
    date                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repos_fetch_log_repo FOREIGN KEY (repos_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_repos_fetch_log_repos_id ON aveloxis_data.repos_fetch_log (repos_id, date);

CREATE TABLE IF NOT EXISTS aveloxis_data.settings (
    id                   BIGSERIAL PRIMARY KEY,
    setting              TEXT NOT NULL,
    value                TEXT NOT NULL,
    last_modified        TIMESTAMPTZ NOT NULL DEFAULT now(),
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT uq_settings_setting UNIQUE (setting)
);

CREATE TABLE IF NOT EXISTS aveloxis_data.unknown_cache (
    unknown_cache_id     BIGSERIAL PRIMARY KEY,
    type                 TEXT NOT NULL,
    repo_group_id        BIGINT NOT NULL,
    email                TEXT NOT NULL,
    domain               TEXT DEFAULT 'NULL',
    added                BIGINT NOT NULL DEFAULT 0,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_data.utility_log (
    id                   BIGSERIAL PRIMARY KEY,
    level                TEXT NOT NULL,
    status               TEXT NOT NULL,
    attempted            TIMESTAMPTZ NOT NULL DEFAULT now(),
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

-- Facade crash-recovery marker: commits being analysed for a repo.
CREATE TABLE IF NOT EXISTS aveloxis_data.working_commits (
    repos_id             BIGINT NOT NULL,
    working_commit       TEXT NOT NULL,
    tool_source          TEXT DEFAULT 'aveloxis',
    tool_version         TEXT DEFAULT '',
    data_source          TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT pk_working_commits PRIMARY KEY (repos_id, working_commit),
    CONSTRAINT fk_working_commits_repo FOREIGN KEY (repos_id)
        REFERENCES aveloxis_data.repos (repo_id)
        DEFERRABLE INITIALLY DEFERRED
);

-- =============================================================================
-- aveloxis_ops: operational state
-- (schema_migrations and schema_meta are created by the migration engine.)
-- =============================================================================

-- Postgres-backed work queue: claim with
--   UPDATE ... WHERE repo_id = (SELECT repo_id ... WHERE status = 'queued'
--   AND due_at <= now() ORDER BY priority, due_at LIMIT 1 FOR UPDATE SKIP LOCKED)
CREATE TABLE IF NOT EXISTS aveloxis_ops.collection_queue (
    repo_id              BIGINT PRIMARY KEY,
    priority             INTEGER NOT NULL DEFAULT 100,   -- lower = sooner; 0 = immediate
    status               TEXT NOT NULL DEFAULT 'queued',
    due_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    locked_by            TEXT,                           -- worker id (hostname-HHMMSS)
    locked_at            TIMESTAMPTZ,
    heartbeat_at         TIMESTAMPTZ,
    force_full_collect   BOOLEAN NOT NULL DEFAULT false,
    last_collected       TIMESTAMPTZ,
    last_error           TEXT,
    last_duration_ms     BIGINT,
    last_issues          BIGINT NOT NULL DEFAULT 0,
    last_prs             BIGINT NOT NULL DEFAULT 0,
    last_messages        BIGINT NOT NULL DEFAULT 0,
    last_events          BIGINT NOT NULL DEFAULT 0,
    last_releases        BIGINT NOT NULL DEFAULT 0,
    last_contributors    BIGINT NOT NULL DEFAULT 0,
    last_commits         BIGINT NOT NULL DEFAULT 0,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_collection_queue_status CHECK (status IN ('queued', 'collecting')),
    CONSTRAINT ck_collection_queue_lock CHECK ((status = 'collecting') = (locked_by IS NOT NULL)),
    CONSTRAINT fk_collection_queue_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_queue_due
    ON aveloxis_ops.collection_queue (priority, due_at) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS idx_queue_collecting
    ON aveloxis_ops.collection_queue (locked_by, heartbeat_at) WHERE status = 'collecting';

-- Augur-style per-phase status (one row per repo).
CREATE TABLE IF NOT EXISTS aveloxis_ops.collection_status (
    repo_id              BIGINT PRIMARY KEY,
    core_status          TEXT NOT NULL DEFAULT 'Pending',
    core_task_id         TEXT,
    core_data_last_collected TIMESTAMPTZ,
    core_weight          BIGINT,
    secondary_status     TEXT NOT NULL DEFAULT 'Pending',
    secondary_task_id    TEXT,
    secondary_data_last_collected TIMESTAMPTZ,
    secondary_weight     BIGINT,
    facade_status        TEXT NOT NULL DEFAULT 'Pending',
    facade_task_id       TEXT,
    facade_data_last_collected TIMESTAMPTZ,
    facade_weight        BIGINT,
    ml_status            TEXT NOT NULL DEFAULT 'Pending',
    ml_task_id           TEXT,
    ml_data_last_collected TIMESTAMPTZ,
    ml_weight            BIGINT,
    event_last_collected TIMESTAMPTZ,
    issue_pr_sum         BIGINT,
    commit_sum           BIGINT,
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fk_collection_status_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- Phase 1 writes raw forge payloads here; phase 2 drains them in FK order.
CREATE TABLE IF NOT EXISTS aveloxis_ops.staging (
    staging_id           BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    platform_id          SMALLINT NOT NULL,
    entity_type          TEXT NOT NULL,   -- issue, pull_request, issue_event, pr_event, message,
                                          -- review_comment, release, contributor, repo_info, clone_stats
    payload              JSONB NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed            BOOLEAN NOT NULL DEFAULT false,
    processed_at         TIMESTAMPTZ,
    error                TEXT,
    CONSTRAINT fk_staging_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_staging_repo_id ON aveloxis_ops.staging (repo_id);
CREATE INDEX IF NOT EXISTS idx_staging_pending
    ON aveloxis_ops.staging (repo_id, entity_type, staging_id) WHERE NOT processed;
CREATE INDEX IF NOT EXISTS idx_staging_processed_created
    ON aveloxis_ops.staging (created_at) WHERE processed;

-- Items the collector could not write (a value that is not of its column's type, an item
-- without its identity, a malformed page), and items it wrote with a repaired value (a commit
-- date with an impossible time-zone offset, stored in UTC): each with the item as received and
-- why. One row per distinct item; seeing it again counts it.
CREATE TABLE IF NOT EXISTS aveloxis_ops.quarantine (
    quarantine_id        BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    staging_id           BIGINT,          -- the staged page it came from (pages are purged; the item is kept here)
    entity_type          TEXT NOT NULL,   -- the staged entity (issues, pulls, ...), 'commit' for the facade
    target               TEXT NOT NULL DEFAULT '',  -- the table the row was for ('' for a whole item or page)
    item                 JSONB NOT NULL,  -- the item (or page) as the forge or git gave it
    reason               TEXT NOT NULL,
    action               TEXT NOT NULL DEFAULT 'held',  -- held: not written; normalised: written repaired
    fingerprint          TEXT NOT NULL,   -- md5 of the item's text
    times_seen           INTEGER NOT NULL DEFAULT 1,
    first_seen_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_quarantine_action CHECK (action IN ('held', 'normalised')),
    CONSTRAINT uq_quarantine_item UNIQUE (repo_id, entity_type, target, fingerprint),
    CONSTRAINT fk_quarantine_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_quarantine_repo_seen
    ON aveloxis_ops.quarantine (repo_id, last_seen_at);

-- API keys: Augur's columns (NOT NULL text columns default to '') + rate_limit.
CREATE TABLE IF NOT EXISTS aveloxis_ops.worker_oauth (
    oauth_id             BIGSERIAL PRIMARY KEY,
    name                 TEXT NOT NULL DEFAULT '',
    consumer_key         TEXT NOT NULL DEFAULT '',
    consumer_secret      TEXT NOT NULL DEFAULT '',
    access_token         TEXT NOT NULL,
    access_token_secret  TEXT NOT NULL DEFAULT '',
    repo_directory       TEXT,
    platform             TEXT NOT NULL DEFAULT 'github',
    rate_limit           INTEGER NOT NULL DEFAULT 5000,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_worker_oauth_platform CHECK (platform IN ('github', 'gitlab')),
    CONSTRAINT ck_worker_oauth_token_nonempty CHECK (access_token <> ''),
    CONSTRAINT uq_worker_oauth_token_platform UNIQUE (access_token, platform)
);

-- ---------------------------------------------------------------- users/auth
CREATE TABLE IF NOT EXISTS aveloxis_ops.users (
    user_id              BIGSERIAL PRIMARY KEY,
    login_name           TEXT NOT NULL,
    login_hashword       TEXT,
    email                TEXT,
    text_phone           TEXT,
    first_name           TEXT,
    last_name            TEXT,
    admin                BOOLEAN NOT NULL DEFAULT false,
    email_verified       BOOLEAN NOT NULL DEFAULT false,
    oauth_provider       TEXT,                 -- github | gitlab
    oauth_token          TEXT,
    gh_user_id           BIGINT,
    gh_login             TEXT,
    gl_user_id           BIGINT,
    gl_username          TEXT,
    avatar_url           TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at        TIMESTAMPTZ,
    CONSTRAINT uq_users_login_name UNIQUE (login_name)
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_users_gh_user_id ON aveloxis_ops.users (gh_user_id) WHERE gh_user_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS uq_users_gl_user_id ON aveloxis_ops.users (gl_user_id) WHERE gl_user_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS aveloxis_ops.user_groups (
    group_id             BIGSERIAL PRIMARY KEY,
    user_id              BIGINT NOT NULL,
    name                 TEXT NOT NULL,
    favorited            BOOLEAN NOT NULL DEFAULT false,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_user_groups_user_name UNIQUE (user_id, name),
    CONSTRAINT fk_user_groups_user FOREIGN KEY (user_id)
        REFERENCES aveloxis_ops.users (user_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.user_repos (
    group_id             BIGINT NOT NULL,
    repo_id              BIGINT NOT NULL,
    added_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_user_repos PRIMARY KEY (group_id, repo_id),
    CONSTRAINT fk_user_repos_group FOREIGN KEY (group_id)
        REFERENCES aveloxis_ops.user_groups (group_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_user_repos_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_user_repos_repo_id ON aveloxis_ops.user_repos (repo_id);

-- Orgs a group follows; re-scanned periodically for new repos.
CREATE TABLE IF NOT EXISTS aveloxis_ops.user_org_requests (
    request_id           BIGSERIAL PRIMARY KEY,
    group_id             BIGINT NOT NULL,
    org_url              TEXT NOT NULL,
    platform_id          SMALLINT NOT NULL DEFAULT 1,
    last_scanned_at      TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_user_org_requests_group_url UNIQUE (group_id, org_url),
    CONSTRAINT fk_user_org_requests_group FOREIGN KEY (group_id)
        REFERENCES aveloxis_ops.user_groups (group_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_user_org_requests_scan ON aveloxis_ops.user_org_requests (last_scanned_at);

CREATE TABLE IF NOT EXISTS aveloxis_ops.client_applications (
    id                   TEXT PRIMARY KEY,
    api_key              TEXT NOT NULL,
    user_id              BIGINT NOT NULL,
    name                 TEXT NOT NULL,
    redirect_url         TEXT NOT NULL DEFAULT '',
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_client_applications_api_key UNIQUE (api_key),
    CONSTRAINT fk_client_applications_user FOREIGN KEY (user_id)
        REFERENCES aveloxis_ops.users (user_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_client_applications_user_id ON aveloxis_ops.client_applications (user_id);

CREATE TABLE IF NOT EXISTS aveloxis_ops.user_session_tokens (
    token                TEXT PRIMARY KEY,
    user_id              BIGINT NOT NULL,
    application_id       TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    expiration           TIMESTAMPTZ,
    CONSTRAINT fk_user_session_tokens_user FOREIGN KEY (user_id)
        REFERENCES aveloxis_ops.users (user_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_user_session_tokens_app FOREIGN KEY (application_id)
        REFERENCES aveloxis_ops.client_applications (id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_user_session_tokens_user_id ON aveloxis_ops.user_session_tokens (user_id);
CREATE INDEX IF NOT EXISTS idx_user_session_tokens_app_id ON aveloxis_ops.user_session_tokens (application_id);

CREATE TABLE IF NOT EXISTS aveloxis_ops.refresh_tokens (
    id                   TEXT PRIMARY KEY,
    user_session_token   TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_refresh_tokens_session UNIQUE (user_session_token),
    CONSTRAINT fk_refresh_tokens_session FOREIGN KEY (user_session_token)
        REFERENCES aveloxis_ops.user_session_tokens (token)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.subscription_types (
    id                   BIGSERIAL PRIMARY KEY,
    name                 TEXT NOT NULL,
    CONSTRAINT uq_subscription_types_name UNIQUE (name)
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.subscriptions (
    application_id       TEXT NOT NULL,
    type_id              BIGINT NOT NULL,
    CONSTRAINT pk_subscriptions PRIMARY KEY (application_id, type_id),
    CONSTRAINT fk_subscriptions_app FOREIGN KEY (application_id)
        REFERENCES aveloxis_ops.client_applications (id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT fk_subscriptions_type FOREIGN KEY (type_id)
        REFERENCES aveloxis_ops.subscription_types (id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_subscriptions_type_id ON aveloxis_ops.subscriptions (type_id);

-- ---------------------------------------------------------------- settings
CREATE TABLE IF NOT EXISTS aveloxis_ops.augur_settings (
    id                   BIGSERIAL PRIMARY KEY,
    setting              TEXT NOT NULL,
    value                TEXT,
    last_modified        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_augur_settings_setting UNIQUE (setting)
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.config (
    id                   SERIAL PRIMARY KEY,
    section_name         TEXT NOT NULL,
    setting_name         TEXT NOT NULL,
    value                TEXT,
    type                 TEXT,
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_config_section_setting UNIQUE (section_name, setting_name),
    CONSTRAINT ck_config_matview_rebuild_day CHECK (
        NOT (section_name = 'collection' AND setting_name = 'matview_rebuild_day')
        OR lower(value) IN ('monday', 'tuesday', 'wednesday', 'thursday', 'friday',
                            'saturday', 'sunday', 'disabled'))
);

-- Weekly materialized-view rebuild day (a weekday name, or 'disabled').
INSERT INTO aveloxis_ops.config (section_name, setting_name, value, type)
VALUES ('collection', 'matview_rebuild_day', 'saturday', 'str')
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------- Augur parity
CREATE TABLE IF NOT EXISTS aveloxis_ops.github_users (
    github_user_id       BIGSERIAL PRIMARY KEY,
    login                TEXT NOT NULL,
    gh_user_id           BIGINT,
    email                TEXT,
    name                 TEXT,
    company              TEXT,
    location             TEXT,
    affiliation          TEXT,
    created_at           TIMESTAMPTZ,
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_github_users_login UNIQUE (login)
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.network_weighted_commits (
    id                   BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT,
    cntrb_id             UUID,
    login                TEXT,
    weight               NUMERIC,
    period_start         TIMESTAMPTZ,
    period_end           TIMESTAMPTZ,
    computed_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.network_weighted_issues (
    id                   BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT,
    cntrb_id             UUID,
    login                TEXT,
    weight               NUMERIC,
    period_start         TIMESTAMPTZ,
    period_end           TIMESTAMPTZ,
    computed_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.network_weighted_pr_reviews (
    id                   BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT,
    cntrb_id             UUID,
    login                TEXT,
    weight               NUMERIC,
    period_start         TIMESTAMPTZ,
    period_end           TIMESTAMPTZ,
    computed_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.network_weighted_prs (
    id                   BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT,
    cntrb_id             UUID,
    login                TEXT,
    weight               NUMERIC,
    period_start         TIMESTAMPTZ,
    period_end           TIMESTAMPTZ,
    computed_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.worker_history (
    history_id           BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT,
    worker               TEXT NOT NULL,
    job_model            TEXT NOT NULL,
    oauth_id             BIGINT,
    "timestamp"          TIMESTAMPTZ NOT NULL DEFAULT now(),
    status               TEXT NOT NULL,
    total_results        INTEGER
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.worker_job (
    job_model            TEXT PRIMARY KEY,
    state                INTEGER NOT NULL DEFAULT 0,
    zombie_head          INTEGER,
    since_id_str         TEXT NOT NULL DEFAULT '0',
    description          TEXT DEFAULT 'None',
    last_count           INTEGER,
    last_run             TIMESTAMPTZ,
    analysis_state       INTEGER DEFAULT 0,
    oauth_remaining      INTEGER
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.worker_settings_facade (
    id                   BIGSERIAL PRIMARY KEY,
    setting              TEXT NOT NULL,
    value                TEXT NOT NULL,
    last_modified        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_worker_settings_facade_setting UNIQUE (setting)
);

CREATE TABLE IF NOT EXISTS aveloxis_ops.repos_fetch_log (
    repos_fetch_log_id   BIGSERIAL PRIMARY KEY,
    repos_id             BIGINT NOT NULL,
    status               TEXT NOT NULL,
    date                 TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_ops_repos_fetch_log_repos_id ON aveloxis_ops.repos_fetch_log (repos_id, date);

CREATE TABLE IF NOT EXISTS aveloxis_ops.working_commits (
    repos_id             BIGINT NOT NULL,
    working_commit       TEXT NOT NULL,
    CONSTRAINT pk_ops_working_commits PRIMARY KEY (repos_id, working_commit)
);

-- ---------------------------------------------------------------- Aveloxis extras
-- Foundation catalogue imports (CNCF landscape, Apache projects/podlings).
CREATE TABLE IF NOT EXISTS aveloxis_ops.foundation_membership (
    foundation           TEXT NOT NULL,
    project_name         TEXT NOT NULL,
    repo_url             TEXT NOT NULL,
    repo_id              BIGINT,
    project_status       TEXT,
    imported_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_foundation_membership PRIMARY KEY (foundation, project_name, repo_url),
    CONSTRAINT fk_foundation_membership_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_foundation_membership_repo_id ON aveloxis_ops.foundation_membership (repo_id);

-- Step 0011: optional endpoints that answered a known "none" on a repository's last fetch
-- (410 issues disabled, 204 empty repository, 403 too large to list, ...); replaced by each run.
CREATE TABLE IF NOT EXISTS aveloxis_ops.endpoint_notes (
    repo_id              BIGINT NOT NULL,
    endpoint             TEXT NOT NULL,
    status               SMALLINT NOT NULL,
    reason               TEXT NOT NULL,
    message              TEXT,
    noted_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_endpoint_notes PRIMARY KEY (repo_id, endpoint),
    CONSTRAINT fk_endpoint_notes_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- Step 0014: the tree each repository's labor (repo_labor) was counted from; a tree already
-- counted is not counted again.
CREATE TABLE IF NOT EXISTS aveloxis_ops.labor_scans (
    repo_id              BIGINT NOT NULL,
    tree_id              TEXT NOT NULL,
    files                BIGINT NOT NULL,
    scanned_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_labor_scans PRIMARY KEY (repo_id),
    CONSTRAINT fk_labor_scans_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- Step 0016: where a listing a run left half-way stands: its pages so far are staged, the next run asks
-- for the rest instead of starting again. A row lives only while its listing is unfinished.
CREATE TABLE IF NOT EXISTS aveloxis_ops.listing_cursors (
    repo_id              BIGINT NOT NULL,
    listing              TEXT NOT NULL,   -- the listing's first URL (window included)
    next_url             TEXT NOT NULL,
    pages                INTEGER NOT NULL DEFAULT 0,
    started_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_listing_cursors PRIMARY KEY (repo_id, listing),
    CONSTRAINT fk_listing_cursors_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- The parents (pull requests) whose child listings (reviews, commits, files) are staged, and
-- the parent's update time they were fetched for: a parent is fetched again only once it moved.
CREATE TABLE IF NOT EXISTS aveloxis_ops.children_fetched (
    repo_id              BIGINT NOT NULL,
    parent               TEXT NOT NULL,   -- pull
    number               BIGINT NOT NULL,
    parent_updated_at    TIMESTAMPTZ,
    fetched_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_children_fetched PRIMARY KEY (repo_id, parent, number),
    CONSTRAINT fk_children_fetched_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- One row per materialized-view refresh (drives the weekly rebuild check and
-- `refresh-views` reporting).
CREATE TABLE IF NOT EXISTS aveloxis_ops.matview_refresh_log (
    refresh_id           BIGSERIAL PRIMARY KEY,
    matview_name         TEXT NOT NULL,
    was_concurrent       BOOLEAN NOT NULL DEFAULT false,
    refresh_trigger      TEXT NOT NULL DEFAULT 'manual',  -- manual | weekly | startup
    started_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at          TIMESTAMPTZ,
    error                TEXT
);
CREATE INDEX IF NOT EXISTS idx_matview_refresh_log_name ON aveloxis_ops.matview_refresh_log (matview_name, started_at);
