//! A world with days: the generated history, `ground-truth.json` of every day, serving a
//! day (`serve --day`, `set_day`, a day per API key, the admin route), and ETags, `since`
//! and pagination while the world moves.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use aveloxis_mock_forge::generate::DAY;
use aveloxis_mock_forge::generate::timeline::{DAY_ONE, day_start};
use aveloxis_mock_forge::model::{RepoData, State, World};
use aveloxis_mock_forge::scenario::{write_generated, write_generated_days};
use aveloxis_mock_forge::{DEFAULT_TOKENS, GroundTruth, MockForge, Preset, Scenario, StartOptions};

use crate::support::{get, github_all, gitlab_all, request};

const BIN: &str = env!("CARGO_BIN_EXE_mock-forge");

fn repo<'a>(w: &'a World, name: &str) -> &'a RepoData {
    w.repos.iter().find(|r| r.name == name).unwrap()
}

#[test]
fn the_history_is_deterministic_per_seed_and_day_0_is_todays_world() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);
    write_generated_days(Preset::Tiny, 7, 3, &p("a")).unwrap();
    write_generated_days(Preset::Tiny, 7, 3, &p("b")).unwrap();
    write_generated_days(Preset::Tiny, 8, 3, &p("c")).unwrap();
    write_generated(Preset::Tiny, 7, &p("plain")).unwrap();
    write_generated_days(Preset::Tiny, 7, 0, &p("zero")).unwrap();
    let read = |d: &str, f: &str| std::fs::read(p(d).join(f)).unwrap();
    for f in ["world.json", "ground-truth.json", "scenario.yaml"] {
        assert_eq!(read("a", f), read("b", f), "{f} is the same per seed");
        assert_eq!(
            read("plain", f),
            read("zero", f),
            "--days 0 writes {f} as before"
        );
    }
    assert_eq!(read("a", "world.json"), read("plain", "world.json"));
    let a = Scenario::load(&p("a")).unwrap();
    let c = Scenario::load(&p("c")).unwrap();
    assert_ne!(a.later_days, c.later_days);
    assert_eq!(a.day_count(), 4);
    assert_eq!(a.world, Scenario::generate(Preset::Tiny, 7).world);
    assert_eq!(
        a.later_days,
        Scenario::generate_days(Preset::Tiny, 7, 3).later_days
    );
    assert_eq!(Scenario::load(&p("plain")).unwrap().day_count(), 1);

    // ground-truth.json: day 0 at the top level for old readers, every day in `days`.
    let truth: serde_json::Value = serde_json::from_slice(&read("a", "ground-truth.json")).unwrap();
    let day0: GroundTruth = serde_json::from_value(truth.clone()).unwrap();
    assert_eq!(day0, a.ground_truth());
    let days: Vec<GroundTruth> = serde_json::from_value(truth["days"].clone()).unwrap();
    assert_eq!(days.len(), 4);
    for (k, d) in days.iter().enumerate() {
        assert_eq!(Some(d), a.ground_truth_of(k).as_ref(), "day {k}");
    }
    assert_ne!(days[0], days[3]);
    assert_eq!(truth["changes"].as_array().unwrap().len(), 3);
    assert_eq!(truth["changes"][2]["day"], 3);
}

/// Everything a day may change, checked between day 0 and the last day.
fn assert_every_kind_of_change(preset: Preset, seed: u64) {
    let s = Scenario::generate_days(preset, seed, 3);
    let (w0, w3) = (&s.world, &s.later_days[2]);
    let name = preset.name();
    let (r0, r3) = (repo(w0, name), repo(w3, name));
    let by_number: HashMap<u64, &_> = r3.issues.iter().map(|i| (i.number, i)).collect();
    let last0 = r0.issues.last().unwrap().number;
    let new: Vec<_> = r3.issues.iter().filter(|i| i.number > last0).collect();
    assert!(new.iter().any(|i| i.pull.is_none()), "new issues");
    assert!(new.iter().any(|i| i.pull.is_some()), "new pull requests");
    assert!(
        r3.issue_comments.len() + 3 > r0.issue_comments.len(),
        "comments"
    );
    let ids = |r: &RepoData| -> HashSet<u64> { r.issue_comments.iter().map(|c| c.id).collect() };
    let (c0, c3) = (ids(r0), ids(r3));
    assert!(c3.difference(&c0).count() > 0, "new comments");
    assert!(c0.difference(&c3).count() > 0, "deleted comments");
    assert!(r3.reviews.len() > r0.reviews.len(), "reviews");
    assert!(r3.review_comments.len() > r0.review_comments.len());
    assert!(r3.events.len() > r0.events.len(), "events");
    assert!(r3.releases.len() > r0.releases.len(), "releases");
    let mut seen: HashSet<&str> = HashSet::new();
    for old in &r0.issues {
        let now = by_number[&old.number];
        if now.title != old.title {
            seen.insert("edited title");
        }
        if !old.body.is_empty() && now.body.is_empty() {
            seen.insert("cleared body");
        }
        if old.state == State::Closed && now.state == State::Open {
            assert_eq!(now.closed_at, None, "#{} reopened", old.number);
            assert_eq!(now.closed_by, None);
            seen.insert("reopened");
        }
        if old.state == State::Open && now.state == State::Closed {
            seen.insert("closed");
        }
        let merged = |i: &aveloxis_mock_forge::model::Issue| {
            i.pull.as_ref().is_some_and(|p| p.merged_at.is_some())
        };
        if !merged(old) && merged(now) {
            seen.insert("merged");
        }
        if old.labels.iter().any(|l| !now.labels.contains(l)) {
            seen.insert("label removed");
        }
        if old.assignees.iter().any(|a| !now.assignees.contains(a)) {
            seen.insert("assignee removed");
        }
        if let (Some(a), Some(b)) = (&old.pull, &now.pull)
            && a.requested_reviewers
                .iter()
                .any(|r| !b.requested_reviewers.contains(r))
        {
            seen.insert("reviewer removed");
        }
        if now.updated_at != old.updated_at {
            assert!(
                now.updated_at > old.updated_at,
                "#{} moved back",
                old.number
            );
            assert!(
                now.updated_at >= DAY_ONE,
                "#{} moved onto a day",
                old.number
            );
        }
    }
    for kind in [
        "edited title",
        "cleared body",
        "reopened",
        "closed",
        "merged",
        "label removed",
        "assignee removed",
        "reviewer removed",
    ] {
        assert!(
            seen.contains(kind),
            "{name}: no {kind} between day 0 and day 3"
        );
    }
    for kind in [
        "reopened",
        "unlabeled",
        "unassigned",
        "merged",
        "closed",
        "renamed",
    ] {
        assert!(
            r3.events
                .iter()
                .any(|e| e.event == kind && e.created_at >= DAY_ONE),
            "{name}: a {kind} event on a later day"
        );
    }
    // The force-push: commits of day 0 are gone, the history stays a chain.
    let shas: HashSet<&str> = r3.commits.iter().map(|c| c.sha.as_str()).collect();
    assert!(
        r0.commits.iter().any(|c| !shas.contains(c.sha.as_str())),
        "{name}: a force-push dropped commits of day 0"
    );
    for w in r3.commits.windows(2) {
        assert_eq!(w[1].parent.as_deref(), Some(w[0].sha.as_str()));
    }
    // The rename, on the last day only.
    assert!(w3.repos.iter().any(|r| r.name == "sidecar-renamed"));
    assert!(s.later_days[1].repos.iter().any(|r| r.name == "sidecar"));
    for from in ["mock-org/sidecar", "mock-org/sidecar-old"] {
        assert!(
            w3.redirects
                .iter()
                .any(|r| r.from == from && r.to == "mock-org/sidecar-renamed"),
            "{from} redirects to the new name"
        );
    }
    // Each day's changes happen on that day.
    for k in 1..=3 {
        let (before, after) = (s.world_of(k - 1).unwrap(), s.world_of(k).unwrap());
        let before = repo(before, name);
        let after = repo(after, name);
        for now in &after.issues {
            let old = before.issue_index(now.number).map(|p| &before.issues[p]);
            if old.is_none_or(|o| o.updated_at != now.updated_at) {
                let t = now.updated_at;
                assert!(
                    (day_start(k)..day_start(k) + DAY).contains(&t),
                    "day {k}: #{} updated at {t}",
                    now.number
                );
            }
        }
    }
}

#[test]
fn every_kind_of_change_happens_on_the_tiny_preset() {
    assert_every_kind_of_change(Preset::Tiny, 1);
}

#[test]
fn every_kind_of_change_happens_on_the_augur_preset() {
    assert_every_kind_of_change(Preset::Augur, 1);
}

fn listing(base: &str, repo: &str, token: &str) -> Vec<serde_json::Value> {
    github_all(
        &format!("{base}/repos/mock-org/{repo}/issues?state=all&per_page=100"),
        token,
    )
}

fn tiny_count(truth: &GroundTruth) -> usize {
    truth.repo("mock-org/tiny").unwrap().issues_listing
}

#[test]
fn serve_day_serves_that_day_and_the_admin_route_moves_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("scn");
    let g = Command::new(BIN)
        .args([
            "generate", "--preset", "tiny", "--seed", "4", "--days", "3", "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));
    assert!(String::from_utf8_lossy(&g.stdout).contains("day 3: mock-org/tiny:"));
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("ground-truth.json")).unwrap()).unwrap();
    let count = |day: usize| {
        truth["days"][day]["repos"]["mock-org/tiny"]["issues_listing"]
            .as_u64()
            .unwrap() as usize
    };
    assert_ne!(count(0), count(2));

    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--port",
            "0",
            "--print-url",
            "--day",
            "2",
            "--scenario",
        ])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().to_string();
    let token = DEFAULT_TOKENS[0];
    assert_eq!(listing(&base, "tiny", token).len(), count(2));
    let admin = format!("{base}/__mock/day");
    let r = request("POST", &admin, &[], Some(br#"{"day": 3}"#));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["day"], 3);
    assert_eq!(r.json()["days"], 4);
    assert_eq!(listing(&base, "tiny", token).len(), count(3));
    let r = request(
        "POST",
        &admin,
        &[],
        Some(br#"{"token": "mock-token-1", "day": 0}"#),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(listing(&base, "tiny", "mock-token-1").len(), count(0));
    assert_eq!(listing(&base, "tiny", token).len(), count(3));
    assert_eq!(request("GET", &admin, &[], None).json()["day"], 3);
    assert_eq!(
        request("POST", &admin, &[], Some(br#"{"day": 4}"#)).status,
        404
    );
    assert_eq!(request("POST", &admin, &[], Some(b"day=1")).status, 400);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());

    let bad = Command::new(BIN)
        .args(["serve", "--port", "0", "--day", "4", "--scenario"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--day 4"));
}

/// A non-loopback address of this machine, if it has one.
fn outside_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.200:9")
        .or_else(|_| s.connect("10.255.255.254:9"))
        .ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn the_admin_route_refuses_peers_off_loopback() {
    let Some(ip) = outside_address() else {
        eprintln!("NOT RUN: this machine has no address off loopback");
        return;
    };
    let opts = StartOptions {
        addr: "0.0.0.0:0".parse().unwrap(),
        public_url: None,
    };
    let f = MockForge::start_with(Scenario::generate_days(Preset::Tiny, 1, 1), opts).unwrap();
    let port = f.addr().port();
    let r = request(
        "POST",
        &format!("http://{ip}:{port}/__mock/day"),
        &[],
        Some(br#"{"day": 1}"#),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(f.day(), 0);
    let r = request(
        "POST",
        &format!("http://127.0.0.1:{port}/__mock/day"),
        &[],
        Some(br#"{"day": 1}"#),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.day(), 1);
}

/// The head of `main` in a bare clone of `url` (sending `header` with every request, as the
/// collector sends its key).
fn git_head(url: &str, header: &str, dir: &std::path::Path, name: &str) -> String {
    let header = format!("http.extraHeader={header}");
    let out = Command::new("git")
        .args([
            "-c",
            "credential.helper=",
            "-c",
            &header,
            "clone",
            "--bare",
            "--quiet",
            url,
            name,
        ])
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("git")
        .args(["rev-parse", "refs/heads/main"])
        .current_dir(dir.join(name))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn set_day_moves_every_caller_and_a_pinned_key_keeps_its_day() {
    let f = MockForge::start(Scenario::generate_days(Preset::Tiny, 1, 3)).unwrap();
    assert_eq!((f.day_count(), f.day()), (4, 0));
    let base = f.base_url();
    let truth = |d| f.ground_truth_of(d).unwrap();
    let (a, b) = (DEFAULT_TOKENS[0], DEFAULT_TOKENS[1]);
    f.set_day_for_token(a, 0);
    f.set_day_for_token(b, 3);
    assert_eq!(listing(&base, "tiny", a).len(), tiny_count(&truth(0)));
    assert_eq!(listing(&base, "tiny", b).len(), tiny_count(&truth(3)));
    // Two clients of one URL at once, each on its own day.
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| listing(&base, "tiny", a));
        let hb = s.spawn(|| listing(&base, "tiny", b));
        (ha.join().unwrap(), hb.join().unwrap())
    });
    assert_eq!(
        (ra.len(), rb.len()),
        (tiny_count(&truth(0)), tiny_count(&truth(3)))
    );
    // The renamed repository: day 3 redirects, day 0 answers.
    let side = |t| get(&format!("{base}/repos/mock-org/sidecar"), Some(t)).status;
    assert_eq!((side(a), side(b)), (200, 301));
    // Anonymous callers and unpinned keys follow the global day; budgets are one per key.
    let anon = || get(&format!("{base}/repos/mock-org/tiny/issues/17"), None).status;
    assert_eq!(anon(), 404, "day 0 has 16 items");
    f.set_day(2);
    assert_eq!((f.day(), f.day_of_token(a), f.day_of_token(b)), (2, 0, 3));
    assert_eq!(anon(), 200);
    assert_eq!(f.world().repos.len(), truth(2).repos.len());
    let c = DEFAULT_TOKENS[2];
    let rem = |t| {
        get(&format!("{base}/rate_limit"), Some(t)).json()["resources"]["core"]["remaining"]
            .as_u64()
            .unwrap()
    };
    let before = rem(c);
    listing(&base, "tiny", c);
    f.set_day(3);
    listing(&base, "tiny", c);
    assert_eq!(rem(c), before - 2, "the budget spans days");

    // git follows the day: anonymous clones the global day, a key its own.
    let tmp = tempfile::tempdir().unwrap();
    let head = |d: usize| {
        repo(f.world_of(d).unwrap(), "tiny")
            .commits
            .last()
            .unwrap()
            .sha
            .clone()
    };
    assert_ne!(head(0), head(3));
    let url = f.git_clone_url("mock-org", "tiny");
    assert_eq!(
        git_head(&url, "X-Nothing: 1", tmp.path(), "anon.git"),
        head(3)
    );
    // `Basic base64("x-access-token:mock-token-0")`
    let basic = "Authorization: Basic eC1hY2Nlc3MtdG9rZW46bW9jay10b2tlbi0w";
    assert_eq!(a, "mock-token-0");
    assert_eq!(git_head(&url, basic, tmp.path(), "keyed.git"), head(0));
}

#[test]
fn an_etag_answers_304_until_the_day_changes_the_page() {
    let f = MockForge::start(Scenario::generate_days(Preset::Tiny, 1, 1)).unwrap();
    let token = format!("token {}", DEFAULT_TOKENS[0]);
    let ask = |path: &str, etag: Option<&str>| {
        let mut h = vec![("Authorization", token.as_str())];
        if let Some(e) = etag {
            h.push(("If-None-Match", e));
        }
        request("GET", &format!("{}{path}", f.base_url()), &h, None)
    };
    let issues = "/repos/mock-org/tiny/issues?state=all&per_page=100";
    let labels = "/repos/mock-org/tiny/labels";
    let first = ask(issues, None);
    let etag = first.header("etag").unwrap().to_string();
    let label_etag = ask(labels, None).header("etag").unwrap().to_string();
    assert_eq!(ask(issues, Some(&etag)).status, 304);
    f.set_day(1);
    let moved = ask(issues, Some(&etag));
    assert_eq!(moved.status, 200, "the day changed the page");
    assert_ne!(moved.header("etag").unwrap(), etag);
    assert_ne!(moved.body, first.body);
    assert_eq!(
        ask(labels, Some(&label_etag)).status,
        304,
        "labels did not change"
    );
    f.set_day(0);
    assert_eq!(ask(issues, Some(&etag)).status, 304, "day 0 again");
}

#[test]
fn since_and_pagination_are_right_on_every_day() {
    let f = MockForge::start(Scenario::generate_days(Preset::Tiny, 1, 3)).unwrap();
    let base = f.base_url();
    let token = DEFAULT_TOKENS[0];
    for day in 0..4 {
        f.set_day(day);
        let r = repo(f.world(), "tiny");
        let since = if day == 0 {
            DAY_ONE - 90 * DAY
        } else {
            day_start(day)
        };
        let iso = chrono::DateTime::from_timestamp(since, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ");
        let got: Vec<u64> = github_all(
            &format!("{base}/repos/mock-org/tiny/issues?state=all&per_page=2&since={iso}"),
            token,
        )
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
        let mut want: Vec<u64> = r
            .issues
            .iter()
            .filter(|i| i.updated_at >= since)
            .map(|i| i.number)
            .collect();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        want.sort_unstable();
        assert_eq!(sorted, want, "day {day}: since {iso}");
        if day > 0 {
            assert!(!want.is_empty() && want.len() < r.issues.len(), "day {day}");
        }
        let all = github_all(
            &format!("{base}/repos/mock-org/tiny/issues?state=all&per_page=3"),
            token,
        );
        assert_eq!(all.len(), r.issues.len(), "day {day}: every page");
        let comments = github_all(
            &format!("{base}/repos/mock-org/tiny/issues/comments?per_page=5&since={iso}"),
            token,
        );
        let want = r
            .issue_comments
            .iter()
            .filter(|c| c.updated_at >= since)
            .count();
        assert_eq!(comments.len(), want, "day {day}: comments since {iso}");
    }
    assert!(f.unmatched_requests().is_empty());
}

/// Every GitLab event of `mock-org/tiny` on the forge's current day, by id: project events,
/// and each issue's and merge request's label events.
fn gitlab_events(f: &MockForge) -> HashMap<(String, u64), serde_json::Value> {
    let token = DEFAULT_TOKENS[0];
    let proj = format!("{}/projects/mock-org%2Ftiny", f.gitlab_api_url());
    let mut out = HashMap::new();
    let (events, _) = gitlab_all(&format!("{proj}/events?per_page=100"), token);
    for mut e in events {
        // The target's title as it is now (edited titles show in old events too).
        e.as_object_mut().unwrap().remove("target_title");
        out.insert(("event".into(), e["id"].as_u64().unwrap()), e);
    }
    for kind in ["issues", "merge_requests"] {
        let (items, _) = gitlab_all(&format!("{proj}/{kind}?per_page=100"), token);
        for it in items {
            let iid = it["iid"].as_u64().unwrap();
            let url = format!("{proj}/{kind}/{iid}/resource_label_events?per_page=100");
            for e in gitlab_all(&url, token).0 {
                out.insert(("label".into(), e["id"].as_u64().unwrap()), e);
            }
        }
    }
    out
}

#[test]
fn gitlab_events_keep_their_ids_and_content_from_day_to_day() {
    let scenario = Scenario::generate_days(Preset::Tiny, 1, 3);
    let changes = scenario.day_changes.clone();
    let f = MockForge::start(scenario).unwrap();
    let day0 = gitlab_events(&f);
    f.set_day(3);
    let day3 = gitlab_events(&f);
    // Nothing a forge recorded is renumbered, rewritten or forgotten as the world moves: a
    // label removal is a `remove` event of its own, and a merge request closed, reopened and
    // later merged still lists its close.
    for (k, e) in &day0 {
        assert_eq!(day3.get(k), Some(e), "{k:?} on day 3");
    }
    assert!(day3.len() > day0.len(), "new events");
    let removed = day3.values().filter(|e| e["action"] == "remove").count();
    let unlabeled: usize = changes
        .iter()
        .map(|d| d.repos["mock-org/tiny"].unlabeled.len())
        .sum();
    assert!(
        unlabeled > 0 && removed == unlabeled,
        "{removed} of {unlabeled}"
    );
    assert!(f.unmatched_requests().is_empty());
}
