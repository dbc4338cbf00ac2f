//! GitLab v4 behaviour.

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};

use crate::support::{gitlab_all, request};

const T: &str = DEFAULT_TOKENS[1];

#[test]
fn issues_merge_requests_and_notes_match_the_ground_truth() {
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 9)).unwrap();
    let t = f.ground_truth().repo("mock-org/tiny").unwrap().clone();
    let api = f.gitlab_api_url();
    let proj = format!("{api}/projects/mock-org%2Ftiny");
    let p = request(
        "GET",
        &format!("{proj}?statistics=true"),
        &[("PRIVATE-TOKEN", T)],
        None,
    );
    assert_eq!(p.status, 200);
    assert_eq!(
        p.json()["statistics"]["commit_count"].as_u64().unwrap() as usize,
        t.commits
    );
    assert_eq!(p.json()["id"].as_u64().unwrap(), t.project_id);
    assert!(p.header("ratelimit-remaining").is_some());

    let (issues, total) = gitlab_all(
        &format!("{proj}/issues?scope=all&sort=desc&order_by=updated_at&per_page=2"),
        T,
    );
    assert_eq!((issues.len(), total), (t.issues, t.issues));
    let ts: Vec<&str> = issues
        .iter()
        .map(|i| i["updated_at"].as_str().unwrap())
        .collect();
    assert!(ts.windows(2).all(|w| w[0] >= w[1]));
    let (mrs, total) = gitlab_all(
        &format!("{api}/projects/{}/merge_requests?per_page=3", t.project_id),
        T,
    );
    assert_eq!((mrs.len(), total), (t.pull_requests, t.pull_requests));
    let merged = request(
        "GET",
        &format!("{proj}/merge_requests?state=merged&per_page=1"),
        &[("PRIVATE-TOKEN", T)],
        None,
    );
    assert_eq!(
        merged.header("x-total").unwrap(),
        t.merged_pull_requests.to_string()
    );
    let stats = request(
        "GET",
        &format!("{proj}/issues_statistics"),
        &[("PRIVATE-TOKEN", T)],
        None,
    )
    .json();
    assert_eq!(
        stats["statistics"]["counts"]["opened"].as_u64().unwrap() as usize,
        t.open_issues
    );

    let mut notes = 0;
    let mut ids = std::collections::HashSet::new();
    for i in &issues {
        let (n, _) = gitlab_all(&format!("{proj}/issues/{}/notes?sort=asc", i["iid"]), T);
        notes += n.len();
        ids.extend(n.iter().map(|x| x["id"].as_u64().unwrap()));
    }
    let mut commits = 0;
    for m in &mrs {
        let (n, _) = gitlab_all(
            &format!("{proj}/merge_requests/{}/notes?sort=asc", m["iid"]),
            T,
        );
        notes += n.len();
        ids.extend(n.iter().map(|x| x["id"].as_u64().unwrap()));
        commits += gitlab_all(&format!("{proj}/merge_requests/{}/commits", m["iid"]), T)
            .0
            .len();
    }
    assert_eq!(notes, t.messages);
    assert_eq!(ids.len(), notes, "GitLab note ids are unique");
    assert_eq!(commits, t.pull_request_commits);
}

#[test]
fn auth_rate_limit_and_next_page_headers() {
    let s = Scenario::generate(Preset::Tiny, 9).with_token("gl-small", Some(1));
    let f = MockForge::start(s).unwrap();
    let url = format!(
        "{}/projects/mock-org%2Ftiny/issues?per_page=1",
        f.gitlab_api_url()
    );
    assert_eq!(
        request("GET", &url, &[("PRIVATE-TOKEN", "wrong")], None).status,
        401
    );
    let r = request("GET", &url, &[("Authorization", "Bearer gl-small")], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-next-page"), Some("2"));
    assert_eq!(r.header("x-page"), Some("1"));
    assert!(r.header("link").unwrap().contains("rel=\"next\""));
    let r = request("GET", &url, &[("PRIVATE-TOKEN", "gl-small")], None);
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    let renamed = request(
        "GET",
        &format!("{}/projects/mock-org%2Fsidecar-old", f.gitlab_api_url()),
        &[("PRIVATE-TOKEN", T)],
        None,
    );
    assert_eq!(renamed.status, 301);
    assert!(renamed.header("location").unwrap().ends_with(&format!(
        "/api/v4/projects/{}",
        f.world().repos[1].project_id
    )));
}
