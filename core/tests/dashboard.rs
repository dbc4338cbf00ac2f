//! The dashboard in a real headless Chromium (Debian's), driven by playwright-core.

use std::path::Path;
use std::process::Command;

use crate::support::*;

fn browser_tools() -> (std::path::PathBuf, std::path::PathBuf) {
    let chromium = std::path::PathBuf::from(
        std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/browser");
    assert!(
        chromium.exists() && driver.join("node_modules/playwright-core").exists(),
        "the dashboard test needs Debian's chromium and ci/browser/node_modules (run `bash ci/setup.sh`)"
    );
    (chromium, driver)
}

#[tokio::test]
async fn dashboard_shows_the_queue_boosts_and_keeps_forge_text_inert() {
    let (chromium, driver) = browser_tools();
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let hostile = "https://github.com/evil/<script>window.__xss=1</script>";
    let group = test_group(&mut conn).await;
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name, repo_group_id)
         VALUES (1, 'https://github.com/chaoss/augur', 'chaoss', 'augur', $2),
                (1, 'https://github.com/chaoss/grimoirelab', 'chaoss', 'grimoirelab', $2),
                (1, $1, 'evil', 'x', $2)
         RETURNING repo_id",
    )
    .bind(hostile)
    .bind(group)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_queue (repo_id, priority, due_at, last_error)
         SELECT id, 100, now() + interval '1 day',
                CASE WHEN id = $2 THEN '<img src=x onerror=\"window.__xss=1\">' END
           FROM unnest($1::bigint[]) id",
    )
    .bind(&ids)
    .bind(ids[2])
    .execute(&mut conn)
    .await
    .unwrap();
    let monitor = Monitor::start(&db);
    let addr = monitor.addr.clone();
    // A cross-site POST (no page token) is refused and changes nothing.
    let (forged, _) = curl(
        &format!("http://{addr}/api/prioritize/{}", ids[1]),
        "POST",
        &["Origin: http://evil.example"],
    );
    assert_eq!(forged, "403");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    let out = Command::new("node")
        .arg(driver.join("dashboard.mjs"))
        .arg(format!("http://{addr}/"))
        .arg(ids[1].to_string())
        .arg(&shot)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    monitor.stop();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let result: serde_json::Value =
        serde_json::from_str(stdout(&out).lines().last().unwrap()).unwrap();
    let stats: Vec<String> = serde_json::from_value(result["stats"].clone()).unwrap();
    assert!(stats.contains(&"repositories: 3".to_string()), "{stats:?}");
    assert!(stats.contains(&"queued: 3".to_string()), "{stats:?}");
    let repos: Vec<String> = serde_json::from_value(result["repos"].clone()).unwrap();
    assert!(
        repos.contains(&hostile.to_string()),
        "the name is shown as text: {repos:?}"
    );
    assert_eq!(result["scripts"], 1, "no script element was injected");
    assert_eq!(result["injectedImgs"], 0);
    assert_eq!(result["xss"], false);
    assert_eq!(result["dialogs"], serde_json::json!([]));
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 1000,
        "screenshot kept at {}",
        shot.display()
    );
    // Boost moved the repository to the head of the queue.
    let (prio, due_now): (i32, bool) = sqlx::query_as(
        "SELECT priority, due_at <= now() FROM aveloxis_ops.collection_queue WHERE repo_id = $1",
    )
    .bind(ids[1])
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((prio, due_now), (0, true));
    let head: i64 = sqlx::query_scalar(
        "SELECT repo_id FROM aveloxis_ops.collection_queue ORDER BY priority, due_at LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(head, ids[1]);
}
