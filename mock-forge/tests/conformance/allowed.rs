//! Where a real recording and the mock legitimately differ, each with the
//! reason; the mock's known deviations; recordings the mock does not render.
//!
//! A difference is written as the comparison prints it (`extra a.b`,
//! `missing [].c`); one `*` matches any run of characters. Recording dates
//! are those of `core/tests/fixtures/real/SOURCES.md`.

/// (fixture, difference, why it is legitimate).
pub const ALLOWED: &[(&str, &str, &str)] = &[
    // Fields GitHub added after an old recording was made.
    (
        "github/user_with_company.json",
        "extra user_view_type",
        "recorded 2023-05; user_view_type came in 2024 (user.json, 2025-01, has it)",
    ),
    (
        "github/user_orgs.json",
        "extra [].node_id",
        "recorded 2017-12, before REST objects carried node_id (2018)",
    ),
    (
        "github/contributor.json",
        "extra [].node_id",
        "recorded 2018-01, before contributors carried node_id",
    ),
    (
        "github/contributor.json",
        "extra [].user_view_type",
        "recorded 2018-01; user_view_type came in 2024",
    ),
    (
        "github/search_users.json",
        "extra incomplete_results",
        "recorded 2014-03, before search answers carried incomplete_results",
    ),
    (
        "github/search_users.json",
        "extra items.[].node_id",
        "recorded 2014-03, before node_id (2018)",
    ),
    (
        "github/search_users.json",
        "extra items.[].user_view_type",
        "recorded 2014-03; user_view_type came in 2024",
    ),
    (
        "github/issues_list.json",
        "extra [].sub_issues_summary",
        "recorded 2022-07; sub-issues came in 2025 (issue.json, 2025-08, has it)",
    ),
    (
        "github/issues_list.json",
        "extra [].issue_dependencies_summary",
        "recorded 2022-07; issue dependencies came in 2025 (issue.json has it)",
    ),
    (
        "github/issues_list.json",
        "extra [].type",
        "recorded 2022-07; issue types came in 2025 (issue.json has it)",
    ),
    (
        "github/issues_list.json",
        "extra [].user.user_view_type",
        "recorded 2022-07; user_view_type came in 2024",
    ),
    (
        "github/issue_events.json",
        "extra *node_id",
        "recorded 2018-01, before events, actors and issues carried node_id",
    ),
    (
        "github/issue_events.json",
        "extra *user_view_type",
        "recorded 2018-01; user_view_type came in 2024",
    ),
    (
        "github/issue_events.json",
        "extra *performed_via_github_app",
        "recorded 2018-01; GitHub Apps attribution came in 2020",
    ),
    (
        "github/issue_events.json",
        "extra *state_reason",
        "recorded 2018-01; state_reason came in 2022 (issue_event_closed.json has it)",
    ),
    (
        "github/issue_events.json",
        "extra [].issue.active_lock_reason",
        "recorded 2018-01; lock reasons came later in 2018 (issue.json has it)",
    ),
    (
        "github/issue_events.json",
        "extra [].issue.reactions",
        "recorded 2018-01, when reactions needed a preview media type (issue.json has them)",
    ),
    (
        "github/issue_events.json",
        "extra [].issue.timeline_url",
        "recorded 2018-01; timeline_url came later (issue.json has it)",
    ),
    (
        "github/issue_events.json",
        "extra [].issue.pull_request.merged_at",
        "recorded 2018-01; pull_request.merged_at came in 2022",
    ),
    (
        "github/issue_events.json",
        "extra [].issue.sub_issues_summary",
        "recorded 2018-01; sub-issues came in 2025",
    ),
    (
        "github/issue_events.json",
        "extra [].issue.issue_dependencies_summary",
        "recorded 2018-01; dependencies came in 2025",
    ),
    (
        "github/issue_events.json",
        "extra [].issue.type",
        "recorded 2018-01; issue types came in 2025",
    ),
    (
        "github/issue_event_closed.json",
        "extra issue.sub_issues_summary",
        "recorded 2025-01, before sub-issues reached REST (issue.json, 2025-08, has it)",
    ),
    (
        "github/issue_event_closed.json",
        "extra issue.issue_dependencies_summary",
        "recorded 2025-01, before dependencies (issue.json has it)",
    ),
    (
        "github/issue_event_closed.json",
        "extra issue.type",
        "recorded 2025-01, before issue types reached REST (issue.json has it)",
    ),
    (
        "github/pulls_list.json",
        "extra *user_view_type",
        "recorded 2021-10; user_view_type came in 2024",
    ),
    (
        "github/pulls_list.json",
        "extra *.repo.has_discussions",
        "recorded 2021-10; has_discussions came in 2022 (repo.json has it)",
    ),
    (
        "github/pulls_list.json",
        "extra *.repo.web_commit_signoff_required",
        "recorded 2021-10; sign-off settings came in 2022 (repo.json has it)",
    ),
    (
        "github/pull_review.json",
        "extra [].user.user_view_type",
        "recorded 2021-10; user_view_type came in 2024",
    ),
    (
        "github/pull_review_comments_list.json",
        "extra [].user.user_view_type",
        "recorded 2023-06; user_view_type came in 2024",
    ),
    // Keys that depend on the item, the media type or the caller.
    (
        "github/issues_list.json",
        "extra [].pull_request",
        "only on pull-request items; the recorded listing holds issues only",
    ),
    (
        "github/issues_list.json",
        "extra [].draft",
        "only on pull-request items; the recorded listing holds issues only",
    ),
    (
        "github/issue_events.json",
        "extra [].issue.draft",
        "only when the event's issue is a pull request; none recorded is",
    ),
    (
        "github/issue_event_closed.json",
        "extra issue.draft",
        "only when the event's issue is a pull request; the recorded one is not",
    ),
    (
        "github/issue_event_closed.json",
        "extra issue.pull_request",
        "only when the event's issue is a pull request; the recorded one is not",
    ),
    (
        "github/pull_review_comment.json",
        "extra in_reply_to_id",
        "only on replies; the recorded comment is not one",
    ),
    (
        "github/pull_review_comments_list.json",
        "extra [].in_reply_to_id",
        "only on replies; no recorded comment is one",
    ),
    (
        "github/pulls_list.json",
        "missing [].body_html",
        "github3.py asks for application/vnd.github.v3.full+json; the mock serves the default media type",
    ),
    (
        "github/pulls_list.json",
        "missing [].body_text",
        "github3.py asks for the full media type (see body_html)",
    ),
    (
        "github/pull_review.json",
        "missing [].body_html",
        "github3.py asks for the full media type (see pulls_list.json)",
    ),
    (
        "github/pull_review.json",
        "missing [].body_text",
        "github3.py asks for the full media type (see pulls_list.json)",
    ),
    // GitLab.
    // gitlab/user.json is GET /user, the token owner's own account: its
    // private fields are never in GET /users/:id.
    (
        "gitlab/user.json",
        "missing can_create_group",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing can_create_project",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing color_scheme_id",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing commit_email",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing confirmed_at",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing current_sign_in_at",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing email",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing external",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing extra_shared_runners_minutes_limit",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing identities",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing last_activity_on",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing last_sign_in_at",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing private_profile",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing projects_limit",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing scim_identities",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing shared_runners_minutes_limit",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing theme_id",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/user.json",
        "missing two_factor_enabled",
        "private to the account (GET /user only)",
    ),
    (
        "gitlab/users_by_username.json",
        "extra [].locked",
        "basic user objects carry locked since 2023: every author of issue_open.json and note.json (2024) has it",
    ),
    (
        "gitlab/*",
        "extra *author.locked",
        "as for users_by_username.json: 2024 recordings' authors have locked",
    ),
    (
        "gitlab/*",
        "extra *merged_by.locked",
        "basic user object: see author.locked",
    ),
    (
        "gitlab/*",
        "extra *assignee.locked",
        "basic user object: see author.locked",
    ),
    (
        "gitlab/*",
        "extra *assignees.[].locked",
        "basic user object: see author.locked",
    ),
    (
        "gitlab/issues_list.json",
        "extra [].issue_type",
        "recorded 2020-08; issue_type came later (issue_open.json, 2024, has it)",
    ),
    (
        "gitlab/issues_list.json",
        "extra [].severity",
        "recorded 2020-08; severity came later (issue_open.json has it)",
    ),
    (
        "gitlab/issues_list.json",
        "extra [].type",
        "recorded 2020-08; type came later (issue_open.json has it)",
    ),
    (
        "gitlab/issues_list.json",
        "missing [].weight",
        "a paid-tier field gitlab.com sent in 2020; issue_open.json (2024) has none",
    ),
    (
        "gitlab/issues_list.json",
        "missing [].health_status",
        "a paid-tier field; issue_open.json (2024) has none",
    ),
    (
        "gitlab/issues_list.json",
        "extra [].imported",
        "recorded 2020-08; imported came in 2024 (issue_open.json has it)",
    ),
    (
        "gitlab/issues_list.json",
        "extra [].imported_from",
        "recorded 2020-08; imported_from came in 2024 (issue_open.json has it)",
    ),
    (
        "gitlab/issues_list.json",
        "extra []._links.closed_as_duplicate_of",
        "recorded 2020-08; duplicates came in 2022 (issue_open.json has it)",
    ),
    (
        "gitlab/merge_request_merged.json",
        "extra *",
        "recorded 2019-05 (GitLab 12.0): every newer merge request field (draft, merge_user, reviewers, references, detailed_merge_status, ...) is absent; merge_request.json (2024) has them",
    ),
    (
        "gitlab/mr_changes.json",
        "extra *",
        "recorded 2019-05, as merge_request_merged.json",
    ),
    (
        "gitlab/mr_commit.json",
        "extra [].web_url",
        "recorded 2019-05; commit web_url came later",
    ),
    (
        "gitlab/mr_commit.json",
        "extra [].trailers",
        "recorded 2019-05; trailers came in 2022",
    ),
    (
        "gitlab/mr_commit.json",
        "extra [].extended_trailers",
        "recorded 2019-05; extended trailers came in 2023",
    ),
    (
        "gitlab/release.json",
        "extra [].commit.trailers",
        "recorded 2020-08; trailers came in 2022",
    ),
    (
        "gitlab/release.json",
        "extra [].commit.extended_trailers",
        "recorded 2020-08; extended trailers came in 2023",
    ),
    (
        "gitlab/release.json",
        "missing [].description_html",
        "newer GitLab sends it only with include_html_description=true",
    ),
    (
        "gitlab/release.json",
        "missing []._links.edit_url",
        "only for a token that may edit releases",
    ),
];

/// Differences where the mock is knowingly not what the forge sends, kept
/// because the collector depends on them; each is a bug to fix with the
/// collector's owner. (fixture, difference, why it is kept).
pub const KNOWN_DEVIATIONS: &[(&str, &str, &str)] = &[(
    "gitlab/*",
    "extra *public_email",
    "GitLab's basic user (authors, assignees, /users?username=) has no public_email; the mock's has it and the collector's GitLab user mapping reads it for cntrb_email",
)];

/// (fixture, why the mock does not render it).
pub const NOT_RENDERED: &[(&str, &str)] = &[];
