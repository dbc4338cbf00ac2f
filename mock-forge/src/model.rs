//! The synthetic world: plain data, independent of any API's JSON shape.
//!
//! A [`World`] is what the generator builds and what the GitHub and GitLab
//! renderers read. Everything is indexed by position (users by index into
//! [`World::users`], commits by index into [`RepoData::commits`]), so the
//! model serialises compactly and deterministically.

use serde::{Deserialize, Serialize};

/// Everything the synthetic forge knows about.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct World {
    /// Every user referenced by any repository (authors, actors, reviewers).
    pub users: Vec<User>,
    /// Repositories that answer 200.
    pub repos: Vec<RepoData>,
    /// Old `owner/name` → current `owner/name` (GitHub answers 301).
    /// When the target is itself tracked by a collector this is the
    /// "rename onto an existing repository" (duplicate) case.
    pub redirects: Vec<Redirect>,
    /// `owner/name` of repositories that answer 404 (deleted or private).
    pub deleted: Vec<String>,
    /// `owner/name` of repositories that answer 410 (gone/blocked).
    pub gone: Vec<String>,
}

/// A renamed repository.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Redirect {
    /// The old `owner/name`.
    pub from: String,
    /// The current `owner/name`; must be one of [`World::repos`].
    pub to: String,
}

/// Account kind as GitHub reports it in `type`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum UserKind {
    /// A person.
    User,
    /// An app/bot account (`dependabot[bot]`).
    Bot,
    /// An organisation (repository owner).
    Organization,
}

impl UserKind {
    /// GitHub's `type` of the account.
    pub fn github_type(self) -> &'static str {
        match self {
            UserKind::User => "User",
            UserKind::Bot => "Bot",
            UserKind::Organization => "Organization",
        }
    }
}

/// Positions of the people every organisation counts as (public) members:
/// the first five people of the pool, the maintainers who answer as
/// `MEMBER` in `author_association`.
pub const MEMBER_POSITIONS: std::ops::Range<usize> = 3..8;

impl World {
    /// The members of organisation `org` (user positions, in order); empty
    /// for an account that is not an organisation.
    pub fn org_members(&self, org: usize) -> Vec<usize> {
        if self.users[org].kind != UserKind::Organization {
            return Vec::new();
        }
        MEMBER_POSITIONS
            .filter(|&i| self.users.get(i).is_some_and(|u| u.kind == UserKind::User))
            .collect()
    }

    /// The organisations user `user` is a member of (user positions).
    pub fn orgs_of(&self, user: usize) -> Vec<usize> {
        (0..self.users.len())
            .filter(|&o| self.org_members(o).contains(&user))
            .collect()
    }
}

/// A forge account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    /// Numeric platform id (GitHub `id`, GitLab `id`).
    pub id: u64,
    /// Login / username.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Public e-mail (None when hidden, as most are).
    pub email: Option<String>,
    /// The address this user commits with (may be a noreply address).
    pub commit_email: String,
    /// Company field.
    pub company: Option<String>,
    /// Location field.
    pub location: Option<String>,
    /// Account creation time (Unix seconds).
    pub created_at: i64,
    /// Account kind.
    pub kind: UserKind,
}

/// A label defined on a repository.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Label {
    /// Numeric id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Hex colour without `#`.
    pub color: String,
    /// Description.
    pub description: String,
    /// One of GitHub's default labels.
    pub default: bool,
}

/// Open or closed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum State {
    /// Open.
    Open,
    /// Closed (for pull requests: closed or merged).
    Closed,
}

/// An issue; pull requests are issues with [`Issue::pull`] set, exactly as
/// on GitHub (they share the number space and appear in `/issues`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Issue {
    /// Per-repository number (`#123`).
    pub number: u64,
    /// Issue id (GitHub `id` of the issue object).
    pub id: u64,
    /// Title.
    pub title: String,
    /// Markdown body (may be empty).
    pub body: String,
    /// Author (user index).
    pub user: usize,
    /// State.
    pub state: State,
    /// `completed` / `not_planned` for closed issues.
    pub state_reason: Option<String>,
    /// Label indices into [`RepoData::labels`].
    pub labels: Vec<usize>,
    /// Assignee user indices.
    pub assignees: Vec<usize>,
    /// Creation time.
    pub created_at: i64,
    /// Last update (max of creation, close, comment and event times).
    pub updated_at: i64,
    /// Close time.
    pub closed_at: Option<i64>,
    /// Who closed it (user index).
    pub closed_by: Option<usize>,
    /// Locked conversation.
    pub locked: bool,
    /// Pull request part, for pull requests.
    pub pull: Option<Pull>,
}

/// The pull-request-only fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pull {
    /// Pull request id (differs from the issue id, as on GitHub).
    pub id: u64,
    /// Merge time.
    pub merged_at: Option<i64>,
    /// Who merged (user index).
    pub merged_by: Option<usize>,
    /// Draft.
    pub draft: bool,
    /// Head branch name.
    pub head_ref: String,
    /// Base branch name.
    pub base_ref: String,
    /// First commit index (into [`RepoData::commits`]) of this PR.
    pub first_commit: usize,
    /// Number of commits.
    pub commit_count: usize,
    /// Requested reviewers (user indices).
    pub requested_reviewers: Vec<usize>,
}

/// A comment on an issue or pull request conversation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IssueComment {
    /// Id; may equal a review or review-comment id (GitHub reuses numbers).
    pub id: u64,
    /// Issue/PR number.
    pub number: u64,
    /// Author.
    pub user: usize,
    /// Body.
    pub body: String,
    /// Created.
    pub created_at: i64,
    /// Updated.
    pub updated_at: i64,
}

/// A pull request review.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Review {
    /// Id; may equal an issue comment or review comment id.
    pub id: u64,
    /// PR number.
    pub number: u64,
    /// Reviewer.
    pub user: usize,
    /// Review body (empty for bare approvals).
    pub body: String,
    /// `APPROVED`, `CHANGES_REQUESTED` or `COMMENTED`.
    pub state: String,
    /// Submission time.
    pub submitted_at: i64,
    /// Commit index reviewed.
    pub commit: usize,
}

/// A review comment on a diff line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewComment {
    /// Id; may equal an issue comment or review id.
    pub id: u64,
    /// Review id it belongs to.
    pub review_id: u64,
    /// PR number.
    pub number: u64,
    /// Author.
    pub user: usize,
    /// Body.
    pub body: String,
    /// File path.
    pub path: String,
    /// Line in the diff.
    pub line: u64,
    /// Commit index.
    pub commit: usize,
    /// Reply target (another review comment id).
    pub in_reply_to: Option<u64>,
    /// Created.
    pub created_at: i64,
    /// Updated.
    pub updated_at: i64,
}

/// An issue or pull request timeline event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    /// Id.
    pub id: u64,
    /// Issue/PR number.
    pub number: u64,
    /// Actor (user index).
    pub actor: usize,
    /// `closed`, `reopened`, `labeled`, `assigned`, `merged`, `referenced`, ...
    pub event: String,
    /// Time.
    pub created_at: i64,
    /// Label index for `labeled`/`unlabeled`.
    pub label: Option<usize>,
    /// Assignee for `assigned`/`unassigned`.
    pub assignee: Option<usize>,
    /// Commit index for `merged`/`referenced`/`closed` by commit.
    pub commit: Option<usize>,
    /// The SHA of a commit no longer on any branch (a force-push dropped it; the event keeps
    /// naming it, as GitHub's do); [`Event::commit`] is then `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dangling_commit: Option<String>,
    /// For `closed`: the item's `state_reason` when it was closed, kept once the item was
    /// reopened (otherwise the item's current reason is the event's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
}

/// A change to one file in one commit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileChange {
    /// Path.
    pub path: String,
    /// `added` or `modified`.
    pub status: String,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
    /// Blob SHA of the new content.
    pub blob_sha: String,
    /// Unified diff hunk(s) as GitHub shows in `patch`.
    pub patch: String,
}

/// A commit of the generated git history.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Commit {
    /// SHA-1 of the commit object (identical to what `git` computes).
    pub sha: String,
    /// Tree SHA-1.
    pub tree: String,
    /// Parent SHA (None for the root commit).
    pub parent: Option<String>,
    /// Author user index when the author is a forge user.
    pub author_user: Option<usize>,
    /// Author name.
    pub author_name: String,
    /// Author e-mail.
    pub author_email: String,
    /// Author and committer time.
    pub time: i64,
    /// Full message (ends with a newline).
    pub message: String,
    /// Files touched.
    pub changes: Vec<FileChange>,
}

/// A release.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Release {
    /// Id.
    pub id: u64,
    /// Tag.
    pub tag_name: String,
    /// Title.
    pub name: String,
    /// Notes.
    pub body: String,
    /// Draft.
    pub draft: bool,
    /// Prerelease.
    pub prerelease: bool,
    /// Created.
    pub created_at: i64,
    /// Published.
    pub published_at: i64,
    /// Author.
    pub author: usize,
    /// Commit index tagged.
    pub commit: usize,
}

/// One day of clone traffic.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CloneDay {
    /// Midnight of the day (Unix seconds).
    pub timestamp: i64,
    /// Clones.
    pub count: u64,
    /// Unique cloners.
    pub uniques: u64,
}

/// One repository and everything in it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RepoData {
    /// Repository id.
    pub id: u64,
    /// GitLab project id.
    pub project_id: u64,
    /// Owner login.
    pub owner: String,
    /// Owner user index.
    pub owner_user: usize,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Primary language.
    pub language: String,
    /// Created.
    pub created_at: i64,
    /// Last push (time of the last commit).
    pub pushed_at: i64,
    /// Stars.
    pub stargazers: u64,
    /// Forks.
    pub forks: u64,
    /// Watchers (subscribers).
    pub subscribers: u64,
    /// Labels.
    pub labels: Vec<Label>,
    /// Issues and pull requests, ordered by number.
    pub issues: Vec<Issue>,
    /// Conversation comments, ordered by id.
    pub issue_comments: Vec<IssueComment>,
    /// Reviews, ordered by id.
    pub reviews: Vec<Review>,
    /// Review comments, ordered by id.
    pub review_comments: Vec<ReviewComment>,
    /// Issue and PR events, ordered by id.
    pub events: Vec<Event>,
    /// Linear history on `main`, oldest first.
    pub commits: Vec<Commit>,
    /// Releases, oldest first.
    pub releases: Vec<Release>,
    /// Clone traffic for the last 14 days.
    pub clones: Vec<CloneDay>,
}

impl RepoData {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Position of the issue or PR with `number`.
    pub fn issue_index(&self, number: u64) -> Option<usize> {
        self.issues.binary_search_by_key(&number, |i| i.number).ok()
    }

    /// Position of a commit by SHA (linear scan; use sparingly).
    pub fn commit_index(&self, sha: &str) -> Option<usize> {
        self.commits.iter().position(|c| c.sha == sha)
    }
}
