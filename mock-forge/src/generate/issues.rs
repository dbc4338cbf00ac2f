//! Issues and pull requests: drawn apart (a pull request covers a run of
//! commits), then sorted by creation time and numbered in one sequence, as
//! GitHub numbers them.

use super::context::{Ids, RepoGen};
use super::text::{THINGS, paragraph, title};
use super::{DAY, T_END, T0, T1};
use crate::model::{Commit, Issue, Pull, State};

/// The issues and pull requests of one repository, numbered from 1.
pub(super) fn issues(
    g: &mut RepoGen<'_>,
    commits: &[Commit],
    labels: usize,
    ids: &mut Ids,
) -> Vec<Issue> {
    let mut drafts = Vec::with_capacity(g.p.pulls + g.p.issues);
    let mut cursor = 1usize.min(commits.len());
    for j in 0..g.p.pulls {
        drafts.push(pull_draft(g, commits, labels, j, &mut cursor));
    }
    for _ in 0..g.p.issues {
        drafts.push(issue_draft(g, labels));
    }
    // Stable: at equal times an issue comes before a pull request.
    drafts.sort_by_key(|d| (d.created_at, d.pull.is_some()));
    let mut issues: Vec<Issue> = Vec::with_capacity(drafts.len());
    for (k, mut is) in drafts.into_iter().enumerate() {
        is.number = k as u64 + 1;
        ids.issue += g.rng.range(1, 40_000);
        is.id = ids.issue;
        if let Some(pr) = is.pull.as_mut() {
            ids.pull += g.rng.range(1, 30_000);
            pr.id = ids.pull;
        }
        issues.push(is);
    }
    issues
}

/// A body, empty one time in ten.
fn body(g: &mut RepoGen<'_>, sentences: usize) -> String {
    if g.rng.chance(0.1) {
        String::new()
    } else {
        paragraph(&mut g.rng, sentences)
    }
}

/// The next one to three commits after `cursor` (the last commit again
/// once the history runs out): (first commit, count).
fn pull_commits(g: &mut RepoGen<'_>, commits: &[Commit], cursor: &mut usize) -> (usize, usize) {
    let want = g.rng.range(1, 3) as usize;
    if *cursor + want <= commits.len() {
        *cursor += want;
        (*cursor - want, want)
    } else {
        (commits.len().saturating_sub(1), 1.min(commits.len()))
    }
}

/// (state, merged at, closed at): most pull requests merge, some close
/// unmerged, the rest stay open.
fn pull_outcome(g: &mut RepoGen<'_>, created: i64) -> (State, Option<i64>, Option<i64>) {
    let roll = g.rng.unit();
    if roll < 0.6 {
        let t = (created + g.rng.range(3600, 20 * DAY as u64) as i64).min(T_END);
        (State::Closed, Some(t), Some(t))
    } else if roll < 0.75 {
        let t = (created + g.rng.range(3600, 40 * DAY as u64) as i64).min(T_END);
        (State::Closed, None, Some(t))
    } else {
        (State::Open, None, None)
    }
}

/// Pull request `j` (not yet numbered), opened after its last commit.
fn pull_draft(
    g: &mut RepoGen<'_>,
    commits: &[Commit],
    labels: usize,
    j: usize,
    cursor: &mut usize,
) -> Issue {
    let (first, count) = pull_commits(g, commits, cursor);
    let last_time = commits.get(first + count - 1).map_or(T0, |c| c.time);
    let created = (last_time + g.rng.range(300, 7200) as i64).min(T_END - DAY);
    let author = commits
        .get(first)
        .and_then(|c| c.author_user)
        .unwrap_or_else(|| g.person());
    let (state, merged_at, closed_at) = pull_outcome(g, created);
    let maintainer = g.maintainer();
    let reviewers_n = g.rng.range(0, 2) as usize;
    let requested_reviewers = g.participants(reviewers_n, Some(author));
    let label_n = g.rng.around(0.7).min(labels);
    let assignee_n = g.rng.range(0, 1) as usize;
    let slug = g.rng.pick(THINGS).replace(' ', "-");
    Issue {
        number: 0,
        id: 0,
        title: title(&mut g.rng),
        body: body(g, 3),
        user: author,
        state,
        state_reason: None,
        labels: super::users::distinct(&mut g.rng, label_n, 0, labels, None),
        assignees: g.participants(assignee_n, None),
        created_at: created,
        updated_at: created,
        closed_at,
        closed_by: closed_at.map(|_| maintainer),
        locked: g.rng.chance(0.01),
        pull: Some(Pull {
            id: 0,
            merged_at,
            merged_by: merged_at.map(|_| maintainer),
            draft: state == State::Open && g.rng.chance(0.1),
            head_ref: format!("feature/{slug}-{j}"),
            base_ref: "main".into(),
            first_commit: first,
            commit_count: count,
            requested_reviewers,
        }),
    }
}

/// A plain issue (not yet numbered).
fn issue_draft(g: &mut RepoGen<'_>, labels: usize) -> Issue {
    let created = T0 + DAY + g.rng.range(0, (T1 - T0 - DAY) as u64) as i64;
    let author = if g.rng.chance(0.03) { 2 } else { g.person() };
    let closed = g.rng.chance(0.65);
    let closed_at =
        closed.then(|| (created + g.rng.range(3600, 90 * DAY as u64) as i64).min(T_END));
    let label_n = g.rng.around(1.0).min(labels);
    let assignee_n = g.rng.range(0, 2) as usize;
    let closer = g.maintainer();
    let reason = if g.rng.chance(0.85) {
        "completed"
    } else {
        "not_planned"
    };
    Issue {
        number: 0,
        id: 0,
        title: title(&mut g.rng),
        body: body(g, 4),
        user: author,
        state: if closed { State::Closed } else { State::Open },
        state_reason: closed.then(|| reason.to_string()),
        labels: super::users::distinct(&mut g.rng, label_n, 0, labels, None),
        assignees: g.participants(assignee_n, None),
        created_at: created,
        updated_at: created,
        closed_at,
        closed_by: closed_at.map(|_| closer),
        locked: g.rng.chance(0.02),
        pull: None,
    }
}
