//! The write path against the live catalog: every upsert spec and every literal statement of
//! the collector is prepared by PostgreSQL, every natural key is a valid unique index, every
//! `ON CONFLICT (…)` targets a declared key, the mappers emit only columns their specs read,
//! the overwrite policy holds row by row, and a failing upsert is a database error in /metrics.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aveloxis_core::collect::specs::{self, Entity, OTHER_KEYS};
use aveloxis_core::collect::upsert::{UpsertError, upsert};
use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use serde_json::{Value, json};
use sqlx::{Executor, PgConnection};

use crate::support::*;

/// One SQL string literal passed to `sqlx::query*` / `sqlx::raw_sql` in the source.
#[derive(Debug)]
struct Literal {
    at: String,
    sql: String,
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    files_with(dir, "rs", out)
}

fn files_with(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_with(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// Every `.sql` file under `dir` (the write path keeps its larger statements in files).
fn sql_files(dir: &Path) -> Vec<Literal> {
    let mut files = Vec::new();
    files_with(dir, "sql", &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| Literal {
            at: f.strip_prefix(dir).unwrap_or(&f).display().to_string(),
            sql: std::fs::read_to_string(&f).unwrap(),
        })
        .collect()
}

/// The value of the Rust string literal starting at `s` (plain or raw), if one does.
fn string_literal(s: &str) -> Option<String> {
    if let Some(rest) = s.strip_prefix('r') {
        let hashes = rest.len() - rest.trim_start_matches('#').len();
        let body = rest[hashes..].strip_prefix('"')?;
        let end = format!("\"{}", "#".repeat(hashes));
        return Some(body[..body.find(&end)?].to_owned());
    }
    let mut chars = s.strip_prefix('"')?.chars().peekable();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\n' => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// Literal SQL of every `sqlx::query(…)`, `query_scalar`, `query_as` (with or without a
/// turbofish) and `raw_sql` call in the `.rs` files under `dir` (statements built at run time
/// are the specs', checked separately).
fn literal_statements(dir: &Path) -> Vec<Literal> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (pos, _) in text.match_indices("sqlx::") {
            let after = &text[pos + "sqlx::".len()..];
            let Some(open) = after.find('(') else {
                continue;
            };
            let name = &after[..open];
            let base = name.split("::<").next().unwrap();
            if !matches!(base, "query" | "query_scalar" | "query_as" | "raw_sql") {
                continue;
            }
            if let Some(sql) = string_literal(after[open + 1..].trim_start()) {
                out.push(literal(dir, &f, &text, pos, sql));
            }
        }
        // SQL held in a constant (`const UPSERT_X: &str = "…";`).
        for (pos, _) in text.match_indices(": &str = ") {
            let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
            if !text[line_start..pos].trim_start().starts_with("const ") {
                continue;
            }
            let Some(sql) = string_literal(&text[pos + ": &str = ".len()..]) else {
                continue;
            };
            let first = sql.split_whitespace().next().unwrap_or("");
            if ["INSERT", "UPDATE", "DELETE", "WITH", "SELECT"].contains(&first) {
                out.push(literal(dir, &f, &text, pos, sql));
            }
        }
    }
    out
}

fn literal(dir: &Path, file: &Path, text: &str, pos: usize, sql: String) -> Literal {
    let line = text[..pos].lines().count();
    let at = format!(
        "{}:{line}",
        file.strip_prefix(dir).unwrap_or(file).display()
    );
    Literal { at, sql }
}

fn core_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A statement is a write when it inserts, updates or deletes.
fn is_write(sql: &str) -> bool {
    let s = sql.to_ascii_uppercase();
    ["INSERT ", "UPDATE ", "DELETE "]
        .iter()
        .any(|k| s.contains(k))
}

/// Prepare `sql` (parse and analyse: every table, column and type must exist), then plan it
/// with `EXPLAIN EXECUTE` and every parameter NULL — planning is where an `ON CONFLICT` target
/// without a matching unique index fails. Nothing is executed.
async fn prepare(conn: &mut PgConnection, sql: &str) -> Result<(), String> {
    conn.prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(
        sql.to_owned(),
    )))
    .await
    .map_err(|e| e.to_string())?;
    let body = sql.trim().trim_end_matches(';');
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("PREPARE plan_check AS {body}")))
        .execute(&mut *conn)
        .await
        .map_err(|e| e.to_string())?;
    let params: i32 = sqlx::query_scalar(
        "SELECT cardinality(parameter_types) FROM pg_prepared_statements WHERE name = 'plan_check'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| e.to_string())?;
    let args = vec!["NULL"; params as usize].join(", ");
    let explain = if params > 0 {
        format!("EXPLAIN EXECUTE plan_check ({args})")
    } else {
        "EXPLAIN EXECUTE plan_check".to_owned()
    };
    let planned = sqlx::raw_sql(sqlx::AssertSqlSafe(explain))
        .execute(&mut *conn)
        .await
        .map(drop)
        .map_err(|e| format!("planning: {e}"));
    sqlx::raw_sql("DEALLOCATE plan_check")
        .execute(&mut *conn)
        .await
        .map_err(|e| e.to_string())?;
    planned
}

#[tokio::test]
async fn every_upsert_spec_prepares_against_the_migrated_schema() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let mut failures = Vec::new();
    let mut prepared = 0;
    for &entity in specs::all() {
        let spec = entity.spec();
        let statements = std::iter::once(("upsert", spec.sql()))
            .chain(spec.orphan_sql().map(|s| ("orphan check", s)));
        for (what, sql) in statements {
            match prepare(&mut conn, &sql).await {
                Ok(()) => prepared += 1,
                Err(e) => failures.push(format!("{entity:?} ({}) {what}: {e}\n{sql}", spec.table)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(specs::all().len(), 22, "every collected table has a spec");
    assert!(prepared >= 37, "only {prepared} statements prepared");
}

#[tokio::test]
async fn every_literal_statement_of_the_write_path_prepares_against_the_migrated_schema() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let src = core_src();
    let mut statements = literal_statements(&src.join("collect"));
    // The rest of the write path: commits (git_commits/, with its SQL files), aggregates, and
    // the owners of the repository, queue and quarantine tables (a file or a directory of that
    // name).
    statements.extend(literal_statements(&src).into_iter().filter(|l| {
        ["git_commits", "aggregates", "queue", "repos", "quarantine"]
            .iter()
            .any(|f| l.at.starts_with(f))
    }));
    let files = sql_files(&src);
    assert!(
        files.len() >= 6,
        "the commit writer's SQL files are found: {files:#?}"
    );
    statements.extend(files);
    let mut failures = Vec::new();
    for l in &statements {
        if let Err(e) = prepare(&mut conn, &l.sql).await {
            failures.push(format!("{}: {e}\n{}", l.at, l.sql));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        statements.len() >= 40,
        "only {} statements",
        statements.len()
    );
    let writes = statements.iter().filter(|l| is_write(&l.sql)).count();
    assert!(
        writes >= 15,
        "only {writes} literal writes found on the write path: {statements:#?}"
    );
}

#[tokio::test]
async fn every_natural_key_is_a_valid_non_partial_unique_index() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let mut checked = 0;
    let mut missing = Vec::new();
    for (table, key) in specs::natural_keys() {
        let mut want: Vec<String> = key.iter().map(|c| c.to_string()).collect();
        want.sort();
        let before = want.len();
        want.dedup();
        assert_eq!(
            want.len(),
            before,
            "{table}: key ({key:?}) repeats a column"
        );
        // ON CONFLICT (cols) needs a valid, non-partial unique index (or the primary key) on
        // exactly these key columns.
        let found: bool = sqlx::query_scalar(
            "SELECT EXISTS (
                 SELECT 1 FROM pg_index i
                  WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indisvalid
                    AND i.indpred IS NULL AND i.indexprs IS NULL
                    AND i.indnkeyatts = cardinality($2::text[])
                    AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text)
                           FROM pg_attribute a
                          WHERE a.attrelid = i.indrelid
                            AND a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1]))
                        = $2::text[])",
        )
        .bind(table)
        .bind(&want)
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{table}: {e}"));
        if !found {
            missing.push(format!("{table} ({})", key.join(", ")));
        }
        checked += 1;
    }
    assert!(
        missing.is_empty(),
        "natural keys without a valid, non-partial unique index:\n  {}",
        missing.join("\n  ")
    );
    assert!(checked >= 54, "only {checked} natural keys declared");
    // One place per table: a table with a spec has its key there, not also in OTHER_KEYS.
    for (table, _) in OTHER_KEYS {
        assert!(
            specs::all().iter().all(|e| e.table() != *table),
            "{table} is keyed both by its spec and in OTHER_KEYS"
        );
    }
}

/// Collect `repo` once with the real binary (GitHub or GitLab side of the mock forge), so its
/// pages are staged; returns its repo_id.
async fn collect_once(db: &TestDb, forge: &MockForge, url: &str) -> i64 {
    db.configure(json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "gitlab": {"api_url": forge.gitlab_api_url(),
                   "web_url": forge.base_url().replace("127.0.0.1", "localhost")}
    }));
    db.run(&["add-key", DEFAULT_TOKENS[0]]);
    db.run(&["add-key", "--platform", "gitlab", DEFAULT_TOKENS[0]]);
    db.run(&["collect", url, "--full"]);
    let mut conn = db.connect().await;
    sqlx::query_scalar("SELECT repo_id FROM aveloxis_data.repos")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_github_and_gitlab_mappers_emit_only_columns_their_specs_read() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let github = forge.web_url("mock-org", "tiny");
    let gitlab = format!(
        "{}/mock-org/tiny",
        forge.base_url().replace("127.0.0.1", "localhost")
    );
    for url in [github, gitlab] {
        let db = migrated_db().await;
        let repo_id = collect_once(&db, &forge, &url).await;
        let mut conn = db.connect().await;
        // Map every page the collector staged once more, in process: each mapped row goes
        // through the upsert's column check, which names table and column on a stray key.
        let pages =
            sqlx::query("UPDATE aveloxis_ops.staging SET processed = false WHERE repo_id = $1")
                .bind(repo_id)
                .execute(&mut conn)
                .await
                .unwrap()
                .rows_affected();
        assert!(pages > 10, "{url}: only {pages} pages staged");
        let counts = aveloxis_core::collect::process_staged(
            &mut conn,
            repo_id,
            aveloxis_core::queue::Fence::Unclaimed,
            aveloxis_core::collect::Budget::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{url}: mapping the staged pages: {e:#}"));
        let mapped: Vec<&String> = counts.tables.keys().collect();
        assert!(
            mapped.len() >= 12,
            "{url}: the world exercises only {mapped:?}"
        );
        for key in mapped {
            assert!(Entity::from_key(key).is_some(), "{url}: {key} has no spec");
        }
    }
}

async fn issue_row(
    conn: &mut PgConnection,
    platform_issue_id: i64,
) -> (Option<String>, Option<String>, Option<String>, i64) {
    sqlx::query_as(
        "SELECT issue_title, issue_body, issue_state, comment_count
           FROM aveloxis_data.issues WHERE platform_issue_id = $1",
    )
    .bind(platform_issue_id)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// label_text, label_description, label_color, tool_version, data_source, joined to its issue.
type LabelRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    bool,
);

#[tokio::test]
async fn a_null_never_overwrites_a_value_and_a_value_always_does() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let group = test_group(&mut conn).await;
    let repo_id: i64 = sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name, repo_group_id)
         VALUES (1, 'https://github.com/o/r', 'o', 'r', $1) RETURNING repo_id",
    )
    .bind(group)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let issue = |title: Value, body: Value, state: Value, comments: Value| {
        json!({"repo_id": repo_id, "platform_id": 1, "platform_issue_id": 77, "issue_number": 7,
               "issue_title": title, "issue_body": body, "issue_state": state,
               "comment_count": comments, "data_source": "test"})
    };
    let w = upsert(
        &mut conn,
        Entity::Issues,
        &[issue(
            json!("first"),
            json!("body"),
            json!("open"),
            json!(1),
        )],
    )
    .await
    .unwrap();
    assert_eq!(w.rows, 1);
    // Same natural key: title NULL (kept), body absent (NULL) — but the body is one of the
    // columns the listing states in full (a cleared body is NULL on the forge), so it is
    // overwritten — state and count changed.
    let mut second = issue(Value::Null, Value::Null, json!("closed"), json!(5));
    second.as_object_mut().unwrap().remove("issue_body");
    upsert(&mut conn, Entity::Issues, &[second]).await.unwrap();
    assert_eq!(
        issue_row(&mut conn, 77).await,
        (Some("first".into()), None, Some("closed".into()), 5),
        "NULL kept the old value (but in a column stated in full), non-NULL overwrote"
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.issues")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1, "the second upsert hit the natural key");

    // A child joins its parent by natural key; its key columns are never rewritten and the
    // metadata columns follow the same rule.
    let label = |desc: Value, color: Value| {
        json!({"repo_id": repo_id, "platform_issue_id": 77, "label_text": "bug",
               "label_description": desc, "label_color": color, "data_source": "test"})
    };
    upsert(
        &mut conn,
        Entity::IssueLabels,
        &[label(json!("a bug"), json!("red"))],
    )
    .await
    .unwrap();
    sqlx::query("UPDATE aveloxis_data.issue_labels SET tool_version = 'old'")
        .execute(&mut conn)
        .await
        .unwrap();
    let mut again = label(Value::Null, json!("blue"));
    again.as_object_mut().unwrap().remove("data_source");
    let w = upsert(&mut conn, Entity::IssueLabels, &[again])
        .await
        .unwrap();
    assert_eq!(
        w,
        aveloxis_core::collect::upsert::Written {
            rows: 1,
            orphans: 0,
            refused: vec![]
        }
    );
    let got: Vec<LabelRow> = sqlx::query_as(
        "SELECT l.label_text, l.label_description, l.label_color, l.tool_version, l.data_source,
                l.issue_id = i.issue_id
           FROM aveloxis_data.issue_labels l, aveloxis_data.issues i",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        got,
        vec![(
            "bug".into(),
            Some("a bug".into()),
            Some("blue".into()),
            env!("CARGO_PKG_VERSION").to_owned(),
            Some("test".into()),
            true
        )]
    );
    // A child whose parent is not collected is counted, not written.
    let mut orphan = label(json!("x"), json!("y"));
    orphan["platform_issue_id"] = json!(78);
    let w = upsert(&mut conn, Entity::IssueLabels, &[orphan])
        .await
        .unwrap();
    assert_eq!((w.rows, w.orphans), (0, 1));
}

#[tokio::test]
async fn a_stray_column_and_a_database_failure_are_typed_upsert_errors() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let e = upsert(
        &mut conn,
        Entity::Releases,
        &[json!({"repo_id": 1, "release_idd": "v1"})],
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, UpsertError::UnknownColumn { table: "aveloxis_data.releases", column } if column == "release_idd"),
        "{e}"
    );
    // No repository 999: the foreign key fails inside the database.
    let e = upsert(
        &mut conn,
        Entity::Releases,
        &[json!({"repo_id": 999, "release_id": "v1"})],
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            &e,
            UpsertError::Database {
                table: "aveloxis_data.releases",
                ..
            }
        ),
        "{e}"
    );
    let any = anyhow::Error::from(e);
    assert!(any.chain().any(|c| c.is::<sqlx::Error>()), "{any:#}");
    assert!(format!("{any:#}").contains("fk_"), "{any:#}");
}

/// `aveloxis serve` with the monitor on `addr`.
fn serve(db: &TestDb, addr: &str) -> Child {
    db.aveloxis()
        .args([
            "serve",
            "--poll-ms",
            "200",
            "--heartbeat-ms",
            "300",
            "--scheduler-ms",
            "300",
        ])
        .args(["--workers", "1", "--monitor", addr])
        .env("AVELOXIS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The sum of `name{label}` samples in a Prometheus text page.
fn sample(text: &str, name: &str, label: (&str, &str)) -> f64 {
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text format");
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && s.labels.get(label.0) == Some(label.1))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn a_database_failure_during_an_upsert_is_counted_as_a_database_error_in_metrics() {
    let mut scenario = Scenario::fleet(1, 21);
    scenario.rate_limit.limit = 10_000_000;
    let forge = MockForge::start(scenario).unwrap();
    let db = migrated_db().await;
    db.configure(json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "collection": {"days_until_recollect": 1}
    }));
    let mut conn = db.connect().await;
    let url = forge.web_url("mock-org", "fleet-00000");
    let group = test_group(&mut conn).await;
    sqlx::query(
        "WITH r AS (INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name, repo_group_id)
                    VALUES (1, $1, 'mock-org', 'fleet-00000', $2) RETURNING repo_id)
         INSERT INTO aveloxis_ops.collection_queue (repo_id, priority) SELECT repo_id, 100 FROM r",
    )
    .bind(&url)
    .bind(group)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO aveloxis_ops.worker_oauth (access_token, platform) VALUES ($1, 'github')",
    )
    .bind(DEFAULT_TOKENS[0])
    .execute(&mut conn)
    .await
    .unwrap();
    // Planted: every contributor upsert (the first write of any repository) now fails in the
    // database.
    sqlx::raw_sql(
        "ALTER TABLE aveloxis_data.contributors
           ADD CONSTRAINT ck_test_refuse_writes CHECK (cntrb_id IS NULL) NOT VALID",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let (_, addr) = free_loopback_addr();
    let mut s = serve(&db, &addr);
    let get = |path: &str| -> Option<String> {
        let out = Command::new("curl")
            .args(["-sf", &format!("http://{addr}{path}")])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let t = Instant::now();
    let metrics = loop {
        if let Some(m) = get("/metrics")
            && sample(&m, "aveloxis_jobs_total", ("outcome", "failed")) >= 1.0
        {
            break m;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no failed job within 120s: {:?}",
            get("/metrics")
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(s.id().to_string())
        .status();
    let _ = s.wait();
    let last_error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM aveloxis_ops.collection_queue")
            .fetch_one(&mut conn)
            .await
            .unwrap_or(None);
    assert!(
        sample(&metrics, "aveloxis_errors_total", ("class", "database")) >= 1.0,
        "a failed upsert is not counted as a database error (last error: {last_error:?}):\n{metrics}"
    );
    assert_eq!(
        sample(&metrics, "aveloxis_errors_total", ("class", "other")),
        0.0,
        "{metrics}"
    );
}
