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

/// Mark every repository of the test collected now (what `queue::finish` records).
async fn collected_now(conn: &mut PgConnection, ids: &[i64]) {
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_queue (repo_id, last_collected)
         SELECT unnest($1::bigint[]), clock_timestamp()
         ON CONFLICT (repo_id) DO UPDATE SET last_collected = clock_timestamp()",
    )
    .bind(ids)
    .execute(conn)
    .await
    .unwrap();
}

async fn group_sum(conn: &mut PgConnection, g: i64) -> (i64, i64) {
    sqlx::query_as(
        "SELECT coalesce((SELECT sum(added)::bigint FROM aveloxis_data.dm_repo_group_annual WHERE repo_group_id = $1), 0),
                (SELECT sum(cmt_added)::bigint FROM aveloxis_data.commits)",
    )
    .bind(g)
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn repositories_of_one_group_finishing_together_and_schedulers_side_by_side_all_succeed() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let (g, ids) = group_with_commits(&mut conn, 8, 40).await;
    collected_now(&mut conn, &ids).await;
    // Each repository refreshes on its own connection while three schedulers (other `serve`
    // processes) and an `aveloxis collect` rewrite the group, all at once, several rounds.
    for _round in 0..3 {
        let mut tasks = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            let url = db.url.clone();
            tasks.push(tokio::spawn(async move {
                let mut c = <PgConnection as sqlx::Connection>::connect(&url)
                    .await
                    .unwrap();
                aveloxis_core::aggregates::refresh_repo(&mut c, id).await?;
                match i % 4 {
                    0 => aveloxis_core::aggregates::refresh_group(&mut c, g).await,
                    1 => aveloxis_core::aggregates::refresh_stale_groups(&mut c, Duration::ZERO)
                        .await
                        .map(drop),
                    _ => Ok(()),
                }
            }));
        }
        for t in tasks {
            t.await.unwrap().expect("an aggregate refresh failed");
        }
    }
    aveloxis_core::aggregates::refresh_group(&mut conn, g)
        .await
        .unwrap();
    let (group_added, all_added) = group_sum(&mut conn, g).await;
    assert_eq!(group_added, all_added);
}

#[tokio::test]
async fn a_group_is_recomputed_once_per_period_while_its_repositories_are_collected() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let (g, ids) = group_with_commits(&mut conn, 3, 10).await;
    use aveloxis_core::aggregates::refresh_stale_groups;
    let hour = Duration::from_secs(3600);
    // Never collected: nothing to compute.
    assert!(
        refresh_stale_groups(&mut conn, hour)
            .await
            .unwrap()
            .is_empty()
    );
    collected_now(&mut conn, &ids[..1]).await;
    // Never computed: computed at once, whatever the period.
    assert_eq!(refresh_stale_groups(&mut conn, hour).await.unwrap(), [g]);
    assert_eq!(
        group_sum(&mut conn, g).await.0,
        group_sum(&mut conn, g).await.1
    );
    // Another repository finishes: stale, but computed less than the period ago.
    collected_now(&mut conn, &ids[1..2]).await;
    assert!(
        refresh_stale_groups(&mut conn, hour)
            .await
            .unwrap()
            .is_empty()
    );
    // With the period over, it is computed again; then it is fresh.
    assert_eq!(
        refresh_stale_groups(&mut conn, Duration::ZERO)
            .await
            .unwrap(),
        [g]
    );
    assert!(
        refresh_stale_groups(&mut conn, Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
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
    let (_, ids) = group_with_commits(&mut setup, 1, 30).await;
    let repo = ids[0];
    aveloxis_core::aggregates::refresh_repo(&mut setup, repo)
        .await
        .unwrap();

    // The other transaction holds the repository's weekly rows, and will then want its annual
    // rows, which the refresh (annual, monthly, then weekly) holds by then: a deadlock. The
    // refresh detects it first, so it is the victim.
    let mut other = db.connect().await;
    sqlx::query("SET deadlock_timeout = '60s'")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query("DELETE FROM aveloxis_data.dm_repo_weekly WHERE repo_id = $1")
        .bind(repo)
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
    let rows: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM aveloxis_data.dm_repo_annual WHERE repo_id = $1),
                (SELECT count(*) FROM aveloxis_data.dm_repo_weekly WHERE repo_id = $1)",
    )
    .bind(repo)
    .fetch_one(&mut setup)
    .await
    .unwrap();
    assert!(
        rows.0 > 0 && rows.1 > 0,
        "the repeated refresh wrote the aggregates again: {rows:?}"
    );
}
