//! Private repositories: their web pages answer a stranger (GitLab: 302 to `/users/sign_in`,
//! GitHub: 404), so the prelim check asks the API with a key. They are collected under their own
//! names — not renamed to a sign-in page, not marked duplicates of each other, not sidelined — and
//! a true rename still is one.

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario, WebDialect};

use crate::support::*;

async fn issues_of(conn: &mut sqlx::PgConnection, url: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_data.issues i JOIN aveloxis_data.repos r USING (repo_id)
          WHERE r.repo_git = $1",
    )
    .bind(url)
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn private_repositories_are_collected_under_their_own_names() {
    // GitLab: both projects private (one reached by its old name); GitHub: one private repository.
    let gl = MockForge::start(
        Scenario::generate(Preset::Tiny, 3)
            .with_private("mock-org/tiny", WebDialect::GitLab)
            .with_private("mock-org/sidecar", WebDialect::GitLab),
    )
    .unwrap();
    let gh = MockForge::start(
        Scenario::generate(Preset::Tiny, 4).with_private("mock-org/tiny", WebDialect::GitHub),
    )
    .unwrap();
    let db = migrated_db().await;
    db.configure(serde_json::json!({
        "github": {"api_url": gh.github_api_url(), "web_url": gh.base_url()},
        "gitlab": {"api_url": gl.gitlab_api_url(), "web_url": gl.base_url()}
    }));
    db.run(&["add-key", DEFAULT_TOKENS[0]]);
    db.run(&["add-key", "--platform", "gitlab", DEFAULT_TOKENS[1]]);
    // What a stranger sees: the sign-in redirect and the 404 the old check acted on.
    let head = |url: &str| {
        let out = std::process::Command::new("curl")
            .args([
                "-sI",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{redirect_url}",
                url,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let gl_tiny = gl.web_url("mock-org", "tiny");
    let gl_old = gl.web_url("mock-org", "sidecar-old");
    let gh_tiny = gh.web_url("mock-org", "tiny");
    assert!(
        head(&gl_tiny).starts_with("302 ") && head(&gl_tiny).ends_with("/users/sign_in"),
        "{}",
        head(&gl_tiny)
    );
    assert!(head(&gh_tiny).starts_with("404"), "{}", head(&gh_tiny));

    db.run(&["add-repo", &gl_tiny, &gl_old, &gh_tiny]);
    let out = db.run(&["collect", &gl_tiny, &gl_old, &gh_tiny]);
    let text = stdout(&out);
    assert!(
        !text.contains("duplicate") && !text.contains("gone"),
        "{text}"
    );

    let mut conn = db.connect().await;
    let gl_new = gl.web_url("mock-org", "sidecar");
    let mut urls: Vec<(String, bool, String)> = sqlx::query_as(
        "SELECT r.repo_git, r.repo_gone_at IS NULL, s.core_status
           FROM aveloxis_data.repos r JOIN aveloxis_ops.collection_status s USING (repo_id)",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    urls.sort();
    let mut want = vec![
        (gl_tiny.clone(), true, "Success".to_string()),
        (gl_new.clone(), true, "Success".to_string()),
        (gh_tiny.clone(), true, "Success".to_string()),
    ];
    want.sort();
    assert_eq!(urls, want, "renamed only where the forge renamed");
    // The true rename kept its old URL.
    let old_kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_data.historical_repo_urls h
           JOIN aveloxis_data.repos r USING (repo_id) WHERE h.git_url = $1 AND r.repo_git = $2",
    )
    .bind(&gl_old)
    .bind(&gl_new)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(old_kept, 1);
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.collection_queue")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(queued, 3, "nothing was dequeued");
    let truth = |f: &MockForge, name: &str| f.ground_truth().repo(name).unwrap().issues as i64;
    assert_eq!(
        issues_of(&mut conn, &gl_tiny).await,
        truth(&gl, "mock-org/tiny")
    );
    assert_eq!(
        issues_of(&mut conn, &gl_new).await,
        truth(&gl, "mock-org/sidecar")
    );
    assert_eq!(
        issues_of(&mut conn, &gh_tiny).await,
        truth(&gh, "mock-org/tiny")
    );
    assert!(gl.unmatched_requests().is_empty() && gh.unmatched_requests().is_empty());
}

/// The API's answer decides; a name that is a web route is never taken as a new home.
#[tokio::test]
async fn locate_follows_the_api_and_refuses_a_web_route_as_a_new_name() {
    use aveloxis_core::config::Config;
    use aveloxis_core::forge::client::ClientOptions;
    use aveloxis_core::forge::locate::{Location, locate};
    use aveloxis_core::forge::{Platform, RepoRef};
    use wiremock::matchers::{header, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let s = MockServer::start().await;
    let answer = |p: &str, r: ResponseTemplate| {
        Mock::given(path(p.to_owned()))
            .and(header("authorization", "Bearer k"))
            .respond_with(r)
    };
    let json = |v: serde_json::Value| ResponseTemplate::new(200).set_body_json(v);
    answer(
        "/repos/o/here",
        json(serde_json::json!({"full_name": "O/Here"})),
    )
    .mount(&s)
    .await;
    answer(
        "/repos/o/old",
        ResponseTemplate::new(301).insert_header("location", "/repositories/7"),
    )
    .mount(&s)
    .await;
    answer(
        "/repositories/7",
        json(serde_json::json!({"full_name": "o/new"})),
    )
    .mount(&s)
    .await;
    answer(
        "/repos/o/signin",
        json(serde_json::json!({"full_name": "users/sign_in"})),
    )
    .mount(&s)
    .await;
    answer("/repos/o/blocked", ResponseTemplate::new(410))
        .mount(&s)
        .await;
    let mut cfg = Config::default();
    cfg.github.api_url = s.uri();
    let client = test_client(Platform::GitHub, &["k"], ClientOptions::default());
    let repo = |name: &str| RepoRef {
        platform: Platform::GitHub,
        owner: "o".into(),
        name: name.into(),
    };
    let at = |name: &'static str| {
        let (client, cfg, r) = (&client, &cfg, repo(name));
        async move { locate(client, cfg, &r).await }
    };
    assert_eq!(at("here").await.unwrap(), Location::Here);
    assert_eq!(at("old").await.unwrap(), Location::Moved(repo("new")));
    assert_eq!(at("missing").await.unwrap(), Location::NotFound);
    assert_eq!(at("blocked").await.unwrap(), Location::Gone);
    let e = at("signin").await.unwrap_err().to_string();
    assert!(e.contains("not renaming"), "{e}");
}
