//! GitHub REST v3 behaviour over real sockets.

use std::collections::HashSet;

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, RateLimitConfig, Scenario};

use crate::support::{get, github_all, next_link, request};

const T: &str = DEFAULT_TOKENS[0];

fn forge() -> MockForge {
    MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap()
}

#[test]
fn issue_listing_paginates_to_the_exact_generated_count() {
    let f = forge();
    let truth = f.ground_truth();
    let t = truth.repo("mock-org/tiny").unwrap();
    let first = get(
        &format!(
            "{}/repos/mock-org/tiny/issues?state=all&per_page=5",
            f.github_api_url()
        ),
        Some(T),
    );
    let link = first.header("link").unwrap();
    let id = f.world().repos[0].id;
    assert!(
        link.contains(&format!(
            "/repositories/{id}/issues?state=all&per_page=5&page=2>; rel=\"next\""
        )),
        "{link}"
    );
    assert!(link.contains("rel=\"last\""), "{link}");
    let all = github_all(
        &format!(
            "{}/repos/mock-org/tiny/issues?state=all&per_page=5",
            f.github_api_url()
        ),
        T,
    );
    assert_eq!(all.len(), t.issues_listing);
    let prs = all
        .iter()
        .filter(|i| i.get("pull_request").is_some())
        .count();
    assert_eq!(prs, t.pull_requests);
    assert_eq!(all.len() - prs, t.issues);
    let numbers: HashSet<u64> = all.iter().map(|i| i["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers.len(), all.len(), "no duplicates across pages");
}

#[test]
fn enterprise_prefix_serves_the_same_data_with_prefixed_links() {
    let f = forge();
    let t = f.ground_truth();
    let url = format!(
        "{}/repos/mock-org/tiny/issues?state=all&per_page=4",
        f.github_enterprise_api_url()
    );
    let r = get(&url, Some(T));
    assert!(
        next_link(r.header("link"))
            .unwrap()
            .starts_with(&format!("{}/api/v3/repositories/", f.base_url()))
    );
    assert!(
        r.json()[0]["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/api/v3/repos/", f.base_url()))
    );
    assert_eq!(
        github_all(&url, T).len(),
        t.repo("mock-org/tiny").unwrap().issues_listing
    );
}

#[test]
fn state_since_sort_and_direction_filters() {
    let f = forge();
    let repo = f.world().repos[0].clone();
    let api = f.github_api_url();
    let open = github_all(&format!("{api}/repos/mock-org/tiny/issues?per_page=100"), T);
    assert_eq!(
        open.len(),
        repo.issues
            .iter()
            .filter(|i| i.state == aveloxis_mock_forge::model::State::Open)
            .count(),
        "default state is open"
    );
    let closed = github_all(
        &format!("{api}/repos/mock-org/tiny/issues?state=closed&per_page=100"),
        T,
    );
    assert!(closed.iter().all(|i| i["state"] == "closed"));
    let mut times: Vec<i64> = repo.issues.iter().map(|i| i.updated_at).collect();
    times.sort_unstable();
    let cut = times[times.len() / 2];
    let since = aveloxis_mock_forge::time::iso(cut);
    let got = github_all(
        &format!("{api}/repos/mock-org/tiny/issues?state=all&since={since}&per_page=100"),
        T,
    );
    assert_eq!(
        got.len(),
        repo.issues.iter().filter(|i| i.updated_at >= cut).count()
    );
    let asc = github_all(
        &format!(
            "{api}/repos/mock-org/tiny/issues?state=all&sort=updated&direction=asc&per_page=100"
        ),
        T,
    );
    let ts: Vec<&str> = asc
        .iter()
        .map(|i| i["updated_at"].as_str().unwrap())
        .collect();
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "ascending by updated_at"
    );
    let desc = github_all(
        &format!(
            "{api}/repos/mock-org/tiny/pulls?state=all&sort=updated&direction=desc&per_page=100"
        ),
        T,
    );
    let ts: Vec<&str> = desc
        .iter()
        .map(|i| i["updated_at"].as_str().unwrap())
        .collect();
    assert!(
        ts.windows(2).all(|w| w[0] >= w[1]),
        "descending by updated_at"
    );
    assert_eq!(
        desc.len(),
        f.ground_truth()
            .repo("mock-org/tiny")
            .unwrap()
            .pull_requests
    );
    let bad = get(
        &format!("{api}/repos/mock-org/tiny/issues?since=yesterday"),
        Some(T),
    );
    assert_eq!(bad.status, 422);
}

#[test]
fn every_pr_child_endpoint_adds_up_to_the_ground_truth() {
    let f = forge();
    let t = f.ground_truth().repo("mock-org/tiny").unwrap().clone();
    let api = f.github_api_url();
    let base = format!("{api}/repos/mock-org/tiny");
    let pulls = github_all(&format!("{base}/pulls?state=all&per_page=100"), T);
    let (mut commits, mut files, mut reviews, mut bodies, mut reviewers, mut rc) =
        (0, 0, 0, 0, 0, 0);
    let mut message_ids: Vec<(u64, &str)> = Vec::new();
    for p in &pulls {
        let n = p["number"].as_u64().unwrap();
        let c = github_all(&format!("{base}/pulls/{n}/commits?per_page=100"), T);
        for commit in &c {
            let sha = commit["sha"].as_str().unwrap();
            assert_eq!(
                get(&format!("{base}/commits/{sha}"), Some(T)).json()["sha"],
                sha
            );
        }
        commits += c.len();
        files += github_all(&format!("{base}/pulls/{n}/files?per_page=100"), T).len();
        let rv = github_all(&format!("{base}/pulls/{n}/reviews?per_page=100"), T);
        reviews += rv.len();
        for r in &rv {
            if !r["body"].as_str().unwrap().is_empty() {
                bodies += 1;
            }
            message_ids.push((r["id"].as_u64().unwrap(), "review"));
        }
        reviewers += get(&format!("{base}/pulls/{n}/requested_reviewers"), Some(T)).json()["users"]
            .as_array()
            .unwrap()
            .len();
        rc += github_all(&format!("{base}/pulls/{n}/comments?per_page=100"), T).len();
        let detail = get(&format!("{base}/pulls/{n}"), Some(T)).json();
        assert_eq!(detail["commits"].as_u64().unwrap() as usize, c.len());
    }
    assert_eq!(
        (commits, files, reviews, reviewers),
        (
            t.pull_request_commits,
            t.pull_request_files,
            t.reviews,
            t.pull_request_reviewers
        )
    );
    assert_eq!(bodies, t.reviews_with_body);
    let all_rc = github_all(&format!("{base}/pulls/comments?per_page=100"), T);
    assert_eq!((rc, all_rc.len()), (t.review_comments, t.review_comments));
    let comments = github_all(&format!("{base}/issues/comments?per_page=100"), T);
    assert_eq!(
        comments.len(),
        t.issue_comments + t.pull_request_issue_comments
    );
    assert_eq!(comments.len() + all_rc.len() + bodies, t.messages);
    message_ids.extend(
        comments
            .iter()
            .map(|c| (c["id"].as_u64().unwrap(), "comment")),
    );
    message_ids.extend(
        all_rc
            .iter()
            .map(|c| (c["id"].as_u64().unwrap(), "review_comment")),
    );
    let mut kinds: std::collections::HashMap<u64, HashSet<&str>> = std::collections::HashMap::new();
    for (id, k) in message_ids {
        kinds.entry(id).or_default().insert(k);
    }
    let colliding = kinds.values().filter(|k| k.len() > 1).count();
    assert_eq!(colliding, t.colliding_message_ids);
    assert!(
        colliding > 0,
        "ids must collide across message kinds, as on GitHub"
    );
    let events = github_all(&format!("{base}/issues/events?per_page=100"), T);
    assert_eq!(events.len(), t.issue_events + t.pull_request_events);
    assert!(events.iter().all(|e| e["issue"]["number"].is_u64()));
    assert_eq!(github_all(&format!("{base}/releases"), T).len(), t.releases);
    assert_eq!(
        github_all(&format!("{base}/contributors"), T).len(),
        t.contributors
    );
    assert_eq!(github_all(&format!("{base}/labels"), T).len(), t.labels);
    assert_eq!(
        get(&format!("{base}/traffic/clones"), Some(T)).json()["clones"]
            .as_array()
            .unwrap()
            .len(),
        t.clone_days
    );
    let info = get(&base, Some(T)).json();
    assert_eq!(info["full_name"], "mock-org/tiny");
    assert_eq!(info["id"].as_u64().unwrap(), t.repo_id);
}

#[test]
fn unknown_token_is_401_and_missing_token_is_anonymous() {
    let f = forge();
    let r = get(
        &format!("{}/repos/mock-org/tiny", f.github_api_url()),
        Some("nope"),
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "Bad credentials");
    let anon = get(&format!("{}/repos/mock-org/tiny", f.github_api_url()), None);
    assert_eq!(anon.status, 200);
    assert_eq!(anon.header("x-ratelimit-limit"), Some("60"));
    f.add_token("late-token", None);
    assert_eq!(
        get(
            &format!("{}/repos/mock-org/tiny", f.github_api_url()),
            Some("late-token")
        )
        .status,
        200
    );
}

#[test]
fn per_token_rate_limits_exhaust_with_403_and_reset_header() {
    let s = Scenario::generate(Preset::Tiny, 1).with_token("small", Some(3));
    let f = MockForge::start(s).unwrap();
    let url = format!("{}/repos/mock-org/tiny", f.github_api_url());
    for want in [2, 1, 0] {
        let r = get(&url, Some("small"));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-remaining").unwrap(), want.to_string());
        assert_eq!(r.header("x-ratelimit-resource"), Some("core"));
    }
    let r = get(&url, Some("small"));
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    let reset: i64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!(reset > aveloxis_mock_forge::time::now());
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("rate limit exceeded"), "{message}");
    assert!(
        message.contains("user ID") && !r.text().contains("small"),
        "the caller's token is not echoed: {message}"
    );
    // Other tokens have their own budget.
    assert_eq!(
        get(&url, Some(T)).header("x-ratelimit-remaining"),
        Some("4999")
    );
    // /rate_limit reports without charging.
    let rl = get(&format!("{}/rate_limit", f.github_api_url()), Some("small")).json();
    assert_eq!(rl["resources"]["core"]["remaining"], 0);
}

#[test]
fn exhaustion_can_answer_429_with_retry_after_and_windows_reset() {
    let mut s = Scenario::generate(Preset::Tiny, 1);
    s.rate_limit = RateLimitConfig {
        limit: 1,
        window_secs: 1,
        exhausted_status: 429,
        ..RateLimitConfig::default()
    };
    let f = MockForge::start(s).unwrap();
    let url = format!("{}/repos/mock-org/tiny", f.github_api_url());
    assert_eq!(get(&url, Some(T)).status, 200);
    let r = get(&url, Some(T));
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(
        get(&url, Some(T)).status,
        200,
        "budget resets after the window"
    );
    f.set_remaining(T, 0, 60);
    assert_eq!(get(&url, Some(T)).status, 429);
}

#[test]
fn conditional_requests_get_304_without_spending_budget() {
    let f = forge();
    let url = format!(
        "{}/repos/mock-org/tiny/issues?state=all&per_page=3",
        f.github_api_url()
    );
    let first = get(&url, Some(T));
    let etag = first.header("etag").unwrap().to_string();
    let remaining: u64 = first
        .header("x-ratelimit-remaining")
        .unwrap()
        .parse()
        .unwrap();
    let auth = format!("token {T}");
    let again = request(
        "GET",
        &url,
        &[("Authorization", &auth), ("If-None-Match", &etag)],
        None,
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(
        again.header("x-ratelimit-remaining").unwrap(),
        remaining.to_string()
    );
    let page2 = next_link(first.header("link")).unwrap();
    let other = request(
        "GET",
        &page2,
        &[("Authorization", &auth), ("If-None-Match", &etag)],
        None,
    );
    assert_eq!(other.status, 200, "another page has another ETag");
}

#[test]
fn web_urls_renames_deletions_and_gone_repositories() {
    let f = forge();
    let head = |owner: &str, name: &str| request("HEAD", &f.web_url(owner, name), &[], None);
    assert_eq!(head("mock-org", "tiny").status, 200);
    let moved = head("mock-org", "sidecar-old");
    assert_eq!(moved.status, 301);
    assert_eq!(
        moved.header("location").unwrap(),
        f.web_url("mock-org", "sidecar")
    );
    let dup = head("mock-org", "tiny-legacy");
    assert_eq!(
        (dup.status, dup.header("location").unwrap()),
        (301, f.web_url("mock-org", "tiny").as_str())
    );
    assert_eq!(head("mock-org", "deleted-repo").status, 404);
    assert_eq!(head("mock-org", "gone-repo").status, 410);
    assert_eq!(
        request("GET", &f.web_url("mock-org", "tiny"), &[], None).status,
        200
    );

    let api = f.github_api_url();
    let r = get(
        &format!("{api}/repos/mock-org/sidecar-old/issues?state=all"),
        Some(T),
    );
    assert_eq!(r.status, 301);
    let side = &f.world().repos[1];
    let loc = r.header("location").unwrap();
    assert_eq!(
        loc,
        format!("{api}/repositories/{}/issues?state=all", side.id)
    );
    let followed = get(loc, Some(T));
    assert_eq!(followed.status, 200);
    assert_eq!(
        followed.json().as_array().unwrap().len(),
        side.issues.len().min(30)
    );
    let by_id = get(&format!("{api}/repositories/{}", side.id), Some(T)).json();
    assert_eq!(by_id["full_name"], "mock-org/sidecar");
    assert_eq!(
        get(&format!("{api}/repos/mock-org/deleted-repo"), Some(T)).status,
        404
    );
    assert_eq!(
        get(&format!("{api}/repos/mock-org/gone-repo"), Some(T)).status,
        410
    );
}

#[test]
fn users_search_and_unknown_endpoints() {
    let f = forge();
    let api = f.github_api_url();
    let u = &f.world().users[5];
    let r = get(&format!("{api}/users/{}", u.login), Some(T)).json();
    assert_eq!(r["id"].as_u64().unwrap(), u.id);
    assert_eq!(
        r["created_at"].as_str().unwrap(),
        aveloxis_mock_forge::time::iso(u.created_at)
    );
    let s = get(
        &format!("{api}/search/users?q={}+in:email", u.commit_email),
        Some(T),
    );
    assert_eq!(s.header("x-ratelimit-resource"), Some("search"));
    assert_eq!(s.json()["items"][0]["login"], u.login.as_str());
    let unknown = get(&format!("{api}/repos/mock-org/tiny/deployments"), Some(T));
    assert_eq!(unknown.status, 501);
    assert!(unknown.text().contains("/repos/mock-org/tiny/deployments"));
    assert_eq!(
        f.unmatched_requests(),
        vec!["GET /repos/mock-org/tiny/deployments".to_string()]
    );
}
