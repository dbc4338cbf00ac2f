//! The `dm_*` aggregates under concurrency: repositories of one group finishing together, and a
//! deadlock with another transaction (repeated, not failed).

use std::time::{Duration, Instant};

use sqlx::PgConnection;

use crate::support::*;

/// `n` repositories in one group, each with `per` commits; returns the group and repo ids.
async fn group_with_commits(conn: &mut PgConnection, n: i64, per: i64) -> (i64, Vec<i64>) {
    let g: i64 = sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type) VALUES ('org', 'github_org')
         RETURNING repo_group_id",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name, repo_group_id)
         SELECT 1, 'https://github.com/org/r' || i, 'org', 'r' || i, $1 FROM generate_series(1, $2) i
         RETURNING repo_id",
    )
    .bind(g)
    .bind(n)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO aveloxis_data.commits (repo_id, cmt_commit_hash, cmt_author_email, cmt_added,
                                            cmt_filename, cmt_author_timestamp)
         SELECT r, md5(r::text || ':' || i), 'dev' || (i % 3) || '@example.com', i, 'f' || i,
                timestamptz '2024-01-01' + i * interval '9 days'
           FROM unnest($1::bigint[]) r, generate_series(1, $2) i",
    )
    .bind(&ids)
    .bind(per)
    .execute(&mut *conn)
    .await
    .unwrap();
    (g, ids)
}

#[tokio::test]
async fn repositories_of_one_group_finishing_together_all_refresh_their_aggregates() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let (g, ids) = group_with_commits(&mut conn, 8, 40).await;
    // Each repository refreshes on its own connection, all at once, several rounds.
    for _round in 0..3 {
        let mut tasks = Vec::new();
        for &id in &ids {
            let url = db.url.clone();
            tasks.push(tokio::spawn(async move {
                let mut c = <PgConnection as sqlx::Connection>::connect(&url)
                    .await
                    .unwrap();
                aveloxis_core::aggregates::refresh_repo(&mut c, id).await
            }));
        }
        for t in tasks {
            t.await.unwrap().expect("a group aggregate refresh failed");
        }
    }
    // The group's aggregate is the sum over all of its repositories.
    let (group_added, all_added): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT sum(added)::bigint FROM aveloxis_data.dm_repo_group_annual WHERE repo_group_id = $1),
                (SELECT sum(cmt_added)::bigint FROM aveloxis_data.commits)",
    )
    .bind(g)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(group_added, all_added);
}

/// Wait until backend `pid` is waiting for a lock.
async fn wait_blocked(conn: &mut PgConnection, pid: i32) {
    let t = Instant::now();
    loop {
        let waiting: bool = sqlx::query_scalar(
            "SELECT coalesce((SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1), false)",
        )
        .bind(pid)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if waiting {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "backend {pid} never blocked"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_aggregate_refresh_chosen_as_a_deadlock_victim_is_repeated_and_succeeds() {
    let db = migrated_db().await;
    let mut setup = db.connect().await;
    let (g, ids) = group_with_commits(&mut setup, 1, 30).await;
    let repo = ids[0];
    aveloxis_core::aggregates::refresh_repo(&mut setup, repo)
        .await
        .unwrap();

    // The other transaction holds the group's rows, and will then want the repository's rows,
    // which the refresh holds by then: a deadlock. The refresh detects it first, so it is the
    // victim.
    let mut other = db.connect().await;
    sqlx::query("SET deadlock_timeout = '60s'")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query("DELETE FROM aveloxis_data.dm_repo_group_annual WHERE repo_group_id = $1")
        .bind(g)
        .execute(&mut other)
        .await
        .unwrap();

    let mut victim = db.connect().await;
    sqlx::query("SET deadlock_timeout = '1s'")
        .execute(&mut victim)
        .await
        .unwrap();
    let victim_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut victim)
        .await
        .unwrap();
    let refresh =
        tokio::spawn(
            async move { aveloxis_core::aggregates::refresh_repo(&mut victim, repo).await },
        );
    wait_blocked(&mut setup, victim_pid).await;
    // Now close the cycle; this statement waits until the victim's attempt is rolled back.
    sqlx::query("DELETE FROM aveloxis_data.dm_repo_annual WHERE repo_id = $1")
        .bind(repo)
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();

    refresh
        .await
        .unwrap()
        .expect("the refresh failed instead of being repeated after the deadlock");
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM aveloxis_data.dm_repo_annual WHERE repo_id = $1)
              + (SELECT count(*) FROM aveloxis_data.dm_repo_group_annual WHERE repo_group_id = $2)",
    )
    .bind(repo)
    .bind(g)
    .fetch_one(&mut setup)
    .await
    .unwrap();
    assert!(rows > 0, "the repeated refresh wrote the aggregates again");
}
