//! Ground truth: the exact number of every entity in a [`World`], so tests
//! can assert exact row counts after a collection.
//!
//! Counts are computed from the world itself (not from generator
//! bookkeeping), so they stay right for hand-edited or loaded worlds.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::{RepoData, State, World};

/// Counts for a whole world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Users in the world (every account any repository references).
    pub users: usize,
    /// Every account's public profile, keyed by login: what `/users/{login}`,
    /// `/users/{login}/orgs` and `/orgs/{org}/members` answer.
    #[serde(default)]
    pub user_profiles: BTreeMap<String, UserProfile>,
    /// Per repository, keyed by `owner/name`.
    pub repos: BTreeMap<String, RepoTruth>,
    /// Old `owner/name` → new `owner/name` (301).
    pub redirects: BTreeMap<String, String>,
    /// Repositories answering 404.
    pub deleted: Vec<String>,
    /// Repositories answering 410.
    pub gone: Vec<String>,
}

/// One account's public profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    /// Numeric id.
    pub id: u64,
    /// GitHub's `type`: `User`, `Bot` or `Organization`.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Company (`null` when unset).
    pub company: Option<String>,
    /// Location.
    pub location: Option<String>,
    /// Public e-mail (`null` when hidden).
    pub email: Option<String>,
    /// The address the account commits with (what `in:email` search finds).
    pub commit_email: String,
    /// Repositories the account owns.
    pub public_repos: usize,
    /// Logins of the organisations the account is a public member of.
    pub orgs: Vec<String>,
    /// For an organisation: its members' logins, in `/members` order.
    pub members: Vec<String>,
}

impl UserProfile {
    /// The profile of user `i` of `world`.
    pub fn of(world: &World, i: usize) -> Self {
        let u = &world.users[i];
        let login = |&j: &usize| world.users[j].login.clone();
        Self {
            id: u.id,
            kind: u.kind.github_type().to_string(),
            name: u.name.clone(),
            company: u.company.clone(),
            location: u.location.clone(),
            email: u.email.clone(),
            commit_email: u.commit_email.clone(),
            public_repos: world.repos.iter().filter(|r| r.owner_user == i).count(),
            orgs: world.orgs_of(i).iter().map(login).collect(),
            members: world.org_members(i).iter().map(login).collect(),
        }
    }
}

/// Counts for one repository. "issues" never include pull requests here,
/// although GitHub's `/issues` listing does (`issues_listing` counts that).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoTruth {
    /// GitHub repository id.
    pub repo_id: u64,
    /// GitLab project id.
    pub project_id: u64,
    /// Plain issues.
    pub issues: usize,
    /// Open plain issues.
    pub open_issues: usize,
    /// Closed plain issues.
    pub closed_issues: usize,
    /// Pull requests.
    pub pull_requests: usize,
    /// Open PRs.
    pub open_pull_requests: usize,
    /// Closed PRs (merged included).
    pub closed_pull_requests: usize,
    /// Merged PRs.
    pub merged_pull_requests: usize,
    /// Items in GitHub's `/issues?state=all` listing (issues + PRs).
    pub issues_listing: usize,
    /// Labels defined on the repository.
    pub labels: usize,
    /// (issue, label) links on plain issues.
    pub issue_labels: usize,
    /// (PR, label) links.
    pub pull_request_labels: usize,
    /// (issue, assignee) links on plain issues.
    pub issue_assignees: usize,
    /// (PR, assignee) links.
    pub pull_request_assignees: usize,
    /// (PR, requested reviewer) links.
    pub pull_request_reviewers: usize,
    /// Reviews.
    pub reviews: usize,
    /// Reviews with a non-empty body (these are messages too).
    pub reviews_with_body: usize,
    /// Review comments (diff comments).
    pub review_comments: usize,
    /// Conversation comments on plain issues.
    pub issue_comments: usize,
    /// Conversation comments on PRs (served by `/issues/{n}/comments` too).
    pub pull_request_issue_comments: usize,
    /// All messages: conversation comments + review comments + review bodies.
    pub messages: usize,
    /// Ids used by more than one of: conversation comment, review comment,
    /// review. A key of `id` alone loses this many rows (or more).
    pub colliding_message_ids: usize,
    /// Events on plain issues.
    pub issue_events: usize,
    /// Events on PRs.
    pub pull_request_events: usize,
    /// Commits across all PRs' `/commits` listings.
    pub pull_request_commits: usize,
    /// Entries across all PRs' `/files` listings.
    pub pull_request_files: usize,
    /// Commits reachable in the git repository (`git rev-list --count --all`).
    pub commits: usize,
    /// Entries of `/contributors` (users with at least one commit).
    pub contributors: usize,
    /// Distinct commit author e-mails.
    pub commit_authors: usize,
    /// Releases.
    pub releases: usize,
    /// Days of clone traffic.
    pub clone_days: usize,
}

/// Files touched by a PR (union over its commits): (path, additions,
/// deletions, index of the last commit touching it).
pub fn pull_files(repo: &RepoData, first: usize, count: usize) -> Vec<(String, u64, u64, usize)> {
    let mut by_path: BTreeMap<&str, (u64, u64, usize)> = BTreeMap::new();
    for (ci, c) in repo.commits.iter().enumerate().skip(first).take(count) {
        for ch in &c.changes {
            let e = by_path.entry(ch.path.as_str()).or_default();
            e.0 += ch.additions;
            e.1 += ch.deletions;
            e.2 = ci;
        }
    }
    by_path
        .into_iter()
        .map(|(p, (a, d, c))| (p.to_string(), a, d, c))
        .collect()
}

/// Contributors: (user index, commit count), most commits first.
pub fn contributors(repo: &RepoData) -> Vec<(usize, u64)> {
    let mut counts: HashMap<usize, u64> = HashMap::new();
    for c in &repo.commits {
        if let Some(u) = c.author_user {
            *counts.entry(u).or_default() += 1;
        }
    }
    let mut v: Vec<(usize, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

impl RepoTruth {
    /// Counts for one repository.
    pub fn of(repo: &RepoData) -> Self {
        let is_pr = |n: u64| {
            repo.issue_index(n)
                .is_some_and(|i| repo.issues[i].pull.is_some())
        };
        let issues: Vec<_> = repo.issues.iter().filter(|i| i.pull.is_none()).collect();
        let pulls: Vec<_> = repo.issues.iter().filter(|i| i.pull.is_some()).collect();
        let mut kinds: HashMap<u64, u8> = HashMap::new();
        for c in &repo.issue_comments {
            *kinds.entry(c.id).or_default() |= 1;
        }
        for c in &repo.review_comments {
            *kinds.entry(c.id).or_default() |= 2;
        }
        for r in &repo.reviews {
            *kinds.entry(r.id).or_default() |= 4;
        }
        let colliding = kinds.values().filter(|k| k.count_ones() > 1).count();
        let pr_comments = repo
            .issue_comments
            .iter()
            .filter(|c| is_pr(c.number))
            .count();
        let pr_events = repo.events.iter().filter(|e| is_pr(e.number)).count();
        let reviews_with_body = repo.reviews.iter().filter(|r| !r.body.is_empty()).count();
        let emails: HashSet<&str> = repo
            .commits
            .iter()
            .map(|c| c.author_email.as_str())
            .collect();
        Self {
            repo_id: repo.id,
            project_id: repo.project_id,
            issues: issues.len(),
            open_issues: issues.iter().filter(|i| i.state == State::Open).count(),
            closed_issues: issues.iter().filter(|i| i.state == State::Closed).count(),
            pull_requests: pulls.len(),
            open_pull_requests: pulls.iter().filter(|i| i.state == State::Open).count(),
            closed_pull_requests: pulls.iter().filter(|i| i.state == State::Closed).count(),
            merged_pull_requests: pulls
                .iter()
                .filter(|i| i.pull.as_ref().is_some_and(|p| p.merged_at.is_some()))
                .count(),
            issues_listing: repo.issues.len(),
            labels: repo.labels.len(),
            issue_labels: issues.iter().map(|i| i.labels.len()).sum(),
            pull_request_labels: pulls.iter().map(|i| i.labels.len()).sum(),
            issue_assignees: issues.iter().map(|i| i.assignees.len()).sum(),
            pull_request_assignees: pulls.iter().map(|i| i.assignees.len()).sum(),
            pull_request_reviewers: pulls
                .iter()
                .filter_map(|i| i.pull.as_ref())
                .map(|p| p.requested_reviewers.len())
                .sum(),
            reviews: repo.reviews.len(),
            reviews_with_body,
            review_comments: repo.review_comments.len(),
            issue_comments: repo.issue_comments.len() - pr_comments,
            pull_request_issue_comments: pr_comments,
            messages: repo.issue_comments.len() + repo.review_comments.len() + reviews_with_body,
            colliding_message_ids: colliding,
            issue_events: repo.events.len() - pr_events,
            pull_request_events: pr_events,
            pull_request_commits: pulls
                .iter()
                .filter_map(|i| i.pull.as_ref())
                .map(|p| p.commit_count)
                .sum(),
            pull_request_files: pulls
                .iter()
                .filter_map(|i| i.pull.as_ref())
                .map(|p| pull_files(repo, p.first_commit, p.commit_count).len())
                .sum(),
            commits: repo.commits.len(),
            contributors: contributors(repo).len(),
            commit_authors: emails.len(),
            releases: repo.releases.len(),
            clone_days: repo.clones.len(),
        }
    }
}

/// The truth of a world with days, as `ground-truth.json` holds it when there is more than
/// day 0: day 0's counts at the top level (what readers of a world without days read), every
/// day's counts in `days` (`days[k]` is day k, day 0 included) and what each later day
/// changed in `changes` (`changes[k - 1]` is day k).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryTruth {
    /// Day 0.
    #[serde(flatten)]
    pub day0: GroundTruth,
    /// Every day, day 0 first.
    pub days: Vec<GroundTruth>,
    /// What day 1, 2, … changed.
    pub changes: Vec<DayChanges>,
}

/// What one day changed in the world.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayChanges {
    /// The day (1 for the first day after day 0).
    pub day: usize,
    /// Per repository, keyed by its `owner/name` at the end of the day.
    pub repos: BTreeMap<String, RepoChanges>,
}

/// What one day changed in one repository: issue and pull request numbers, comment ids,
/// commit SHAs, release tags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoChanges {
    /// The repository's name before the day renamed it.
    pub renamed_from: Option<String>,
    /// Issues opened.
    pub new_issues: Vec<u64>,
    /// Pull requests opened (each with new commits on the default branch).
    pub new_pulls: Vec<u64>,
    /// Conversation comments written.
    pub new_comments: Vec<u64>,
    /// Reviews submitted (each with one review comment).
    pub new_reviews: Vec<u64>,
    /// Events recorded.
    pub new_events: usize,
    /// Releases published (tags).
    pub new_releases: Vec<String>,
    /// Items whose title and body were edited.
    pub edited: Vec<u64>,
    /// Items whose body was cleared.
    pub cleared_bodies: Vec<u64>,
    /// Conversation comments whose body was edited.
    pub edited_comments: Vec<u64>,
    /// Conversation comments deleted.
    pub deleted_comments: Vec<u64>,
    /// Items closed (without merging).
    pub closed: Vec<u64>,
    /// Items reopened (`closed_at` cleared).
    pub reopened: Vec<u64>,
    /// Pull requests merged.
    pub merged: Vec<u64>,
    /// (item, label name) removed.
    pub unlabeled: Vec<(u64, String)>,
    /// (item, login) unassigned.
    pub unassigned: Vec<(u64, String)>,
    /// (pull request, login) whose review request was removed.
    pub unrequested: Vec<(u64, String)>,
    /// Commits pushed to the default branch.
    pub new_commits: Vec<String>,
    /// Commits a force-push dropped from the default branch.
    pub dropped_commits: Vec<String>,
}

impl HistoryTruth {
    /// The truth of `days` (day 0 first) with what each later day changed.
    pub fn of(days: &[World], changes: &[DayChanges]) -> Self {
        let days: Vec<GroundTruth> = days.iter().map(GroundTruth::of).collect();
        Self {
            day0: days[0].clone(),
            days,
            changes: changes.to_vec(),
        }
    }
}

impl GroundTruth {
    /// Counts for a world.
    pub fn of(world: &World) -> Self {
        Self {
            users: world.users.len(),
            user_profiles: (0..world.users.len())
                .map(|i| (world.users[i].login.clone(), UserProfile::of(world, i)))
                .collect(),
            repos: world
                .repos
                .iter()
                .map(|r| (r.full_name(), RepoTruth::of(r)))
                .collect(),
            redirects: world
                .redirects
                .iter()
                .map(|r| (r.from.clone(), r.to.clone()))
                .collect(),
            deleted: world.deleted.clone(),
            gone: world.gone.clone(),
        }
    }

    /// Counts for `owner/name`.
    pub fn repo(&self, full_name: &str) -> Option<&RepoTruth> {
        self.repos.get(full_name)
    }
}
