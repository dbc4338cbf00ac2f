//! The changes a day makes to what was already there: the force-push, state changes,
//! removed labels, assignees and review requests, edited items and comments, deleted
//! comments.

use std::collections::{HashMap, HashSet};

use super::super::text::{paragraph, title};
use super::DayEdit;
use crate::model::{Event, RepoData, State};

impl DayEdit<'_> {
    /// Records event `kind` on item `number` at `at`; returns it for its details.
    pub(super) fn event<'r>(
        &mut self,
        repo: &'r mut RepoData,
        number: u64,
        actor: usize,
        kind: &str,
        at: i64,
    ) -> &'r mut Event {
        self.ids.event += self.rng.range(1, 50);
        self.log.new_events += 1;
        repo.events.push(Event {
            id: self.ids.event,
            number,
            actor,
            event: kind.to_string(),
            created_at: at,
            label: None,
            assignee: None,
            commit: None,
            dangling_commit: None,
            state_reason: None,
        });
        repo.events.last_mut().expect("just pushed")
    }

    /// Positions of items that pass `keep`.
    fn items(repo: &RepoData, keep: impl Fn(&crate::model::Issue) -> bool) -> Vec<usize> {
        (0..repo.issues.len())
            .filter(|&p| keep(&repo.issues[p]))
            .collect()
    }

    /// Drops the unreferenced tip of the default branch (one or two commits): nothing but
    /// events may name them (events keep the SHA); an author left without commits pushes
    /// again later that day.
    pub(super) fn force_push(&mut self, repo: &mut RepoData) {
        let mut keep = 1;
        for is in &repo.issues {
            if let Some(p) = &is.pull {
                keep = keep.max(p.first_commit + p.commit_count);
            }
        }
        let reviews = repo.reviews.iter().map(|r| r.commit);
        let reviews = reviews.chain(repo.review_comments.iter().map(|r| r.commit));
        keep = keep.max(
            reviews
                .chain(repo.releases.iter().map(|r| r.commit))
                .fold(0, |a, c| a.max(c + 1)),
        );
        let cut = repo.commits.len().saturating_sub(2).max(keep);
        let mut authors: HashMap<usize, usize> = HashMap::new();
        for c in &repo.commits[..cut.min(repo.commits.len())] {
            if let Some(u) = c.author_user {
                *authors.entry(u).or_default() += 1;
            }
        }
        // An author whose every commit goes would stop being a contributor, which changes the
        // `author_association` of whatever they wrote here: they push again today.
        let wrote = Self::writers(repo);
        for c in repo.commits.get(cut..).unwrap_or_default() {
            if let Some(u) = c.author_user
                && !authors.contains_key(&u)
                && wrote.contains(&u)
                && !self.repush.contains(&u)
            {
                self.repush.push(u);
            }
        }
        if cut >= repo.commits.len() {
            return;
        }
        for e in &mut repo.events {
            if let Some(c) = e.commit.filter(|&c| c >= cut) {
                e.dangling_commit = Some(repo.commits[c].sha.clone());
                e.commit = None;
            }
        }
        let dropped = repo.commits.split_off(cut);
        self.log.dropped_commits = dropped.into_iter().map(|c| c.sha).collect();
        repo.pushed_at = self.tick();
    }

    /// Everyone whose items, comments or reviews carry an `author_association` here.
    fn writers(repo: &RepoData) -> HashSet<usize> {
        let items = repo.issues.iter().map(|i| i.user);
        let comments = repo.issue_comments.iter().map(|c| c.user);
        let reviews = repo.reviews.iter().map(|r| r.user);
        let diff = repo.review_comments.iter().map(|r| r.user);
        items.chain(comments).chain(reviews).chain(diff).collect()
    }

    /// Reopens closed issues and one pull request closed without merging.
    pub(super) fn reopen(&mut self, repo: &mut RepoData) {
        let issues = Self::items(repo, |i| i.pull.is_none() && i.state == State::Closed);
        let pulls = Self::items(repo, |i| {
            i.state == State::Closed && i.pull.as_ref().is_some_and(|p| p.merged_at.is_none())
        });
        let mut chosen = self.choose(issues, self.n);
        chosen.extend(self.choose(pulls, 1));
        for p in chosen {
            let t = self.tick();
            let is = &mut repo.issues[p];
            let (number, author, reason) = (is.number, is.user, is.state_reason.clone());
            (is.state, is.closed_at, is.closed_by) = (State::Open, None, None);
            is.state_reason = is.pull.is_none().then(|| "reopened".to_string());
            is.updated_at = t;
            for e in &mut repo.events {
                if e.number == number && e.event == "closed" && e.state_reason.is_none() {
                    e.state_reason.clone_from(&reason);
                }
            }
            self.event(repo, number, author, "reopened", t);
            self.busy.insert(number);
            self.log.reopened.push(number);
        }
    }

    /// Closes open issues as completed.
    pub(super) fn close(&mut self, repo: &mut RepoData) {
        let busy = self.busy.clone();
        let open = Self::items(repo, |i| {
            i.pull.is_none() && i.state == State::Open && !busy.contains(&i.number)
        });
        for p in self.choose(open, self.n) {
            let (t, who) = (self.tick(), self.maintainer());
            let is = &mut repo.issues[p];
            (is.state, is.closed_at, is.closed_by) = (State::Closed, Some(t), Some(who));
            is.state_reason = Some("completed".into());
            is.updated_at = t;
            let number = is.number;
            self.event(repo, number, who, "closed", t);
            self.busy.insert(number);
            self.log.closed.push(number);
        }
    }

    /// Merges open pull requests that are not drafts.
    pub(super) fn merge(&mut self, repo: &mut RepoData) {
        let busy = self.busy.clone();
        let open = Self::items(repo, |i| {
            i.state == State::Open
                && !busy.contains(&i.number)
                && i.pull
                    .as_ref()
                    .is_some_and(|p| !p.draft && p.commit_count > 0)
        });
        for p in self.choose(open, self.n) {
            let (t, who) = (self.tick(), self.maintainer());
            let is = &mut repo.issues[p];
            (is.state, is.closed_at, is.closed_by) = (State::Closed, Some(t), Some(who));
            is.updated_at = t;
            let pr = is.pull.as_mut().expect("a pull request");
            (pr.merged_at, pr.merged_by) = (Some(t), Some(who));
            let (number, head) = (is.number, pr.first_commit + pr.commit_count - 1);
            self.event(repo, number, who, "merged", t).commit = Some(head);
            self.event(repo, number, who, "closed", t);
            self.busy.insert(number);
            self.log.merged.push(number);
        }
    }

    /// Removes one label of some labelled items.
    pub(super) fn unlabel(&mut self, repo: &mut RepoData) {
        let labelled = Self::items(repo, |i| !i.labels.is_empty());
        for p in self.choose(labelled, self.n) {
            let (t, who) = (self.tick(), self.maintainer());
            let is = &mut repo.issues[p];
            let label = is.labels.remove(self.rng.index(is.labels.len()));
            is.updated_at = t;
            let number = is.number;
            self.event(repo, number, who, "unlabeled", t).label = Some(label);
            let name = repo.labels[label].name.clone();
            self.log.unlabeled.push((number, name));
        }
    }

    /// Removes one assignee of some assigned items.
    pub(super) fn unassign(&mut self, repo: &mut RepoData) {
        let assigned = Self::items(repo, |i| !i.assignees.is_empty());
        for p in self.choose(assigned, self.n) {
            let (t, who) = (self.tick(), self.maintainer());
            let is = &mut repo.issues[p];
            let a = is.assignees.remove(self.rng.index(is.assignees.len()));
            is.updated_at = t;
            let number = is.number;
            self.event(repo, number, who, "unassigned", t).assignee = Some(a);
            let login = self.users[a].login.clone();
            self.log.unassigned.push((number, login));
        }
    }

    /// Removes one requested reviewer of some pull requests.
    pub(super) fn unrequest(&mut self, repo: &mut RepoData) {
        let requested = Self::items(repo, |i| {
            i.pull
                .as_ref()
                .is_some_and(|p| !p.requested_reviewers.is_empty())
        });
        for p in self.choose(requested, self.n) {
            let t = self.tick();
            let is = &mut repo.issues[p];
            let pr = is.pull.as_mut().expect("a pull request");
            let r = pr
                .requested_reviewers
                .remove(self.rng.index(pr.requested_reviewers.len()));
            is.updated_at = t;
            let login = self.users[r].login.clone();
            self.log.unrequested.push((is.number, login));
        }
    }

    /// Edits titles and bodies (a `renamed` event each); every third edit clears the body.
    /// Items with a `renamed` event are left alone (the event renders the current title).
    pub(super) fn edit_items(&mut self, repo: &mut RepoData) {
        let renamed: HashSet<u64> = repo
            .events
            .iter()
            .filter(|e| e.event == "renamed")
            .map(|e| e.number)
            .collect();
        let items = Self::items(repo, |i| !renamed.contains(&i.number));
        for (k, p) in self.choose(items, self.n + 1).into_iter().enumerate() {
            let t = self.tick();
            let is = &mut repo.issues[p];
            is.updated_at = t;
            let number = is.number;
            if k % 3 == 1 && !is.body.is_empty() {
                is.body.clear();
                self.log.cleared_bodies.push(number);
                continue;
            }
            is.title = title(&mut self.rng);
            is.body = paragraph(&mut self.rng, 3);
            let who = is.user;
            self.event(repo, number, who, "renamed", t);
            self.log.edited.push(number);
        }
    }

    /// Edits the bodies of some conversation comments (the comment's `updated_at` moves).
    pub(super) fn edit_comments(&mut self, repo: &mut RepoData) {
        let all = (0..repo.issue_comments.len()).collect();
        for c in self.choose(all, self.n) {
            let t = self.tick();
            let c = &mut repo.issue_comments[c];
            c.body = paragraph(&mut self.rng, 2);
            c.updated_at = t;
            self.log.edited_comments.push(c.id);
        }
    }

    /// Deletes some conversation comments; their item's `updated_at` moves.
    pub(super) fn delete_comments(&mut self, repo: &mut RepoData) {
        let edited: HashSet<u64> = self.log.edited_comments.iter().copied().collect();
        let all = (0..repo.issue_comments.len())
            .filter(|&c| !edited.contains(&repo.issue_comments[c].id))
            .collect();
        let mut gone = self.choose(all, self.n);
        gone.sort_unstable();
        for &c in gone.iter().rev() {
            let t = self.tick();
            let c = repo.issue_comments.remove(c);
            if let Some(p) = repo.issue_index(c.number) {
                repo.issues[p].updated_at = t;
            }
            self.log.deleted_comments.push(c.id);
        }
    }
}
