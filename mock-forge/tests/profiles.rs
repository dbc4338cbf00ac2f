//! User profiles, organisations and their members against the ground truth;
//! the search budget.

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};

use crate::support::{get, github_all, request};

const T: &str = DEFAULT_TOKENS[0];

fn logins(items: &[serde_json::Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["login"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_profile_and_its_orgs_match_the_ground_truth() {
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let api = f.github_api_url();
    let truth = f.ground_truth();
    assert_eq!(truth.user_profiles.len(), truth.users);
    let mut members_seen = 0;
    for (login, p) in &truth.user_profiles {
        let r = get(&format!("{api}/users/{login}"), Some(T));
        assert_eq!(r.status, 200, "{login}");
        let v = r.json();
        assert_eq!(v["id"].as_u64(), Some(p.id), "{login}");
        assert_eq!(v["type"], p.kind.as_str(), "{login}");
        assert_eq!(v["name"].as_str(), Some(p.name.as_str()), "{login}");
        assert_eq!(v["company"].as_str(), p.company.as_deref(), "{login}");
        assert_eq!(v["location"].as_str(), p.location.as_deref(), "{login}");
        assert_eq!(v["email"].as_str(), p.email.as_deref(), "{login}");
        assert_eq!(v["public_repos"].as_u64(), Some(p.public_repos as u64));
        let orgs = github_all(&format!("{api}/users/{login}/orgs"), T);
        assert_eq!(logins(&orgs), p.orgs, "{login}");
        if p.kind == "Organization" {
            let o = get(&format!("{api}/orgs/{login}"), Some(T));
            assert_eq!(o.status, 200);
            assert_eq!(o.json()["type"], "Organization");
            assert_eq!(o.json()["id"].as_u64(), Some(p.id));
            let m = github_all(&format!("{api}/orgs/{login}/members?per_page=2"), T);
            assert_eq!(logins(&m), p.members, "{login}");
            members_seen += m.len();
        } else {
            assert_eq!(get(&format!("{api}/orgs/{login}"), Some(T)).status, 404);
        }
    }
    assert!(members_seen > 0, "the generated organisation has members");
    assert_eq!(
        get(&format!("{api}/users/no-such-user/orgs"), Some(T)).status,
        404
    );
    assert!(
        f.unmatched_requests().is_empty(),
        "{:?}",
        f.unmatched_requests()
    );
}

#[test]
fn searches_spend_their_own_budget_of_thirty_a_minute() {
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let api = f.github_api_url();
    let email = &f.world().users[4].commit_email;
    let url = format!("{api}/search/users?q={email}+in:email");
    for i in 0..30 {
        let r = get(&url, Some(T));
        assert_eq!(r.status, 200, "search {i}");
        assert_eq!(r.json()["total_count"], 1);
    }
    let r = get(&url, Some(T));
    assert!(r.status == 403 || r.status == 429, "{}", r.status);
    assert_eq!(r.header("x-ratelimit-resource"), Some("search"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert!(r.json()["message"].as_str().unwrap().contains("rate limit"));
    // The core budget is untouched.
    assert_eq!(get(&format!("{api}/users/mock-org"), Some(T)).status, 200);
}

#[test]
fn gitlab_users_by_id_and_username_match_the_ground_truth() {
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let api = f.gitlab_api_url();
    let gl = |url: String| {
        let r = request("GET", &url, &[("PRIVATE-TOKEN", T)], None);
        assert_eq!(r.status, 200, "{url}");
        r.json()
    };
    for (login, p) in &f.ground_truth().user_profiles {
        let v = gl(format!("{api}/users/{}", p.id));
        assert_eq!(v["username"], login.as_str());
        assert_eq!(v["name"].as_str(), Some(p.name.as_str()));
        assert_eq!(v["organization"].as_str(), p.company.as_deref());
        assert_eq!(v["location"].as_str(), p.location.as_deref());
        assert_eq!(v["public_email"].as_str(), p.email.as_deref());
        assert_eq!(v["bot"], p.kind == "Bot", "{login}");
        let by_name = gl(format!("{api}/users?username={login}"));
        assert_eq!(by_name[0]["id"].as_u64(), Some(p.id), "{login}");
    }
}

#[test]
fn a_bare_email_query_finds_the_account_that_commits_with_it() {
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let api = f.github_api_url();
    // A noreply address (`id+login@...`): its `+` must arrive encoded.
    let u = &f.world().users[6];
    assert!(u.commit_email.contains('+'), "{}", u.commit_email);
    let q = aveloxis_mock_forge::http::percent_encode(&u.commit_email);
    let r = get(&format!("{api}/search/users?q={q}"), Some(T)).json();
    assert_eq!(r["total_count"], 1);
    assert_eq!(r["items"][0]["login"], u.login.as_str());
}
