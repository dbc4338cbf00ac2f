//! Conformance with real recorded responses: every recording under
//! `core/tests/fixtures/real/{github,gitlab}/` is compared, key set by key
//! set and recursively, with the same resource rendered by the mock from a
//! generated world. A key the mock renders that the recording lacks, or one
//! the recording has that the mock lacks, fails, unless `ALLOWED` says why
//! it legitimately differs.
//!
//! Rules of the comparison: two objects compare their keys and then every
//! common key; two non-empty arrays compare the union of their elements'
//! shapes (events kind by kind, for the kinds both sides have);
//! `null`, empty arrays and scalars end the recursion (a `null` milestone is
//! data, not shape).

use std::collections::BTreeSet;
use std::path::PathBuf;

use aveloxis_mock_forge::model::{RepoData, State};
use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use serde_json::Value;

use crate::support::{get, request};

mod allowed;
use allowed::{ALLOWED, KNOWN_DEVIATIONS, NOT_RENDERED};

const T: &str = DEFAULT_TOKENS[0];

/// `text` matches `pattern`, in which one `*` stands for any characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        Some((pre, post)) => {
            text.len() >= pre.len() + post.len() && text.starts_with(pre) && text.ends_with(post)
        }
        None => pattern == text,
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/real")
}

/// The deep union of the shapes of `items`.
fn union(items: &[&Value]) -> Value {
    fn merge(acc: &mut Value, v: &Value) {
        match (acc, v) {
            (acc @ Value::Null, v) => *acc = v.clone(),
            (Value::Object(a), Value::Object(b)) => {
                for (k, x) in b {
                    merge(a.entry(k.clone()).or_insert(Value::Null), x);
                }
            }
            (Value::Array(a), Value::Array(b)) => a.extend(b.iter().cloned()),
            _ => {}
        }
    }
    let mut acc = Value::Null;
    for v in items {
        merge(&mut acc, v);
    }
    acc
}

/// Compares the shapes of two lists under `path`: events kind by kind
/// (kinds only one side has are data, not shape), other items all together.
fn diff_lists(real: &[&Value], mine: &[Value], path: &str, out: &mut Vec<String>) {
    let kinds: BTreeSet<Option<&str>> = real.iter().map(|v| v["event"].as_str()).collect();
    for kind in kinds {
        let r: Vec<&Value> = real
            .iter()
            .copied()
            .filter(|v| v["event"].as_str() == kind)
            .collect();
        let m: Vec<&Value> = mine
            .iter()
            .filter(|v| v["event"].as_str() == kind)
            .collect();
        if !m.is_empty() {
            diff(&union(&r), &union(&m), path, out);
        }
    }
}

/// Key differences between `real` and `mine` under `path`.
fn diff(real: &Value, mine: &Value, path: &str, out: &mut Vec<String>) {
    match (real, mine) {
        (Value::Object(r), Value::Object(m)) => {
            for k in m.keys().filter(|k| !r.contains_key(*k)) {
                out.push(format!("extra {path}{k}"));
            }
            for k in r.keys().filter(|k| !m.contains_key(*k)) {
                out.push(format!("missing {path}{k}"));
            }
            for (k, rv) in r {
                if let Some(mv) = m.get(k) {
                    diff(rv, mv, &format!("{path}{k}."), out);
                }
            }
        }
        (Value::Array(r), Value::Array(m)) => {
            let r: Vec<&Value> = r.iter().collect();
            diff_lists(&r, m, &format!("{path}[]."), out);
        }
        _ => {}
    }
}

/// The mock's rendering: a list is compared as the union of its elements
/// when the recording is one object.
fn compare(fixture: &str, mine: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(fixtures().join(fixture)).unwrap();
    let real: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    match (&real, mine) {
        (Value::Object(_), Value::Array(m)) => diff_lists(&[&real], m, "", &mut out),
        _ => diff(&real, mine, "", &mut out),
    }
    out
}

fn gh(url: &str) -> Value {
    let r = get(url, Some(T));
    assert_eq!(r.status, 200, "GET {url}: {}", r.text());
    r.json()
}

fn gl(url: &str) -> Value {
    let r = request("GET", url, &[("PRIVATE-TOKEN", T)], None);
    assert_eq!(r.status, 200, "GET {url}: {}", r.text());
    r.json()
}

/// The first issue (pull request when `pull`) with labels, closed first.
fn pick(repo: &RepoData, pull: bool) -> u64 {
    let mut c: Vec<_> = repo
        .issues
        .iter()
        .filter(|i| i.pull.is_some() == pull)
        .collect();
    c.sort_by_key(|i| (i.labels.is_empty(), i.state == State::Open, i.number));
    c[0].number
}

/// The GitLab `iid` of the item at position `p` of `repo`.
fn gl_iid_at(f: &MockForge, repo: &RepoData, p: usize) -> u64 {
    let v = gl(&format!(
        "{}/projects/{}/{}?per_page=100&state=all",
        f.gitlab_api_url(),
        repo.project_id,
        if repo.issues[p].pull.is_some() {
            "merge_requests"
        } else {
            "issues"
        }
    ));
    let id = repo.issues[p]
        .pull
        .as_ref()
        .map_or(repo.issues[p].id, |x| x.id);
    v.as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"].as_u64() == Some(id))
        .and_then(|x| x["iid"].as_u64())
        .unwrap()
}

/// The `iid` of the issue (merge request when `mr`) `pick` chooses.
fn gl_iid(f: &MockForge, repo: &RepoData, mr: bool) -> u64 {
    let n = pick(repo, mr);
    gl_iid_at(f, repo, repo.issue_index(n).unwrap())
}

/// The GitHub resource of every recording: (fixture, URL).
fn github_cases(f: &MockForge) -> Vec<(String, String)> {
    let api = f.github_api_url();
    let w = f.world();
    let repo = w.repos.iter().find(|r| r.name == "tiny").unwrap();
    let r = format!("{api}/repos/{}", repo.full_name());
    let issue = pick(repo, false);
    let pull = pick(repo, true);
    let reviewed = repo.reviews[0].number;
    let commented = repo
        .issue_comments
        .iter()
        .map(|c| c.number)
        .find(|&n| {
            repo.events
                .iter()
                .any(|e| e.number == n && e.event == "closed")
        })
        .unwrap();
    let person = &w.users[4];
    let user = format!("{api}/users/{}", person.login);
    let sha = &repo.commits[repo.commits.len() / 2].sha;
    let l = |s: &str| format!("{r}/{s}");
    [
        ("user.json", user.clone()),
        ("user_with_company.json", user.clone()),
        ("user_orgs.json", format!("{user}/orgs")),
        ("repo.json", r.clone()),
        ("issue.json", l(&format!("issues/{issue}"))),
        (
            "issue_timeline.json",
            l(&format!("issues/{commented}/timeline?per_page=100")),
        ),
        ("issues_list.json", l("issues?state=all&per_page=100")),
        ("comment.json", l("issues/comments?per_page=100")),
        (
            "issue_comments_list.json",
            l("issues/comments?per_page=100"),
        ),
        ("issue_events.json", l("issues/events?per_page=100")),
        ("issue_event_closed.json", l("issues/events?per_page=100")),
        ("label.json", l("labels")),
        ("release.json", l("releases")),
        ("contributor.json", l("contributors")),
        ("commit.json", l(&format!("commits/{sha}"))),
        ("pull.json", l(&format!("pulls/{pull}"))),
        ("pulls_list.json", l("pulls?state=all&per_page=100")),
        ("pull_commit.json", l(&format!("pulls/{reviewed}/commits"))),
        ("pull_file.json", l(&format!("pulls/{reviewed}/files"))),
        ("pull_review.json", l(&format!("pulls/{reviewed}/reviews"))),
        ("pull_review_comment.json", l("pulls/comments?per_page=100")),
        (
            "pull_review_comments_list.json",
            l("pulls/comments?per_page=100"),
        ),
        (
            "search_users.json",
            format!("{api}/search/users?q={}", person.login),
        ),
    ]
    .into_iter()
    .map(|(k, u)| (format!("github/{k}"), u))
    .collect()
}

/// The GitLab resource of every recording we render: (fixture, URL).
fn gitlab_cases(f: &MockForge) -> Vec<(String, String)> {
    let api = f.gitlab_api_url();
    let w = f.world();
    let repo = w.repos.iter().find(|r| r.name == "tiny").unwrap();
    let p = format!("{api}/projects/{}", repo.project_id);
    let person = &w.users[4];
    let issue = gl_iid(f, repo, false);
    let mr = gl_iid(f, repo, true);
    let at = |want: &dyn Fn(&aveloxis_mock_forge::model::Issue) -> bool| {
        gl_iid_at(f, repo, repo.issues.iter().position(want).unwrap())
    };
    let merged = at(&|i| i.pull.as_ref().is_some_and(|p| p.merged_at.is_some()));
    let closed = at(&|i| i.pull.is_none() && i.state == State::Closed);
    let q = |s: String| format!("{p}/{s}");
    [
        ("issue.json", q(format!("issues/{closed}"))),
        ("issue_open.json", q(format!("issues/{issue}"))),
        ("issues_list.json", q("issues?per_page=100".into())),
        ("label.json", q("labels".into())),
        ("merge_request.json", q(format!("merge_requests/{mr}"))),
        (
            "merge_request_merged.json",
            q(format!("merge_requests/{merged}")),
        ),
        (
            "merge_requests_list.json",
            q("merge_requests?state=all&per_page=100".into()),
        ),
        ("mr_changes.json", q(format!("merge_requests/{mr}/changes"))),
        ("mr_commit.json", q(format!("merge_requests/{mr}/commits"))),
        ("mr_note.json", q(format!("merge_requests/{mr}/notes"))),
        ("note.json", q(format!("issues/{issue}/notes"))),
        ("release.json", q("releases".into())),
        ("user.json", format!("{api}/users/{}", person.id)),
        (
            "users_by_username.json",
            format!("{api}/users?username={}", person.login),
        ),
    ]
    .into_iter()
    .chain(std::iter::once(("project.json", p)))
    .map(|(k, u)| (format!("gitlab/{k}"), u))
    .collect()
}

#[test]
fn every_recorded_response_has_the_mocks_key_set() {
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let mut cases = github_cases(&f);
    cases.extend(gitlab_cases(&f));
    let mut failures = Vec::new();
    let mut used = BTreeSet::new();
    for (fixture, url) in &cases {
        let mine = if fixture.starts_with("gitlab/") {
            gl(url)
        } else {
            gh(url)
        };
        for d in compare(fixture, &mine) {
            match ALLOWED
                .iter()
                .chain(KNOWN_DEVIATIONS)
                .position(|(fx, key, _)| glob(fx, fixture) && glob(key, &d))
            {
                Some(i) => {
                    used.insert(i);
                }
                None => failures.push(format!("{fixture} ({url}): {d}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let all: Vec<_> = ALLOWED.iter().chain(KNOWN_DEVIATIONS).collect();
    let unused: Vec<_> = (0..all.len())
        .filter(|i| !used.contains(i))
        .map(|i| all[i])
        .collect();
    assert!(unused.is_empty(), "stale allow-list entries: {unused:?}");
    // Every recording is compared or named as not rendered, with a reason.
    for dir in ["github", "gitlab"] {
        for e in std::fs::read_dir(fixtures().join(dir)).unwrap() {
            let name = format!("{dir}/{}", e.unwrap().file_name().to_string_lossy());
            assert!(
                cases.iter().any(|(c, _)| *c == name)
                    || NOT_RENDERED.iter().any(|(n, _)| *n == name),
                "{name}: neither compared nor listed in NOT_RENDERED"
            );
        }
    }
}
