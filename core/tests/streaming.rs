//! Streaming collection: pages are staged as they arrive (a listing that fails keeps what it
//! read, and the next run continues it), processed in chunks, each chunk its own transaction
//! (a failure between chunks keeps what was written and loses nothing).

use aveloxis_mock_forge::faults::FaultConfig;
use aveloxis_mock_forge::generate::{Preset, WorldBuilder};
use aveloxis_mock_forge::{MockForge, Scenario};
use sqlx::PgConnection;

use crate::support::*;

async fn scalar(conn: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(conn)
        .await
        .unwrap()
}

/// A repository whose issue listing (issues and pull requests) takes three pages of 100.
fn three_page_world(faults: FaultConfig) -> Scenario {
    let mut params = Preset::Tiny.params();
    params.issues = 160;
    params.pulls = 60;
    params.commits = 3 * 60 + 1;
    params.users = 30;
    let world = WorldBuilder::new(Preset::Tiny)
        .params(params)
        .seed(3)
        .build();
    Scenario {
        world,
        ..Scenario::generate(Preset::Tiny, 3)
    }
    .with_faults(faults)
}

#[tokio::test]
async fn a_listing_failing_on_its_last_page_keeps_its_pages_and_the_next_run_continues_it() {
    // The issue listing's last page (its next links name the repository by id, as GitHub's
    // do: page 3 is the second such request) is refused once.
    let faults: FaultConfig = serde_json::from_value(serde_json::json!({
        "rules": [{"route": "/repositories/*/issues", "method": "GET", "nth": [2], "max": 1,
                   "fault": {"kind": "status", "status": 422, "message": "refused for the test"}}]
    }))
    .unwrap();
    let forge = MockForge::start(three_page_world(faults)).unwrap();
    let truth = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    assert!(
        truth.issues + truth.pull_requests > 200,
        "the listing has three pages"
    );
    let (db, url) = github_tiny(&forge).await;
    let failed = db
        .aveloxis()
        .args(["collect", &url, "--full"])
        .output()
        .unwrap();
    assert!(!failed.status.success(), "the refused page fails the run");
    let mut conn = db.connect().await;
    let issue_pages = "SELECT count(*) FROM aveloxis_ops.staging WHERE entity_type = 'issues'";
    assert_eq!(
        scalar(&mut conn, issue_pages).await,
        2,
        "the two pages read before the failure are staged"
    );
    let next: String = sqlx::query_scalar("SELECT next_url FROM aveloxis_ops.listing_cursors")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(
        next.contains("page=3"),
        "the cursor stands at page 3: {next}"
    );

    db.run(&["collect", &url, "--full"]);
    assert_eq!(
        scalar(&mut conn, issue_pages).await,
        3,
        "the next run asked only for the page it did not have"
    );
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(*) FROM aveloxis_ops.listing_cursors"
        )
        .await,
        0,
        "a listing that ended leaves no cursor"
    );
    let issues = scalar(&mut conn, "SELECT count(*) FROM aveloxis_data.issues").await;
    let pulls = scalar(
        &mut conn,
        "SELECT count(*) FROM aveloxis_data.pull_requests",
    )
    .await;
    assert_eq!(
        (issues as usize, pulls as usize),
        (truth.issues, truth.pull_requests)
    );
}

#[tokio::test]
async fn a_failure_between_chunks_keeps_the_chunks_written_and_the_next_run_completes() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let clean_forge = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let (db, url) = github_tiny(&forge).await;
    let (clean, clean_url) = github_tiny(&clean_forge).await;
    let small_chunks = serde_json::json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "collection": {"process_chunk_pages": 2}
    });
    db.configure(small_chunks);
    let mut conn = db.connect().await;
    // The database refuses every message: the chunk holding the first comments fails, as a
    // crash would, after the chunks of issues and pull requests have committed.
    sqlx::raw_sql(
        "CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'refused for the test' USING ERRCODE = '23514'; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON aveloxis_data.messages
           FOR EACH ROW EXECUTE FUNCTION public.refuse();",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let failed = db
        .aveloxis()
        .args(["collect", &url, "--full"])
        .output()
        .unwrap();
    assert!(!failed.status.success(), "the refused chunk fails the run");
    let truth = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM aveloxis_data.issues").await as usize,
        truth.issues,
        "the chunks before the failure stay written"
    );
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM aveloxis_data.messages").await,
        0
    );
    let (done, left) = (
        scalar(
            &mut conn,
            "SELECT count(*) FROM aveloxis_ops.staging WHERE processed",
        )
        .await,
        scalar(
            &mut conn,
            "SELECT count(*) FROM aveloxis_ops.staging WHERE NOT processed",
        )
        .await,
    );
    assert!(done > 0 && left > 0, "{done} pages written, {left} kept");
    let noted = "SELECT count(*) FROM aveloxis_ops.staging WHERE NOT processed AND error LIKE '%refused for the test%'";
    assert_eq!(
        scalar(&mut conn, noted).await,
        left,
        "every kept page says why"
    );

    sqlx::raw_sql("DROP TRIGGER refuse ON aveloxis_data.messages")
        .execute(&mut conn)
        .await
        .unwrap();
    db.run(&["collect", &url, "--full"]);
    clean.run(&["collect", &clean_url, "--full"]);
    let mut c = clean.connect().await;
    assert_eq!(
        collected_counts(&mut conn).await,
        collected_counts(&mut c).await,
        "after the next run the database holds what an uninterrupted collection holds"
    );
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(*) FROM aveloxis_ops.staging WHERE NOT processed"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn pull_request_listings_are_asked_once_per_update_of_their_pull_request() {
    // The last request for a pull request's files is refused once: the run fails with the
    // pull requests before that one in its order staged (which one comes last depends on
    // how the concurrent requests arrive).
    let faults: FaultConfig = serde_json::from_value(serde_json::json!({
        "rules": [{"route": "/repos/*/*/pulls/*/files", "method": "GET", "nth": [7], "max": 1,
                   "fault": {"kind": "status", "status": 422, "message": "refused for the test"}}]
    }))
    .unwrap();
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42).with_faults(faults)).unwrap();
    let truth = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    let (db, url) = github_tiny(&forge).await;
    let failed = db.aveloxis().args(["collect", &url]).output().unwrap();
    assert!(
        !failed.status.success(),
        "the refused listing fails the run"
    );
    let mut conn = db.connect().await;
    let files_pages = "SELECT count(*) FROM aveloxis_ops.staging WHERE entity_type = 'pull_files'";
    let staged = scalar(&mut conn, files_pages).await as usize;
    assert!(staged < truth.pull_requests, "{staged} staged");
    let marked = "SELECT count(*) FROM aveloxis_ops.children_fetched";
    assert_eq!(scalar(&mut conn, marked).await as usize, staged);
    db.run(&["collect", &url]);
    assert_eq!(
        scalar(&mut conn, files_pages).await as usize,
        truth.pull_requests,
        "the next run asked only the pull requests it had not"
    );
    let files = "SELECT count(*) FROM aveloxis_data.pull_request_files";
    assert_eq!(
        scalar(&mut conn, files).await as usize,
        truth.pull_request_files
    );
    // Nothing moved: an incremental run asks no pull request's listings.
    db.run(&["collect", &url]);
    assert_eq!(
        scalar(&mut conn, files_pages).await as usize,
        truth.pull_requests
    );
    // A full collection asks every pull request's listings again, once.
    db.run(&["collect", &url, "--full"]);
    assert_eq!(
        scalar(&mut conn, files_pages).await as usize,
        2 * truth.pull_requests
    );
}
