//! The `dm_*` commit aggregates (Augur's "data mart" tables), recomputed per repository after
//! its commits were collected, and per repository group from all of the group's repositories
//! (by the scheduler, at most once per period while the group's repositories are collected).

use std::time::Duration;

use anyhow::Result;
use sqlx::{Connection, PgConnection};

/// (table suffix, extra key columns, their expressions over `c.cmt_author_timestamp`).
const PERIODS: &[(&str, &str, &str)] = &[
    ("annual", "year", "extract(year FROM t)::smallint"),
    (
        "monthly",
        "year, month",
        "extract(year FROM t)::smallint, extract(month FROM t)::smallint",
    ),
    (
        "weekly",
        "year, week",
        "extract(isoyear FROM t)::smallint, extract(week FROM t)::smallint",
    ),
];

fn select(period_exprs: &str, filter: &str) -> String {
    format!(
        "SELECT {{owner}}, email, affiliation, {period_exprs},
                sum(added), sum(removed), sum(whitespace),
                count(DISTINCT nullif(file, '')), count(DISTINCT hash),
                'aveloxis', '{version}', 'git', now()
           FROM (SELECT c.repo_id, r.repo_group_id, c.cmt_author_email AS email,
                        coalesce(c.cmt_author_affiliation, '') AS affiliation,
                        coalesce(c.cmt_author_timestamp, c.cmt_committer_timestamp) AS t,
                        c.cmt_added AS added, c.cmt_removed AS removed, c.cmt_whitespace AS whitespace,
                        c.cmt_filename AS file, c.cmt_commit_hash AS hash
                   FROM aveloxis_data.commits c JOIN aveloxis_data.repos r ON r.repo_id = c.repo_id
                  WHERE {filter}) x
          WHERE t IS NOT NULL
          GROUP BY 1, 2, 3, {period_positions}",
        version = crate::TOOL_VERSION,
        period_positions = if period_exprs.contains(',') { "4, 5" } else { "4" },
    )
}

/// Advisory-lock namespace of a group's aggregates (`pg_advisory_xact_lock(NS, group)`).
const GROUP_LOCK_NAMESPACE: i32 = 0x6176_6c78; // "avlx"

/// Recompute the aggregates of `repo_id` (after its commits were collected), in one
/// transaction repeated whole after a deadlock. Its group's aggregates are left to
/// [`refresh_stale_groups`] or [`refresh_group`].
pub async fn refresh_repo(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    crate::db::retry_transient(conn, "dm_repo_* aggregates", |c| {
        Box::pin(rewrite(c, Owner::Repo(repo_id), false))
    })
    .await
    .map(drop)
}

/// Recompute the aggregates of group `group_id` now (waiting for whoever is rewriting them).
pub async fn refresh_group(conn: &mut PgConnection, group_id: i64) -> Result<()> {
    crate::db::retry_transient(conn, "dm_repo_group_* aggregates", |c| {
        Box::pin(rewrite(c, Owner::Group(group_id), false))
    })
    .await
    .map(drop)
}

/// Recompute the aggregates of every group with a repository collected since they were last
/// computed, and last computed longer than `min_age` ago (so a group of ten thousand
/// repositories is summed once per `min_age`, not once per repository). A group another
/// process is rewriting is skipped. Returns the groups rewritten.
///
/// Architecture invariant: a group's aggregates are rewritten (DELETE + INSERT) only under the
/// group's advisory lock, so two rewrites never insert the same keys at once; and since the
/// rewrite's own `now()` is its `data_collection_date`, a repository that finishes during a
/// rewrite makes its group stale again, never silently missing.
pub async fn refresh_stale_groups(conn: &mut PgConnection, min_age: Duration) -> Result<Vec<i64>> {
    let stale: Vec<i64> = sqlx::query_scalar(
        "SELECT g.repo_group_id FROM aveloxis_data.repo_groups g
           JOIN LATERAL (SELECT max(q.last_collected) AS collected
                           FROM aveloxis_data.repos r
                           JOIN aveloxis_ops.collection_queue q ON q.repo_id = r.repo_id
                          WHERE r.repo_group_id = g.repo_group_id) m ON true
           LEFT JOIN LATERAL (SELECT max(d.data_collection_date) AS computed
                                FROM aveloxis_data.dm_repo_group_annual d
                               WHERE d.repo_group_id = g.repo_group_id) a ON true
          WHERE m.collected > coalesce(a.computed, '-infinity')
            AND coalesce(a.computed, '-infinity') < now() - make_interval(secs => $1)
          ORDER BY g.repo_group_id",
    )
    .bind(min_age.as_secs_f64())
    .fetch_all(&mut *conn)
    .await?;
    let mut done = Vec::new();
    for g in stale {
        let rewrote = crate::db::retry_transient(conn, "dm_repo_group_* aggregates", |c| {
            Box::pin(rewrite(c, Owner::Group(g), true))
        })
        .await?;
        if rewrote {
            done.push(g);
        }
    }
    Ok(done)
}

#[derive(Clone, Copy)]
enum Owner {
    Repo(i64),
    Group(i64),
}

/// Rewrite the aggregates of `owner` in one transaction. A group is rewritten under its
/// advisory lock: waited for, or (`skip_if_busy`) skipped when another session holds it, in
/// which case nothing is written and `false` returned.
async fn rewrite(conn: &mut PgConnection, owner: Owner, skip_if_busy: bool) -> Result<bool> {
    let mut tx = conn.begin().await?;
    let (table, column, filter, id) = match owner {
        Owner::Repo(id) => ("dm_repo", "repo_id", "c.repo_id = $1", id),
        Owner::Group(id) => {
            // Group ids are bigint; the lock key is their low 32 bits (two groups sharing a
            // key only take turns).
            if skip_if_busy {
                let got: bool =
                    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, $2::int4)")
                        .bind(GROUP_LOCK_NAMESPACE)
                        .bind(id as i32)
                        .fetch_one(&mut *tx)
                        .await?;
                if !got {
                    return Ok(false);
                }
            } else {
                sqlx::query("SELECT pg_advisory_xact_lock($1, $2::int4)")
                    .bind(GROUP_LOCK_NAMESPACE)
                    .bind(id as i32)
                    .execute(&mut *tx)
                    .await?;
            }
            ("dm_repo_group", "repo_group_id", "r.repo_group_id = $1", id)
        }
    };
    for (suffix, keys, exprs) in PERIODS {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM aveloxis_data.{table}_{suffix} WHERE {column} = $1"
        )))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let sql = format!(
            "INSERT INTO aveloxis_data.{table}_{suffix}
                 ({column}, email, affiliation, {keys}, added, removed, whitespace, files, patches,
                  tool_source, tool_version, data_source, data_collection_date) {}",
            select(exprs, filter).replace("{owner}", column)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}
