//! The `dm_*` commit aggregates (Augur's "data mart" tables), recomputed per repository after
//! its commits were collected, and per repository group from all of the group's repositories.

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

/// Recompute the aggregates of `repo_id` and of its group, in one transaction, repeated whole
/// after a deadlock.
///
/// Architecture invariant: the group aggregates are rewritten (DELETE + INSERT) by whichever
/// repository of the group finished last, so two repositories of one group finishing together
/// would both insert the same keys; the group's advisory lock, taken before anything is
/// written, makes them take turns instead.
pub async fn refresh_repo(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    crate::db::retry_transient(conn, "dm_* aggregates", |c| {
        Box::pin(refresh_repo_once(c, repo_id))
    })
    .await
}

async fn refresh_repo_once(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    let mut tx = conn.begin().await?;
    let group: Option<i64> =
        sqlx::query_scalar("SELECT repo_group_id FROM aveloxis_data.repos WHERE repo_id = $1")
            .bind(repo_id)
            .fetch_one(&mut *tx)
            .await?;
    if let Some(g) = group {
        // Group ids are bigint; the lock key is their low 32 bits (a rare shared lock between
        // two groups only serialises them).
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2::int4)")
            .bind(GROUP_LOCK_NAMESPACE)
            .bind(g as i32)
            .execute(&mut *tx)
            .await?;
    }
    // (table prefix, owner column, filter, owner id): the repository, then its group.
    let mut owners = vec![("dm_repo", "repo_id", "c.repo_id = $1", repo_id)];
    if let Some(g) = group {
        owners.push(("dm_repo_group", "repo_group_id", "r.repo_group_id = $1", g));
    }
    for (table, owner, filter, id) in owners {
        for (suffix, keys, exprs) in PERIODS {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM aveloxis_data.{table}_{suffix} WHERE {owner} = $1"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let sql = format!(
                "INSERT INTO aveloxis_data.{table}_{suffix}
                     ({owner}, email, affiliation, {keys}, added, removed, whitespace, files, patches,
                      tool_source, tool_version, data_source, data_collection_date) {}",
                select(exprs, filter).replace("{owner}", owner)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
