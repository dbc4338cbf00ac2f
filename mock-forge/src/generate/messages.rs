//! Messages: conversation comments, reviews and review comments. The three
//! kinds number their ids from the same base, so ids collide across kinds
//! as they do on GitHub; the next repository starts past all of them.

use std::collections::HashMap;

use super::context::{Ids, RepoGen};
use super::text::paragraph;
use super::{DAY, T_END};
use crate::model::{Commit, Issue, IssueComment, Review, ReviewComment};
use crate::rng::Rng;

/// The messages of one repository.
pub(super) struct Messages {
    /// Conversation comments on issues and pull requests.
    pub comments: Vec<IssueComment>,
    /// Pull request reviews.
    pub reviews: Vec<Review>,
    /// Review comments, attached to reviews.
    pub review_comments: Vec<ReviewComment>,
}

/// Draws every message of a repository, in time order per kind.
pub(super) fn messages(
    g: &mut RepoGen<'_>,
    issues: &[Issue],
    commits: &[Commit],
    ids: &mut Ids,
) -> Messages {
    let base = ids.message;
    let mut comments = comments(g, issues);
    let last_comment = number(&mut g.rng, base, comments.iter_mut().map(|c| &mut c.id));
    let mut reviews = reviews(g, issues);
    let last_review = number(&mut g.rng, base, reviews.iter_mut().map(|r| &mut r.id));
    let (review_comments, last_rc) = review_comments(g, issues, commits, &reviews, base);
    ids.message = last_comment.max(last_review).max(last_rc) + 10_000;
    Messages {
        comments,
        reviews,
        review_comments,
    }
}

/// Gives ids from `base` upwards in steps of one to three; returns the last.
fn number<'a>(rng: &mut Rng, base: u64, ids: impl Iterator<Item = &'a mut u64>) -> u64 {
    let mut next = base;
    for id in ids {
        next += rng.range(1, 3);
        *id = next;
    }
    next
}

/// Conversation comments (ids not yet given), oldest first; most within
/// 45 days of the item's creation.
fn comments(g: &mut RepoGen<'_>, issues: &[Issue]) -> Vec<IssueComment> {
    let mut comments: Vec<IssueComment> = Vec::new();
    for is in issues {
        let n = g.rng.around(g.p.comments_per_item);
        let end = is
            .closed_at
            .unwrap_or(T_END)
            .max(is.created_at + 60)
            .min(is.created_at + 45 * DAY)
            .min(T_END);
        for _ in 0..n {
            let t = is.created_at + g.rng.range(60, (end - is.created_at).max(61) as u64) as i64;
            let user = if g.rng.chance(0.3) {
                is.user
            } else if g.rng.chance(0.03) {
                2
            } else {
                g.person()
            };
            let edited = g.rng.chance(0.1);
            comments.push(IssueComment {
                id: 0,
                number: is.number,
                user,
                body: paragraph(&mut g.rng, 2),
                created_at: t,
                updated_at: if edited {
                    (t + g.rng.range(60, 3 * DAY as u64) as i64).min(T_END)
                } else {
                    t
                },
            });
        }
    }
    comments.sort_by_key(|c| (c.created_at, c.number));
    comments
}

/// Reviews of pull requests (ids not yet given), oldest first; requested
/// reviewers write half of them.
fn reviews(g: &mut RepoGen<'_>, issues: &[Issue]) -> Vec<Review> {
    let mut reviews: Vec<Review> = Vec::new();
    for is in issues {
        let Some(pr) = &is.pull else { continue };
        let n = g.rng.around(g.p.reviews_per_pull);
        let end = is.closed_at.unwrap_or(T_END).max(is.created_at + 120);
        for _ in 0..n {
            let user = if !pr.requested_reviewers.is_empty() && g.rng.chance(0.5) {
                *g.rng.pick(&pr.requested_reviewers)
            } else {
                g.person()
            };
            let roll = g.rng.unit();
            let state = if roll < 0.5 {
                "APPROVED"
            } else if roll < 0.7 {
                "CHANGES_REQUESTED"
            } else {
                "COMMENTED"
            };
            reviews.push(Review {
                id: 0,
                number: is.number,
                user,
                body: if g.rng.chance(0.55) {
                    paragraph(&mut g.rng, 1)
                } else {
                    String::new()
                },
                state: state.into(),
                submitted_at: is.created_at + g.rng.range(60, (end - is.created_at) as u64) as i64,
                commit: pr.first_commit + g.rng.index(pr.commit_count.max(1)),
            });
        }
    }
    reviews.sort_by_key(|r| (r.submitted_at, r.number));
    reviews
}

/// Review comments of `reviews`, numbered from `base`; one in five replies
/// to the previous comment on the same pull request. Returns the last id.
fn review_comments(
    g: &mut RepoGen<'_>,
    issues: &[Issue],
    commits: &[Commit],
    reviews: &[Review],
    base: u64,
) -> (Vec<ReviewComment>, u64) {
    let mut drawn: Vec<(ReviewComment, bool)> = Vec::new();
    for r in reviews {
        let n = g.rng.around(g.p.review_comments_per_review);
        let is = &issues[(r.number - 1) as usize];
        let pr = is.pull.as_ref().expect("reviews are on pull requests");
        for _ in 0..n {
            let c = &commits[pr.first_commit + g.rng.index(pr.commit_count.max(1))];
            let path = g.rng.pick(&c.changes).path.clone();
            drawn.push((
                ReviewComment {
                    id: 0,
                    review_id: r.id,
                    number: r.number,
                    user: r.user,
                    body: paragraph(&mut g.rng, 1),
                    path,
                    line: g.rng.range(1, 40),
                    commit: r.commit,
                    in_reply_to: None,
                    created_at: r.submitted_at,
                    updated_at: r.submitted_at,
                },
                g.rng.chance(0.2),
            ));
        }
    }
    drawn.sort_by_key(|(c, _)| (c.created_at, c.number, c.review_id));
    let mut next = base;
    let mut last_on_pr: HashMap<u64, u64> = HashMap::new();
    let mut out = Vec::with_capacity(drawn.len());
    for (mut c, reply) in drawn {
        next += g.rng.range(1, 3);
        c.id = next;
        if reply {
            c.in_reply_to = last_on_pr.get(&c.number).copied();
        }
        last_on_pr.insert(c.number, c.id);
        out.push(c);
    }
    (out, next)
}
