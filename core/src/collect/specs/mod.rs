//! Upsert specifications of every collected table (shared by the GitHub and GitLab mappers),
//! and the natural key of every table anything writes by key: the one place keys are stated.
//! The test suite checks each key against a valid, non-partial unique index of the live catalog
//! and each `ON CONFLICT (…)` of the write path against these keys.
//!
//! Child tables name their parent by natural key; the joins below resolve surrogate ids.

mod issues;
mod messages;
mod people;
mod pulls;
mod spec;

pub use spec::Spec;

const ISSUE_JOIN: &str = "JOIN aveloxis_data.issues i ON i.repo_id = x.repo_id AND i.platform_issue_id = x.platform_issue_id";
const ISSUE_REQ: (&str, &str) = (
    "aveloxis_data.issues i",
    "i.repo_id = x.repo_id AND i.platform_issue_id = x.platform_issue_id",
);
const PR_JOIN: &str =
    "JOIN aveloxis_data.pull_requests p ON p.repo_id = x.repo_id AND p.pr_number = x.pr_number";
const PR_REQ: (&str, &str) = (
    "aveloxis_data.pull_requests p",
    "p.repo_id = x.repo_id AND p.pr_number = x.pr_number",
);

/// Declares [`Entity`] from one list, so the enum, its spec, its mapper key and [`all`] cannot
/// disagree: a spec missing here is dead code, a variant without a spec does not compile.
macro_rules! entities {
    ($($(#[$doc:meta])* $variant:ident = $key:literal => $spec:path,)*) => {
        /// A kind of mapped row: one collected table with its upsert [`Spec`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Entity {
            $($(#[$doc])* $variant,)*
        }

        impl Entity {
            /// Every entity, parents before children (the order rows are written in).
            pub const ALL: &'static [Entity] = &[$(Entity::$variant,)*];

            /// How rows of this entity are upserted.
            pub fn spec(self) -> &'static Spec {
                match self {
                    $(Entity::$variant => &$spec,)*
                }
            }

            /// The key the mappers file rows of this entity under (and `Counts` reports).
            pub fn key(self) -> &'static str {
                match self {
                    $(Entity::$variant => $key,)*
                }
            }
        }
    };
}

entities! {
    Contributors = "contributors" => people::CONTRIBUTORS,
    Identities = "identities" => people::IDENTITIES,
    Releases = "releases" => people::RELEASES,
    Issues = "issues" => issues::ISSUES,
    IssueLabels = "issue_labels" => issues::ISSUE_LABELS,
    IssueAssignees = "issue_assignees" => issues::ISSUE_ASSIGNEES,
    PullRequests = "pulls" => pulls::PULL_REQUESTS,
    PrLabels = "pr_labels" => pulls::PR_LABELS,
    PrAssignees = "pr_assignees" => pulls::PR_ASSIGNEES,
    PrReviewers = "pr_reviewers" => pulls::PR_REVIEWERS,
    PrMeta = "pr_meta" => pulls::PR_META,
    PrReviews = "pr_reviews" => pulls::PR_REVIEWS,
    PrCommits = "pr_commits" => pulls::PR_COMMITS,
    PrFiles = "pr_files" => pulls::PR_FILES,
    IssueEvents = "issue_events" => messages::ISSUE_EVENTS,
    PrEvents = "pr_events" => messages::PR_EVENTS,
    Messages = "messages" => messages::MESSAGES,
    IssueMessageRef = "issue_msg_refs" => messages::ISSUE_MESSAGE_REF,
    PrMessageRef = "pr_msg_refs" => messages::PR_MESSAGE_REF,
    ReviewMessageRef = "review_refs" => messages::REVIEW_MESSAGE_REF,
    ReviewComments = "review_comments" => messages::REVIEW_COMMENTS,
    RepoClones = "clones" => people::REPO_CLONES,
}

impl Entity {
    /// The entity the mappers file under `key`.
    pub fn from_key(key: &str) -> Option<Entity> {
        Entity::ALL.iter().copied().find(|e| e.key() == key)
    }

    /// Qualified name of the table.
    pub fn table(self) -> &'static str {
        self.spec().table
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.table())
    }
}

/// Every entity in write order: parents before children.
pub fn all() -> &'static [Entity] {
    Entity::ALL
}

/// Natural keys of the tables written by key outside the specs (repositories, commits, the
/// queue, keys, settings, …) and of Augur-compatible tables other tools upsert into.
pub const OTHER_KEYS: &[(&str, &[&str])] = &[
    ("aveloxis_data.repo_groups", &["rg_type", "rg_name"]),
    ("aveloxis_data.repos", &["repo_git"]),
    (
        "aveloxis_data.contributor_login_history",
        &["cntrb_id", "platform_id", "login"],
    ),
    ("aveloxis_data.contributors_aliases", &["alias_email"]),
    ("aveloxis_data.contributor_affiliations", &["ca_domain"]),
    ("aveloxis_data.contributor_repo", &["cntrb_id", "event_id"]),
    ("aveloxis_data.unresolved_commit_emails", &["email"]),
    (
        "aveloxis_data.commits",
        &["repo_id", "cmt_commit_hash", "cmt_filename"],
    ),
    (
        "aveloxis_data.commit_parents",
        &["repo_id", "cmt_commit_hash", "parent_commit_hash"],
    ),
    ("aveloxis_data.commit_messages", &["repo_id", "cmt_hash"]),
    ("aveloxis_data.commit_comment_ref", &["cmt_comment_src_id"]),
    (
        "aveloxis_data.pull_request_repo",
        &["pr_repo_meta_id", "pr_repo_head_or_base"],
    ),
    (
        "aveloxis_data.pull_request_teams",
        &["pull_request_id", "pr_src_team_id"],
    ),
    ("aveloxis_data.repo_info", &["repo_id"]),
    ("aveloxis_data.dei_badging", &["repo_id", "badging_id"]),
    (
        "aveloxis_data.repo_dependencies",
        &["repo_id", "dep_language", "dep_name"],
    ),
    (
        "aveloxis_data.repo_deps_libyear",
        &["repo_id", "package_manager", "name", "requirement"],
    ),
    ("aveloxis_data.repo_deps_scorecard", &["repo_id", "name"]),
    (
        "aveloxis_data.repo_deps_vulnerabilities",
        &[
            "repo_id",
            "ecosystem",
            "package_name",
            "package_version",
            "vuln_id",
        ],
    ),
    ("aveloxis_data.repo_sbom_scans", &["repo_id", "sbom_format"]),
    (
        "aveloxis_data.repo_labor",
        &["repo_id", "rl_analysis_date", "file_path", "file_name"],
    ),
    (
        "aveloxis_data.historical_repo_urls",
        &["repo_id", "git_url"],
    ),
    (
        "aveloxis_data.working_commits",
        &["repos_id", "working_commit"],
    ),
    ("aveloxis_ops.collection_queue", &["repo_id"]),
    ("aveloxis_ops.collection_status", &["repo_id"]),
    (
        "aveloxis_ops.quarantine",
        &["repo_id", "entity_type", "target", "fingerprint"],
    ),
    ("aveloxis_ops.worker_oauth", &["access_token", "platform"]),
    ("aveloxis_ops.users", &["login_name"]),
    ("aveloxis_ops.user_groups", &["user_id", "name"]),
    ("aveloxis_ops.user_repos", &["group_id", "repo_id"]),
    ("aveloxis_ops.user_org_requests", &["group_id", "org_url"]),
    ("aveloxis_ops.config", &["section_name", "setting_name"]),
    (
        "aveloxis_ops.foundation_membership",
        &["foundation", "project_name", "repo_url"],
    ),
];

/// Every natural key: each spec's, then [`OTHER_KEYS`].
pub fn natural_keys() -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
    all()
        .iter()
        .map(|e| (e.table(), e.spec().key))
        .chain(OTHER_KEYS.iter().copied())
}
