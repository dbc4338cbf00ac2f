//! Per-repository lookup tables, built when a forge starts, and the render
//! caches of pre-rendered JSON that the GitHub and GitLab handlers fill on
//! first use.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::http::Layout;
use crate::model::RepoData;
use crate::truth::contributors;

/// Lazily rendered caches keyed by layout.
pub type LayoutCache<T> = [OnceLock<T>; 2];

/// Index of a GitHub layout in a [`LayoutCache`].
pub fn layout_slot(l: Layout) -> usize {
    usize::from(l == Layout::GitHubEnterprise)
}

/// Pre-rendered GitHub JSON (one per layout: URLs differ).
#[derive(Debug, Default)]
pub struct GhCache {
    /// Issue objects, by issue position.
    pub issues: Vec<String>,
    /// Pull-request-simple objects, by issue position (empty for issues).
    pub pulls: Vec<String>,
    /// Issue comments, by position in `issue_comments`.
    pub issue_comments: Vec<String>,
    /// Review comments, by position.
    pub review_comments: Vec<String>,
    /// Issue events without their embedded `issue`, ending in `}`.
    pub events: Vec<String>,
}

/// Pre-rendered GitLab JSON.
#[derive(Debug, Default)]
pub struct GlCache {
    /// Issues, by issue position (empty for pull requests).
    pub issues: Vec<String>,
    /// Merge requests, by issue position (empty for plain issues).
    pub mrs: Vec<String>,
}

/// Lookup tables of one repository.
#[derive(Debug)]
pub struct RepoServe {
    /// Comment positions per issue position.
    pub comments: Vec<Vec<usize>>,
    /// Review positions per issue position.
    pub reviews: Vec<Vec<usize>>,
    /// Review-comment positions per issue position.
    pub review_comments: Vec<Vec<usize>>,
    /// Event positions per issue position.
    pub events: Vec<Vec<usize>>,
    /// GitLab iid per issue position (issues and MRs are numbered apart).
    pub gl_iid: Vec<u64>,
    /// Issue position by GitLab issue iid - 1.
    pub gl_issue_by_iid: Vec<usize>,
    /// Issue position by GitLab MR iid - 1.
    pub gl_mr_by_iid: Vec<usize>,
    /// (user, commits), most first.
    pub contributors: Vec<(usize, u64)>,
    /// Users with commits.
    pub contributor_set: HashSet<usize>,
    /// GitHub render cache.
    pub gh: LayoutCache<GhCache>,
    /// GitLab render cache.
    pub gl: OnceLock<GlCache>,
}

impl RepoServe {
    /// Indexes `repo`.
    pub fn new(repo: &RepoData) -> Self {
        let n = repo.issues.len();
        let pos = |num: u64| repo.issue_index(num);
        let mut comments = vec![Vec::new(); n];
        for (i, c) in repo.issue_comments.iter().enumerate() {
            if let Some(p) = pos(c.number) {
                comments[p].push(i);
            }
        }
        let mut reviews = vec![Vec::new(); n];
        for (i, c) in repo.reviews.iter().enumerate() {
            if let Some(p) = pos(c.number) {
                reviews[p].push(i);
            }
        }
        let mut review_comments = vec![Vec::new(); n];
        for (i, c) in repo.review_comments.iter().enumerate() {
            if let Some(p) = pos(c.number) {
                review_comments[p].push(i);
            }
        }
        let mut events = vec![Vec::new(); n];
        for (i, e) in repo.events.iter().enumerate() {
            if let Some(p) = pos(e.number) {
                events[p].push(i);
            }
        }
        let mut gl_iid = vec![0; n];
        let (mut gl_issue_by_iid, mut gl_mr_by_iid) = (Vec::new(), Vec::new());
        for (p, is) in repo.issues.iter().enumerate() {
            if is.pull.is_some() {
                gl_mr_by_iid.push(p);
                gl_iid[p] = gl_mr_by_iid.len() as u64;
            } else {
                gl_issue_by_iid.push(p);
                gl_iid[p] = gl_issue_by_iid.len() as u64;
            }
        }
        let contributors = contributors(repo);
        Self {
            comments,
            reviews,
            review_comments,
            events,
            gl_iid,
            gl_issue_by_iid,
            gl_mr_by_iid,
            contributor_set: contributors.iter().map(|c| c.0).collect(),
            contributors,
            gh: [OnceLock::new(), OnceLock::new()],
            gl: OnceLock::new(),
        }
    }
}
