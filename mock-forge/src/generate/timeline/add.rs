//! What a day adds: commits on the default branch, conversation comments, reviews with a
//! review comment, issues, pull requests with their commits, a release.

use super::super::commits::{PATHS, record_change};
use super::super::text::{THINGS, VERBS, paragraph, title};
use super::DayEdit;
use crate::git::{HistoryReplay, WorkTree, commit_object, hex, object_id};
use crate::model::{
    Commit, FileChange, Issue, IssueComment, Pull, Release, RepoData, Review, ReviewComment, State,
};

/// The files at the tip of the default branch.
pub(super) fn head_tree(repo: &RepoData) -> WorkTree {
    let mut tree = WorkTree::default();
    let mut replay = HistoryReplay::new(repo);
    for i in 0..repo.commits.len() {
        replay.apply(i, &mut tree);
    }
    tree
}

impl DayEdit<'_> {
    /// Pushes one commit by `author` changing one or two files; returns its position.
    pub(super) fn push_commit(
        &mut self,
        repo: &mut RepoData,
        tree: &mut WorkTree,
        author: usize,
    ) -> usize {
        let (i, t) = (repo.commits.len(), self.tick());
        let n = self.rng.range(1, 2) as usize;
        let mut paths: Vec<&str> = Vec::new();
        while paths.len() < n {
            let p = *self.rng.pick(PATHS);
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
        paths.sort_unstable();
        let mut changes = Vec::new();
        for path in paths {
            let have = tree.lines(path).len() as u64;
            let mut ch = FileChange {
                path: path.to_string(),
                status: "modified".into(),
                additions: self.rng.range(1, 10),
                deletions: self.rng.range(0, have.min(6)),
                blob_sha: String::new(),
                patch: String::new(),
            };
            record_change(tree, i, &mut ch);
            changes.push(ch);
        }
        let message = format!("{} {}\n", self.rng.pick(VERBS), self.rng.pick(THINGS));
        let (name, email) = (
            self.users[author].name.clone(),
            self.users[author].commit_email.clone(),
        );
        let tree_id = hex(&tree.tree_id());
        let parent = repo.commits.last().map(|c| c.sha.clone());
        let obj = commit_object(&tree_id, parent.as_deref(), &name, &email, t, &message);
        let sha = hex(&object_id("commit", obj.as_bytes()));
        self.log.new_commits.push(sha.clone());
        repo.commits.push(Commit {
            sha,
            tree: tree_id,
            parent,
            author_user: Some(author),
            author_name: name,
            author_email: email,
            time: t,
            message,
            changes,
        });
        repo.pushed_at = t;
        i
    }

    fn next_message_id(&mut self) -> u64 {
        self.ids.message += self.rng.range(1, 3);
        self.ids.message
    }

    /// Conversation comments on random items, two per `n`.
    pub(super) fn add_comments(&mut self, repo: &mut RepoData) {
        for _ in 0..2 * self.n {
            let (t, user) = (self.tick(), self.person());
            let p = self.rng.index(repo.issues.len());
            let id = self.next_message_id();
            let is = &mut repo.issues[p];
            is.updated_at = t;
            repo.issue_comments.push(IssueComment {
                id,
                number: is.number,
                user,
                body: paragraph(&mut self.rng, 2),
                created_at: t,
                updated_at: t,
            });
            self.log.new_comments.push(id);
        }
    }

    /// Reviews of random pull requests, each with one review comment on the reviewed commit.
    pub(super) fn add_reviews(&mut self, repo: &mut RepoData) {
        let pulls = Self::pulls(repo);
        for p in self.choose(pulls, self.n) {
            let (t, user) = (self.tick(), self.person());
            let is = &mut repo.issues[p];
            is.updated_at = t;
            let number = is.number;
            let pr = is.pull.as_ref().expect("a pull request");
            let commit = pr.first_commit + pr.commit_count - 1;
            let state = *self
                .rng
                .pick(&["APPROVED", "COMMENTED", "CHANGES_REQUESTED"]);
            let (id, comment_id) = (self.next_message_id(), self.next_message_id());
            repo.reviews.push(Review {
                id,
                number,
                user,
                body: paragraph(&mut self.rng, 1),
                state: state.to_string(),
                submitted_at: t,
                commit,
            });
            let path = repo.commits[commit].changes[0].path.clone();
            repo.review_comments.push(ReviewComment {
                id: comment_id,
                review_id: id,
                number,
                user,
                body: paragraph(&mut self.rng, 1),
                path,
                line: self.rng.range(1, 40),
                commit,
                in_reply_to: None,
                created_at: t,
                updated_at: t,
            });
            self.log.new_reviews.push(id);
        }
    }

    /// Positions of pull requests with commits.
    fn pulls(repo: &RepoData) -> Vec<usize> {
        (0..repo.issues.len())
            .filter(|&p| {
                repo.issues[p]
                    .pull
                    .as_ref()
                    .is_some_and(|p| p.commit_count > 0)
            })
            .collect()
    }

    /// A new open item by `user` numbered after the last one (labels and assignees with
    /// their events); returns its position.
    fn open_item(&mut self, repo: &mut RepoData, user: usize, pull: Option<Pull>) -> usize {
        let t = self.tick();
        self.ids.issue += self.rng.range(1, 40_000);
        let number = repo.issues.last().map_or(1, |i| i.number + 1);
        let labels = if repo.labels.is_empty() || self.rng.chance(0.5) {
            Vec::new()
        } else {
            vec![self.rng.index(repo.labels.len())]
        };
        let assignees = if self.rng.chance(0.5) {
            vec![self.maintainer()]
        } else {
            Vec::new()
        };
        repo.issues.push(Issue {
            number,
            id: self.ids.issue,
            title: title(&mut self.rng),
            body: paragraph(&mut self.rng, 3),
            user,
            state: State::Open,
            state_reason: None,
            labels: labels.clone(),
            assignees: assignees.clone(),
            created_at: t,
            updated_at: t,
            closed_at: None,
            closed_by: None,
            locked: false,
            pull,
        });
        for l in labels {
            self.event(repo, number, user, "labeled", t).label = Some(l);
        }
        for a in assignees {
            self.event(repo, number, user, "assigned", t).assignee = Some(a);
        }
        repo.issues.len() - 1
    }

    /// New plain issues.
    pub(super) fn add_issues(&mut self, repo: &mut RepoData) {
        for _ in 0..self.n {
            let user = self.person();
            let p = self.open_item(repo, user, None);
            self.log.new_issues.push(repo.issues[p].number);
        }
    }

    /// New pull requests, each over one or two new commits by its author (someone who
    /// already has commits, so no one's `author_association` changes) and asking one
    /// person for a review.
    pub(super) fn add_pulls(&mut self, repo: &mut RepoData, tree: &mut WorkTree) {
        for j in 0..self.n {
            let author = self.committer();
            let count = self.rng.range(1, 2) as usize;
            let first = repo.commits.len();
            for _ in 0..count {
                self.push_commit(repo, tree, author);
            }
            let reviewer = self.person();
            self.ids.pull += self.rng.range(1, 30_000);
            let slug = self.rng.pick(THINGS).replace(' ', "-");
            let pull = Pull {
                id: self.ids.pull,
                merged_at: None,
                merged_by: None,
                draft: false,
                head_ref: format!("feature/{slug}-day{}-{j}", self.day),
                base_ref: "main".into(),
                first_commit: first,
                commit_count: count,
                requested_reviewers: if reviewer == author {
                    Vec::new()
                } else {
                    vec![reviewer]
                },
            };
            let p = self.open_item(repo, author, Some(pull));
            self.log.new_pulls.push(repo.issues[p].number);
        }
    }

    /// A patch release of the tip of the default branch: `vA.B.<day>` after `vA.B.0`.
    pub(super) fn add_release(&mut self, repo: &mut RepoData) {
        let Some(head) = repo.commits.len().checked_sub(1) else {
            return;
        };
        let (t, author) = (self.tick(), self.maintainer());
        let base = repo
            .releases
            .iter()
            .rev()
            .find_map(|r| r.tag_name.strip_suffix(".0"));
        let tag = format!("{}.{}", base.unwrap_or("v0.0"), self.day);
        self.ids.release += self.rng.range(1, 90_000);
        repo.releases.push(Release {
            id: self.ids.release,
            tag_name: tag.clone(),
            name: format!("Release {}", tag.trim_start_matches('v')),
            body: paragraph(&mut self.rng, 2),
            draft: false,
            prerelease: false,
            created_at: t,
            published_at: t + self.rng.range(0, 600) as i64,
            author,
            commit: head,
        });
        self.log.new_releases.push(tag);
    }
}
