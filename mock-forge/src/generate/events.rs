//! Issue events: the ones that follow from an item's state (labeled,
//! assigned, closed, reopened, merged, head_ref_deleted) plus a few extra
//! kinds, numbered in time order.

use super::context::{Ids, RepoGen};
use super::{DAY, T_END};
use crate::model::{Event, Issue};

/// The events of one repository, oldest first.
pub(super) fn events(
    g: &mut RepoGen<'_>,
    issues: &[Issue],
    commits: usize,
    ids: &mut Ids,
) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    for is in issues {
        state_events(g, is, &mut events);
        extra_events(g, is, commits, &mut events);
    }
    events.sort_by_key(|e| (e.created_at, e.number));
    for e in &mut events {
        ids.event += g.rng.range(1, 50);
        e.id = ids.event;
    }
    events
}

/// An event without label, assignee or commit (id not yet given).
fn event(number: u64, actor: usize, kind: &str, created_at: i64) -> Event {
    Event {
        id: 0,
        number,
        actor,
        event: kind.to_string(),
        created_at: created_at.min(T_END),
        label: None,
        assignee: None,
        commit: None,
        dangling_commit: None,
        state_reason: None,
    }
}

/// What the item's labels, assignees and closing imply.
fn state_events(g: &mut RepoGen<'_>, is: &Issue, events: &mut Vec<Event>) {
    for &l in &is.labels {
        let at = is.created_at + g.rng.range(1, DAY as u64) as i64;
        let mut e = event(is.number, is.user, "labeled", at);
        e.label = Some(l);
        events.push(e);
    }
    for &a in &is.assignees {
        let at = is.created_at + g.rng.range(1, DAY as u64) as i64;
        let mut e = event(is.number, is.closed_by.unwrap_or(is.user), "assigned", at);
        e.assignee = Some(a);
        events.push(e);
    }
    let Some(closed) = is.closed_at else { return };
    let closer = is.closed_by.unwrap_or(is.user);
    if g.rng.chance(0.05) && closed - is.created_at > 7200 {
        let t = is.created_at + (closed - is.created_at) / 3;
        events.push(event(is.number, closer, "closed", t));
        events.push(event(is.number, is.user, "reopened", t + (closed - t) / 2));
    }
    if let Some(pr) = &is.pull
        && pr.merged_at.is_some()
    {
        let mut m = event(is.number, closer, "merged", closed);
        m.commit = Some(pr.first_commit + pr.commit_count - 1);
        events.push(m);
        if g.rng.chance(0.5) {
            events.push(event(is.number, is.user, "head_ref_deleted", closed + 5));
        }
    }
    events.push(event(is.number, closer, "closed", closed));
}

/// Mentions, subscriptions, references and renames by participants.
fn extra_events(g: &mut RepoGen<'_>, is: &Issue, commits: usize, events: &mut Vec<Event>) {
    let extra = g.rng.around(g.p.extra_events_per_item);
    for _ in 0..extra {
        let kinds = [
            "mentioned",
            "subscribed",
            "referenced",
            "renamed",
            "cross-referenced",
        ];
        let kind = *g.rng.pick(&kinds);
        if kind == "cross-referenced" {
            continue; // timeline-only; never in /issues/events
        }
        let end = is.closed_at.unwrap_or(T_END).max(is.created_at + 60);
        let actor = g.person();
        let at = is.created_at + g.rng.range(1, (end - is.created_at) as u64) as i64;
        let mut e = event(is.number, actor, kind, at);
        if kind == "referenced" && commits > 0 {
            e.commit = Some(g.rng.index(commits));
        }
        events.push(e);
    }
}
