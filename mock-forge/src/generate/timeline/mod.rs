//! A world with days: day 0 is the generated world, unchanged; day k + 1 is day k after one
//! more day of activity on every repository, drawn from the seed (the same seed gives the
//! same history, byte for byte).
//!
//! What a day does to each repository, in this order, each change at its own time on that
//! day (`updated_at` moves forward to it): a force-push that drops the commits at the tip of
//! the default branch that nothing references (a day's own direct pushes, or day 0's tip;
//! events that named them keep the SHA); reopens (`closed_at` cleared, a `reopened` event),
//! closes, merges; a label, an assignee and a requested reviewer removed; titles and bodies
//! edited, some bodies cleared; comments edited and deleted; new comments, reviews (with a
//! review comment), issues, pull requests (with their commits), a release, and one or two
//! direct pushes. The last day also renames the `sidecar` repository to `sidecar-renamed`
//! (its old names redirect to the new one).
//!
//! Day k (k ≥ 1) is the calendar day starting at [`day_start`]`(k)`: consecutive days from
//! 2030-01-01, later than day 0's history and than any clock a collector runs on, so a
//! collector's `since` window measured from its own last run sees every change.

mod add;
mod edit;

use std::collections::HashSet;

use super::DAY;
use crate::model::{Redirect, RepoData, User, World};
use crate::rng::Rng;
use crate::truth::{DayChanges, RepoChanges};

/// Midnight UTC starting day 1: 2030-01-01T00:00:00Z.
pub const DAY_ONE: i64 = 1_893_456_000;

/// The repository the last day renames, and its new name.
pub const RENAMED: (&str, &str) = ("sidecar", "sidecar-renamed");

/// Midnight UTC starting day `day` (≥ 1).
pub fn day_start(day: usize) -> i64 {
    DAY_ONE + (day as i64 - 1) * DAY
}

/// Every day of a world, day 0 first, and what each later day changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// `days[k]` is the world on day k.
    pub days: Vec<World>,
    /// `changes[k - 1]` is what day k changed.
    pub changes: Vec<DayChanges>,
}

impl Timeline {
    /// `days` days after `day0`, drawn from `seed`.
    pub fn new(day0: World, seed: u64, days: usize) -> Self {
        let mut out = Self {
            days: vec![day0],
            changes: Vec::new(),
        };
        for day in 1..=days {
            let mut world = out.days[day - 1].clone();
            let changes = next_day(&mut world, seed, day, day == days);
            out.days.push(world);
            out.changes.push(changes);
        }
        out
    }
}

/// The largest ids of a world, so new items get ids no item of the world has.
#[derive(Debug, Clone, Copy, Default)]
struct Ids {
    issue: u64,
    pull: u64,
    message: u64,
    event: u64,
    release: u64,
}

impl Ids {
    fn of(world: &World) -> Self {
        let mut ids = Self::default();
        for r in &world.repos {
            for is in &r.issues {
                ids.issue = ids.issue.max(is.id);
                ids.pull = ids.pull.max(is.pull.as_ref().map_or(0, |p| p.id));
            }
            let messages = r.issue_comments.iter().map(|c| c.id);
            let messages = messages.chain(r.reviews.iter().map(|c| c.id));
            let messages = messages.chain(r.review_comments.iter().map(|c| c.id));
            ids.message = ids.message.max(messages.max().unwrap_or(0));
            ids.event = ids
                .event
                .max(r.events.iter().map(|e| e.id).max().unwrap_or(0));
            ids.release = ids
                .release
                .max(r.releases.iter().map(|e| e.id).max().unwrap_or(0));
        }
        ids
    }
}

/// One day of one repository being drawn.
struct DayEdit<'a> {
    rng: Rng,
    /// The time of the last change; every change takes the next tick.
    clock: i64,
    /// The day's last second.
    end: i64,
    day: usize,
    /// How many items each kind of change touches.
    n: usize,
    users: &'a [User],
    /// Issue authors, closers and commit authors of the repository (user positions).
    people: Vec<usize>,
    maintainers: Vec<usize>,
    committers: Vec<usize>,
    ids: &'a mut Ids,
    /// Authors whose only commits the force-push dropped: they push again today.
    repush: Vec<usize>,
    /// Numbers of items whose state changed today (one state change a day each).
    busy: HashSet<u64>,
    log: RepoChanges,
}

impl DayEdit<'_> {
    /// The time of the next change.
    fn tick(&mut self) -> i64 {
        self.clock = (self.clock + self.rng.range(20, 90) as i64).min(self.end);
        self.clock
    }

    fn pick(&mut self, from: &[usize]) -> usize {
        *self.rng.pick(from)
    }

    fn person(&mut self) -> usize {
        let people = std::mem::take(&mut self.people);
        let p = self.pick(&people);
        self.people = people;
        p
    }

    fn maintainer(&mut self) -> usize {
        let m = std::mem::take(&mut self.maintainers);
        let p = self.pick(&m);
        self.maintainers = m;
        p
    }

    fn committer(&mut self) -> usize {
        let c = std::mem::take(&mut self.committers);
        let p = self.pick(&c);
        self.committers = c;
        p
    }

    /// Up to `n` distinct entries of `candidates`, in the order drawn.
    fn choose(&mut self, mut candidates: Vec<usize>, n: usize) -> Vec<usize> {
        let mut out = Vec::new();
        while out.len() < n && !candidates.is_empty() {
            let i = self.rng.index(candidates.len());
            out.push(candidates.swap_remove(i));
        }
        out
    }
}

/// Sorted distinct users of `it`, or `fallback` when there are none.
fn sorted(it: impl Iterator<Item = usize>, fallback: &[usize]) -> Vec<usize> {
    let mut v: Vec<usize> = it.collect();
    v.sort_unstable();
    v.dedup();
    if v.is_empty() { fallback.to_vec() } else { v }
}

/// Turns `world` (day `day - 1`) into day `day`; returns what changed.
fn next_day(world: &mut World, seed: u64, day: usize, last: bool) -> DayChanges {
    let mut ids = Ids::of(world);
    let mut out = DayChanges {
        day,
        ..DayChanges::default()
    };
    let users = world.users.clone();
    for repo in &mut world.repos {
        let people = sorted(repo.issues.iter().map(|i| i.user), &[0]);
        let mut d = DayEdit {
            rng: Rng::derive(seed, &format!("day-{day}-repo-{}", repo.id)),
            clock: day_start(day) + 3600,
            end: day_start(day) + DAY - 1,
            day,
            n: (repo.issues.len() / 200).max(1),
            users: &users,
            maintainers: sorted(repo.issues.iter().filter_map(|i| i.closed_by), &people),
            committers: sorted(repo.commits.iter().filter_map(|c| c.author_user), &people),
            people,
            ids: &mut ids,
            repush: Vec::new(),
            busy: HashSet::new(),
            log: RepoChanges::default(),
        };
        d.run(repo);
        out.repos.insert(repo.full_name(), d.log);
    }
    if last {
        rename(world, &mut out);
    }
    out
}

impl DayEdit<'_> {
    /// Every change of the day, in order.
    fn run(&mut self, repo: &mut RepoData) {
        self.force_push(repo);
        self.reopen(repo);
        self.close(repo);
        self.merge(repo);
        self.unlabel(repo);
        self.unassign(repo);
        self.unrequest(repo);
        self.edit_items(repo);
        self.edit_comments(repo);
        self.delete_comments(repo);
        self.add_comments(repo);
        self.add_reviews(repo);
        self.add_issues(repo);
        let mut tree = add::head_tree(repo);
        self.add_pulls(repo, &mut tree);
        self.add_release(repo);
        let mut direct = std::mem::take(&mut self.repush);
        for _ in 0..self.rng.range(1, 2) {
            direct.push(self.committer());
        }
        for author in direct {
            self.push_commit(repo, &mut tree, author);
        }
    }
}

/// Renames [`RENAMED`]`.0` to [`RENAMED`]`.1`: every name that led to it now leads to the new
/// name, and so does the old name.
fn rename(world: &mut World, out: &mut DayChanges) {
    let Some(repo) = world.repos.iter_mut().find(|r| r.name == RENAMED.0) else {
        return;
    };
    let old = repo.full_name();
    repo.name = RENAMED.1.to_string();
    let new = repo.full_name();
    for r in &mut world.redirects {
        if r.to == old {
            r.to = new.clone();
        }
    }
    world.redirects.push(Redirect {
        from: old.clone(),
        to: new.clone(),
    });
    if let Some(mut log) = out.repos.remove(&old) {
        log.renamed_from = Some(old);
        out.repos.insert(new, log);
    }
}
