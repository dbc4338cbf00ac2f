//! Contributor enrichment: after the core phases, the profiles of the contributors a
//! collection met fill Augur's contributor columns — bounded per run, resumed by the next
//! run, never spending a key's reserve, and shown by the monitor.

use aveloxis_mock_forge::model::UserKind;
use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use serde_json::json;

use crate::support::*;

type Profile = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// (platform user id, name, company, location, e-mail, created at, type) of every enriched
/// contributor of `platform_column` (`gh_user_id` or `gl_id`).
async fn enriched(conn: &mut sqlx::PgConnection, id_column: &str) -> Vec<Profile> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {id_column}, cntrb_full_name, cntrb_company, cntrb_location, cntrb_email,
                extract(epoch FROM cntrb_created_at)::bigint, cntrb_type
           FROM aveloxis_data.contributors
          WHERE {id_column} IS NOT NULL AND cntrb_last_enriched_at IS NOT NULL
          ORDER BY 1"
    )))
    .fetch_all(conn)
    .await
    .unwrap()
}

async fn with_identity(conn: &mut sqlx::PgConnection, id_column: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM aveloxis_data.contributors WHERE {id_column} IS NOT NULL"
    )))
    .fetch_one(conn)
    .await
    .unwrap()
}

/// Each enriched profile equals the world's user (the e-mail only where the user shows one).
fn assert_profiles(s: &Scenario, got: &[Profile], gitlab: bool) {
    assert!(!got.is_empty());
    for (id, name, company, location, email, created, kind) in got {
        let u = s.world.users.iter().find(|u| u.id as i64 == *id).unwrap();
        assert_eq!(name.as_deref(), Some(u.name.as_str()), "{}", u.login);
        assert_eq!(company, &u.company, "{}", u.login);
        assert_eq!(location, &u.location, "{}", u.login);
        assert_eq!(*created, Some(u.created_at), "{}", u.login);
        if !gitlab && u.email.is_some() {
            assert_eq!(email, &u.email, "{}", u.login);
        }
        let want = match (gitlab, u.kind) {
            (_, UserKind::Bot) => "Bot",
            (true, _) | (false, UserKind::User) => "User",
            (false, UserKind::Organization) => "Organization",
        };
        assert_eq!(kind.as_deref(), Some(want), "{}", u.login);
    }
}

#[tokio::test]
async fn contributor_profiles_fill_in_bounded_per_run_and_resumed() {
    let scenario = Scenario::generate(Preset::Tiny, 1);
    let forge = MockForge::start(scenario.clone()).unwrap();
    let db = migrated_db().await;
    db.configure(json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "collection": {"enrich_per_run": 4}
    }));
    db.run(&["add-key", DEFAULT_TOKENS[0]]);
    let url = forge.web_url("mock-org", "tiny");
    db.run(&["add-repo", &url]);
    let mut conn = db.connect().await;

    let out = db.run(&["collect", &url, "--full"]);
    assert!(
        stdout(&out).contains("contributor profiles: 4 fetched"),
        "{}",
        stdout(&out)
    );
    let total = with_identity(&mut conn, "gh_user_id").await;
    assert!(total > 8, "{total}");
    assert_eq!(enriched(&mut conn, "gh_user_id").await.len(), 4);
    // The monitor shows the backlog.
    let (status, body) = Monitor::start(&db).get("/api/stats");
    assert_eq!(status, "200", "{body}");
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stats["profiles"]["pending"], json!(total - 4), "{body}");

    // Each run goes on where the last stopped, until every profile is there.
    let mut runs = 1;
    while (enriched(&mut conn, "gh_user_id").await.len() as i64) < total {
        db.run(&["collect", &url]);
        runs += 1;
        assert!(runs <= total / 4 + 2, "enrichment does not progress");
    }
    assert_profiles(&scenario, &enriched(&mut conn, "gh_user_id").await, false);
    // Fresh profiles are not fetched again within the period.
    let out = db.run(&["collect", &url]);
    assert!(
        !stdout(&out).contains("contributor profiles"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn enrichment_never_spends_the_key_reserve_and_gitlab_profiles_fill_in() {
    // A key with 150 requests: the core collection needs far fewer, and a reserve of 140
    // leaves no room for profiles.
    let scenario = Scenario::generate(Preset::Tiny, 1).with_token("small-budget", Some(150));
    let forge = MockForge::start(scenario.clone()).unwrap();
    let db = migrated_db().await;
    db.configure(json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "gitlab": {"api_url": forge.gitlab_api_url(),
                   "web_url": forge.base_url().replace("127.0.0.1", "localhost")},
        "collection": {"key_reserve": 140}
    }));
    db.run(&["add-key", "small-budget"]);
    db.run(&["add-key", "--platform", "gitlab", DEFAULT_TOKENS[1]]);
    let url = forge.web_url("mock-org", "tiny");
    db.run(&["add-repo", &url]);
    let out = db.run(&["collect", &url, "--full"]);
    let text = stdout(&out);
    assert!(
        text.contains("contributor profiles: 0 fetched") && text.contains("reserve"),
        "{text}"
    );
    let mut conn = db.connect().await;
    assert!(enriched(&mut conn, "gh_user_id").await.is_empty());
    let t = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    assert_eq!(
        collected_counts(&mut conn)
            .await
            .into_iter()
            .find(|(t, _)| t == "issues")
            .map(|(_, n)| n as usize),
        Some(t.issues),
        "the core phases are complete"
    );

    // GitLab: `/users/:id` profiles (the organisation is the company), with its own key.
    let gl = format!(
        "{}/mock-org/tiny",
        forge.base_url().replace("127.0.0.1", "localhost")
    );
    db.run(&["add-repo", &gl]);
    let out = db.run(&["collect", &gl, "--full"]);
    assert!(stdout(&out).contains("fetched"), "{}", stdout(&out));
    let got = enriched(&mut conn, "gl_id").await;
    assert_eq!(got.len() as i64, with_identity(&mut conn, "gl_id").await);
    assert_profiles(&scenario, &got, true);
}
