//! Events, messages and the rows that attach messages to issues, pull requests and reviews.

use super::{ISSUE_JOIN, ISSUE_REQ, PR_JOIN, PR_REQ, Spec};

const EVENT_INPUT: &[(&str, &str)] = &[
    ("repo_id", "bigint"),
    ("platform_issue_id", "bigint"),
    ("pr_number", "bigint"),
    ("cntrb_id", "uuid"),
    ("platform_id", "smallint"),
    ("platform_event_id", "bigint"),
    ("node_id", "text"),
    ("node_url", "text"),
    ("action", "text"),
    ("action_commit_hash", "text"),
    ("created_at", "timestamptz"),
    ("event_kind", "text"),
];

pub(super) static ISSUE_EVENTS: Spec = Spec {
    table: "aveloxis_data.issue_events",
    input: EVENT_INPUT,
    columns: &[
        ("issue_id", "i.issue_id"),
        ("repo_id", "x.repo_id"),
        ("cntrb_id", "x.cntrb_id"),
        ("platform_id", "x.platform_id"),
        ("platform_event_id", "x.platform_event_id"),
        ("node_id", "x.node_id"),
        ("node_url", "x.node_url"),
        ("action", "x.action"),
        ("action_commit_hash", "x.action_commit_hash"),
        ("created_at", "x.created_at"),
        ("event_kind", "coalesce(x.event_kind, 'event')"),
    ],
    joins: ISSUE_JOIN,
    key: &["repo_id", "platform_event_id", "event_kind"],
    required: &[ISSUE_REQ],
    meta: true,
    overwrite: &[],
};

pub(super) static PR_EVENTS: Spec = Spec {
    table: "aveloxis_data.pull_request_events",
    input: EVENT_INPUT,
    columns: &[
        ("pull_request_id", "p.pull_request_id"),
        ("repo_id", "x.repo_id"),
        ("cntrb_id", "x.cntrb_id"),
        ("platform_id", "x.platform_id"),
        ("platform_event_id", "x.platform_event_id"),
        ("node_id", "x.node_id"),
        ("node_url", "x.node_url"),
        ("action", "x.action"),
        ("action_commit_hash", "x.action_commit_hash"),
        ("created_at", "x.created_at"),
        ("event_kind", "coalesce(x.event_kind, 'event')"),
    ],
    joins: PR_JOIN,
    key: &["repo_id", "platform_event_id", "event_kind"],
    required: &[PR_REQ],
    meta: true,
    overwrite: &[],
};

pub(super) static MESSAGES: Spec = Spec {
    table: "aveloxis_data.messages",
    input: &[
        ("repo_id", "bigint"),
        ("platform_id", "smallint"),
        ("platform_msg_id", "bigint"),
        ("msg_kind", "text"),
        ("node_id", "text"),
        ("msg_text", "text"),
        ("msg_timestamp", "timestamptz"),
        ("msg_updated_at", "timestamptz"),
        ("cntrb_id", "uuid"),
    ],
    columns: &[
        ("repo_id", "x.repo_id"),
        ("platform_id", "x.platform_id"),
        ("platform_msg_id", "x.platform_msg_id"),
        ("msg_kind", "x.msg_kind"),
        ("node_id", "x.node_id"),
        ("msg_text", "x.msg_text"),
        ("msg_timestamp", "x.msg_timestamp"),
        ("msg_updated_at", "x.msg_updated_at"),
        ("cntrb_id", "x.cntrb_id"),
    ],
    joins: "",
    key: &["platform_id", "platform_msg_id", "msg_kind"],
    required: &[],
    meta: true,
    overwrite: &[],
};

const MSG_REQ: (&str, &str) = (
    "aveloxis_data.messages m",
    "m.platform_id = x.platform_id AND m.platform_msg_id = x.platform_msg_id AND m.msg_kind = x.msg_kind",
);

pub(super) static ISSUE_MESSAGE_REF: Spec = Spec {
    table: "aveloxis_data.issue_message_ref",
    input: &[
        ("repo_id", "bigint"),
        ("platform_issue_id", "bigint"),
        ("platform_id", "smallint"),
        ("platform_msg_id", "bigint"),
        ("msg_kind", "text"),
        ("node_id", "text"),
    ],
    columns: &[
        ("issue_id", "i.issue_id"),
        ("repo_id", "x.repo_id"),
        ("msg_id", "m.msg_id"),
        ("issue_msg_ref_src_node_id", "x.node_id"),
        ("issue_msg_ref_src_comment_id", "x.platform_msg_id"),
    ],
    joins: "JOIN aveloxis_data.issues i ON i.repo_id = x.repo_id AND i.platform_issue_id = x.platform_issue_id \
            JOIN aveloxis_data.messages m ON m.platform_id = x.platform_id \
            AND m.platform_msg_id = x.platform_msg_id AND m.msg_kind = x.msg_kind",
    key: &["issue_id", "msg_id"],
    required: &[ISSUE_REQ, MSG_REQ],
    meta: true,
    overwrite: &[],
};

pub(super) static PR_MESSAGE_REF: Spec = Spec {
    table: "aveloxis_data.pull_request_message_ref",
    input: &[
        ("repo_id", "bigint"),
        ("pr_number", "bigint"),
        ("platform_id", "smallint"),
        ("platform_msg_id", "bigint"),
        ("msg_kind", "text"),
        ("node_id", "text"),
        ("pr_issue_url", "text"),
    ],
    columns: &[
        ("pull_request_id", "p.pull_request_id"),
        ("repo_id", "x.repo_id"),
        ("msg_id", "m.msg_id"),
        ("pr_message_ref_src_comment_id", "x.platform_msg_id"),
        ("pr_message_ref_src_node_id", "x.node_id"),
        ("pr_issue_url", "x.pr_issue_url"),
    ],
    joins: "JOIN aveloxis_data.pull_requests p ON p.repo_id = x.repo_id AND p.pr_number = x.pr_number \
            JOIN aveloxis_data.messages m ON m.platform_id = x.platform_id \
            AND m.platform_msg_id = x.platform_msg_id AND m.msg_kind = x.msg_kind",
    key: &["pull_request_id", "msg_id"],
    required: &[PR_REQ, MSG_REQ],
    meta: true,
    overwrite: &[],
};

pub(super) static REVIEW_MESSAGE_REF: Spec = Spec {
    table: "aveloxis_data.pull_request_review_message_ref",
    input: &[
        ("repo_id", "bigint"),
        ("pr_number", "bigint"),
        ("platform_review_id", "bigint"),
        ("platform_id", "smallint"),
        ("platform_msg_id", "bigint"),
        ("msg_kind", "text"),
        ("node_id", "text"),
        ("html_url", "text"),
    ],
    columns: &[
        ("pr_review_id", "r.pr_review_id"),
        ("repo_id", "x.repo_id"),
        ("msg_id", "m.msg_id"),
        ("pr_review_src_id", "x.platform_review_id"),
        ("pr_review_msg_src_id", "x.platform_msg_id"),
        ("pr_review_msg_node_id", "x.node_id"),
        ("pr_review_msg_html_url", "x.html_url"),
    ],
    joins: "JOIN aveloxis_data.pull_requests p ON p.repo_id = x.repo_id AND p.pr_number = x.pr_number \
            JOIN aveloxis_data.pull_request_reviews r ON r.pull_request_id = p.pull_request_id \
            AND r.platform_review_id = x.platform_review_id \
            JOIN aveloxis_data.messages m ON m.platform_id = x.platform_id \
            AND m.platform_msg_id = x.platform_msg_id AND m.msg_kind = x.msg_kind",
    key: &["pr_review_id", "msg_id"],
    required: &[
        PR_REQ,
        MSG_REQ,
        (
            "aveloxis_data.pull_request_reviews r JOIN aveloxis_data.pull_requests p2 ON p2.pull_request_id = r.pull_request_id",
            "p2.repo_id = x.repo_id AND p2.pr_number = x.pr_number AND r.platform_review_id = x.platform_review_id",
        ),
    ],
    meta: true,
    overwrite: &[],
};

pub(super) static REVIEW_COMMENTS: Spec = Spec {
    table: "aveloxis_data.review_comments",
    input: &[
        ("repo_id", "bigint"),
        ("pr_number", "bigint"),
        ("platform_id", "smallint"),
        ("platform_msg_id", "bigint"),
        ("msg_kind", "text"),
        ("cntrb_id", "uuid"),
        ("platform_review_id", "bigint"),
        ("node_id", "text"),
        ("diff_hunk", "text"),
        ("path", "text"),
        ("position", "integer"),
        ("original_position", "integer"),
        ("line", "integer"),
        ("original_line", "integer"),
        ("side", "text"),
        ("commit_id", "text"),
        ("original_commit_id", "text"),
        ("in_reply_to_id", "bigint"),
        ("author_association", "text"),
        ("html_url", "text"),
        ("url", "text"),
        ("created_at", "timestamptz"),
        ("updated_at", "timestamptz"),
    ],
    columns: &[
        ("repo_id", "x.repo_id"),
        ("pull_request_id", "p.pull_request_id"),
        ("pr_review_id", "r.pr_review_id"),
        ("msg_id", "m.msg_id"),
        ("cntrb_id", "x.cntrb_id"),
        ("platform_src_id", "x.platform_msg_id"),
        ("platform_review_id", "x.platform_review_id"),
        ("node_id", "x.node_id"),
        ("diff_hunk", "x.diff_hunk"),
        ("path", "x.path"),
        ("position", "x.position"),
        ("original_position", "x.original_position"),
        ("line", "x.line"),
        ("original_line", "x.original_line"),
        ("side", "x.side"),
        ("commit_id", "x.commit_id"),
        ("original_commit_id", "x.original_commit_id"),
        ("in_reply_to_id", "x.in_reply_to_id"),
        ("author_association", "x.author_association"),
        ("html_url", "x.html_url"),
        ("url", "x.url"),
        ("created_at", "x.created_at"),
        ("updated_at", "x.updated_at"),
    ],
    joins: "JOIN aveloxis_data.pull_requests p ON p.repo_id = x.repo_id AND p.pr_number = x.pr_number \
            JOIN aveloxis_data.messages m ON m.platform_id = x.platform_id \
            AND m.platform_msg_id = x.platform_msg_id AND m.msg_kind = x.msg_kind \
            LEFT JOIN aveloxis_data.pull_request_reviews r ON r.pull_request_id = p.pull_request_id \
            AND r.platform_review_id = x.platform_review_id",
    key: &["repo_id", "platform_src_id"],
    required: &[PR_REQ, MSG_REQ],
    meta: true,
    overwrite: &[],
};
