//! Row-level comparison of two databases: `harness shadow-diff`.
//!
//! `data-test` says *which* tables lost data; shadow-diff says *which rows*. Every base table of
//! `aveloxis_data` (self-discovered on both sides) is compared row by row, keyed by values that
//! mean the same thing in both databases:
//!
//! - **The key** of a table is its natural-key unique index in the live catalog: a unique,
//!   valid, non-partial index on plain columns none of which is the table's own serial id
//!   (the primary key is preferred, then constraint-backed indexes, then the narrowest).
//! - **Local serial ids are translated through their parents.** A key column that references a
//!   serial column of another table (by foreign key, or — for references without a
//!   constraint — by carrying the name of exactly one table's serial id) is replaced by that
//!   parent's own key, recursively: `issue_id` → (`repo_git`, `platform_issue_id`),
//!   `pr_review_id` → (`repo_git`, `platform_pr_id`, `platform_review_id`), `repo_id` →
//!   `repo_git`. Columns that are not serial (`platform_id`, the deterministic `cntrb_id`) stay.
//! - Tables without such a key are skipped and listed as skipped.
//! - **Content** is compared over the comparable columns of the table diff ([`table_diff::discover`],
//!   [`table_diff::hashed_columns`]: no surrogate ids or references to them, no insert-time values,
//!   no collection metadata), minus the key columns.
//!
//! Each side is read with one query per table that returns the translated key and a 64-bit
//! content hash per row (`hashtextextended(ROW(…)::text, 0)`, values in the session-stable
//! text form of [`table_diff::prepare_session`]); both sides run concurrently and are merged in a hash
//! map. Only when rows share a key but not a hash is a second query made, fetching the text of
//! the comparable columns of just those rows (selected by their hashes) to name the columns and
//! show the values.
//!
//! Verdicts per table: **FAIL missing** (keys on released absent on new), **FAIL content** (same
//! key, different values), **FLAG extra** (keys only on new). Exit 1 on any FAIL.
//!
//! Modules: [`keys`] (the stable key of each table), [`query`] (the SQL and the reads),
//! [`matching`] (pairing rows, one table's verdict), [`render`] (markdown).

use std::collections::BTreeSet;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use sqlx::{Connection, PgConnection};

mod keys;
mod matching;
mod query;
mod render;

use crate::cli::ShadowDiffArgs;
use crate::report::{Verdict, redact};
use crate::table_diff;
use keys::{Keys, plan_table, repo_scope};
use matching::compare_table;
use query::{TableQuery, qualified};
pub use render::{markdown, markdown_body};

/// The schema shadow-diff compares.
pub const SCHEMA: &str = "aveloxis_data";
pub(crate) const REPOS: &str = "repos";
pub(crate) const REPO_KEY: &str = "repo_git";
/// Longest value shown in an example.
pub(crate) const EXAMPLE_CHARS: usize = 160;

/// Which rows are compared.
#[derive(Clone, Debug)]
pub enum Scope {
    All,
    /// A repository by its id on the released side.
    RepoId(i64),
    /// A repository by its `repo_git`.
    Repo(String),
}

/// A key as text values, one per key column (`None` = NULL).
pub type Key = Vec<Option<String>>;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Category {
    pub rows: usize,
    /// Key values (in the order of `key_columns`) of up to N rows.
    pub examples: Vec<Key>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ValueDiff {
    pub column: String,
    pub released: Option<String>,
    pub new: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ContentExample {
    pub key: Key,
    pub differences: Vec<ValueDiff>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ColumnCount {
    pub column: String,
    pub rows: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ContentCategory {
    pub rows: usize,
    /// The columns that differ, with how many rows differ in each.
    pub columns: Vec<ColumnCount>,
    pub examples: Vec<ContentExample>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TableDiff {
    pub table: String,
    pub verdict: Verdict,
    /// The stable key, after translating serial ids through their parents.
    pub key_columns: Vec<String>,
    /// The unique index the key was derived from.
    pub key_index: String,
    pub compared_columns: Vec<String>,
    pub released_rows: usize,
    pub new_rows: usize,
    pub fail_missing: Category,
    pub fail_content: ContentCategory,
    pub flag_extra: Category,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub table: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub total_tables: usize,
    pub tables_with_fails: usize,
    pub tables_with_flags: usize,
    pub tables_skipped: usize,
    pub fail_missing_rows: usize,
    pub fail_content_rows: usize,
    pub flag_extra_rows: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub generated_at: String,
    pub released: String,
    pub new: String,
    /// The repository compared (`repo_git`), when restricted.
    pub repo: Option<String>,
    pub tables: Vec<TableDiff>,
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
    /// Rows read on both sides.
    pub rows_read: usize,
    pub seconds: f64,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.verdict() == Verdict::Fail
    }

    /// The worst verdict of the compared tables.
    pub fn verdict(&self) -> Verdict {
        Verdict::worst(self.tables.iter().map(|t| t.verdict))
    }
}

impl Summary {
    fn of(tables: &[TableDiff], skipped: usize) -> Summary {
        Summary {
            total_tables: tables.len(),
            tables_with_fails: tables.iter().filter(|t| t.verdict == Verdict::Fail).count(),
            tables_with_flags: tables.iter().filter(|t| t.verdict == Verdict::Flag).count(),
            tables_skipped: skipped,
            fail_missing_rows: tables.iter().map(|t| t.fail_missing.rows).sum(),
            fail_content_rows: tables.iter().map(|t| t.fail_content.rows).sum(),
            flag_extra_rows: tables.iter().map(|t| t.flag_extra.rows).sum(),
        }
    }
}

async fn count_rows(conn: &mut PgConnection, table: &str) -> Result<usize> {
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {}",
        qualified(table)
    )))
    .fetch_one(&mut *conn)
    .await
    .with_context(|| format!("counting {SCHEMA}.{table}"))?;
    Ok(n as usize)
}

/// Resolve the scope to a `repo_git` (a `--repo-id` is looked up on the released side).
async fn resolve_repo(
    released: &mut PgConnection,
    new: &mut PgConnection,
    scope: &Scope,
) -> Result<Option<String>> {
    let git = match scope {
        Scope::All => return Ok(None),
        Scope::Repo(url) => url.clone(),
        Scope::RepoId(id) => sqlx::query_scalar::<_, String>(
            "SELECT repo_git FROM aveloxis_data.repos WHERE repo_id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *released)
        .await
        .context("looking up --repo-id on the released database")?
        .with_context(|| format!("repo_id {id} does not exist in the released database"))?,
    };
    let mut found = false;
    for conn in [released, new] {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.repos WHERE repo_git = $1")
                .bind(&git)
                .fetch_one(&mut *conn)
                .await
                .context("looking up the repository")?;
        found |= n > 0;
    }
    if !found {
        bail!("repository {git} is in neither database");
    }
    Ok(Some(git))
}

/// Compare two connected databases row by row. `only` limits the tables (names in
/// aveloxis_data; empty = all).
pub async fn compare_databases(
    released: &mut PgConnection,
    new: &mut PgConnection,
    scope: &Scope,
    examples: usize,
    only: &[String],
) -> Result<Report> {
    let start = Instant::now();
    for conn in [&mut *released, &mut *new] {
        prepare(conn).await?;
    }
    let repo = resolve_repo(released, new, scope).await?;
    let (rk, nk) = tokio::try_join!(Keys::load(released), Keys::load(new))?;
    if rk.rels.is_empty() && nk.rels.is_empty() {
        bail!("no {SCHEMA} tables in either database: nothing was compared");
    }
    let names: BTreeSet<&String> = rk.rels.keys().chain(nk.rels.keys()).map(|k| &k.1).collect();
    for t in only {
        if !names.contains(t) {
            bail!("table {SCHEMA}.{t} exists in neither database");
        }
    }
    let mut run = Run {
        released,
        new,
        keys: [&rk, &nk],
        repo: repo.as_deref(),
        examples,
        rows_read: 0,
    };
    let mut tables = Vec::new();
    let mut skipped = Vec::new();
    for name in names {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        match run.table(name).await? {
            Compared::Table(t) => tables.push(*t),
            Compared::Skipped(reason) => skipped.push(Skipped {
                table: name.clone(),
                reason,
            }),
        }
    }
    if tables.is_empty() && skipped.is_empty() {
        bail!("nothing was compared");
    }
    let rows_read = run.rows_read;
    let summary = Summary::of(&tables, skipped.len());
    tables.sort_by(|a, b| b.verdict.cmp(&a.verdict).then(a.table.cmp(&b.table)));
    Ok(Report {
        generated_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        released: String::new(),
        new: String::new(),
        repo,
        tables,
        skipped,
        summary,
        rows_read,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The session settings of the table diff, plus room for the per-bucket aggregation.
async fn prepare(conn: &mut PgConnection) -> Result<()> {
    table_diff::prepare_session(conn).await?;
    // Room for the per-bucket aggregation without spilling to disk.
    sqlx::raw_sql("SET work_mem = '64MB'")
        .execute(&mut *conn)
        .await
        .context("preparing the comparison session")?;
    Ok(())
}

enum Compared {
    Table(Box<TableDiff>),
    Skipped(String),
}

/// One comparison in progress: both connections and both sides' keys.
struct Run<'a> {
    released: &'a mut PgConnection,
    new: &'a mut PgConnection,
    keys: [&'a Keys; 2],
    repo: Option<&'a str>,
    examples: usize,
    rows_read: usize,
}

impl Run<'_> {
    async fn table(&mut self, name: &String) -> Result<Compared> {
        let [rk, nk] = self.keys;
        let key = (SCHEMA.to_string(), name.clone());
        let (rrel, nrel) = match (rk.rels.get(&key), nk.rels.get(&key)) {
            (Some(r), Some(n)) => (r, n),
            (Some(_), None) => {
                let rows = match self.repo {
                    None => count_rows(self.released, name).await?,
                    Some(_) => 0,
                };
                return Ok(Compared::Table(Box::new(one_sided(
                    name,
                    rows,
                    Verdict::Fail,
                ))));
            }
            (None, Some(_)) => {
                let rows = match self.repo {
                    None => count_rows(self.new, name).await?,
                    Some(_) => 0,
                };
                return Ok(Compared::Table(Box::new(one_sided(
                    name,
                    rows,
                    Verdict::Flag,
                ))));
            }
            (None, None) => bail!("table {SCHEMA}.{name} exists in neither database"),
        };
        let mut plan = match (plan_table(rk, name), plan_table(nk, name)) {
            (Ok(a), Ok(b)) if a == b => a,
            (Ok(a), Ok(b)) => {
                return Ok(Compared::Skipped(format!(
                    "the stable key differs between the sides ({} vs {})",
                    a.index, b.index
                )));
            }
            (Err(e), _) | (_, Err(e)) => {
                return Ok(Compared::Skipped(format!("no stable key: {e}")));
            }
        };
        let scope = match self.repo {
            Some(_) => match repo_scope(rk, name, &mut plan) {
                Some(s) => Some(s),
                None => {
                    return Ok(Compared::Skipped(
                        "not tied to a repository (compared only without --repo/--repo-id)".into(),
                    ));
                }
            },
            None => None,
        };
        let own_key: BTreeSet<&String> = plan
            .parts
            .iter()
            .filter(|p| p.alias == "t")
            .map(|p| &p.column)
            .collect();
        let content: Vec<String> = table_diff::hashed_columns(rrel, nrel)
            .into_iter()
            .filter(|c| !own_key.contains(c))
            .collect();
        let q = TableQuery {
            table: name.clone(),
            plan,
            exprs: query::content_exprs(rrel, &content),
            content,
            scope,
        };
        let (examples, repo) = (self.examples, self.repo);
        let t = compare_table(
            self.released,
            self.new,
            &q,
            repo,
            examples,
            &mut self.rows_read,
        );
        Ok(Compared::Table(Box::new(t.await?)))
    }
}

fn one_sided(name: &str, rows: usize, verdict: Verdict) -> TableDiff {
    let (released_rows, new_rows, note) = match verdict {
        Verdict::Fail => (rows, 0, "table missing on new"),
        _ => (0, rows, "table only on new"),
    };
    let cat = Category {
        rows,
        examples: Vec::new(),
    };
    TableDiff {
        table: name.to_string(),
        verdict: if rows == 0 { Verdict::Pass } else { verdict },
        key_columns: Vec::new(),
        key_index: String::new(),
        compared_columns: Vec::new(),
        released_rows,
        new_rows,
        fail_missing: if verdict == Verdict::Fail {
            cat.clone()
        } else {
            Category::default()
        },
        fail_content: ContentCategory::default(),
        flag_extra: if verdict == Verdict::Fail {
            Category::default()
        } else {
            cat
        },
        notes: vec![note.into()],
    }
}

/// Run `harness shadow-diff`: print the report, return its verdict.
pub async fn run(args: &ShadowDiffArgs) -> Result<Verdict> {
    let scope = match (&args.repo_id, &args.repo) {
        (Some(id), _) => Scope::RepoId(*id),
        (None, Some(u)) => Scope::Repo(u.clone()),
        (None, None) => Scope::All,
    };
    let mut r = PgConnection::connect(&args.released_dsn)
        .await
        .with_context(|| format!("connecting to {}", redact(&args.released_dsn)))?;
    let mut n = PgConnection::connect(&args.new_dsn)
        .await
        .with_context(|| format!("connecting to {}", redact(&args.new_dsn)))?;
    let mut report = compare_databases(&mut r, &mut n, &scope, args.examples, &args.tables).await?;
    let _ = r.close().await;
    let _ = n.close().await;
    report.released = redact(&args.released_dsn);
    report.new = redact(&args.new_dsn);
    if args.json {
        let j = serde_json::to_string_pretty(&report).context("writing the report as JSON")?;
        println!("{j}");
    } else {
        print!("{}", markdown(&report));
    }
    Ok(report.verdict())
}
