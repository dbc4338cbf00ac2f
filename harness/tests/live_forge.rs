//! `data-test --forge live`: the operator's forge URLs and keys. There is no network here, so
//! the "live" forge is a mock forge on a real socket that accepts only the operator's token.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::Connection;

use super::support::*;

/// An operator's setup: a primary database (migrated by the real collector, keys added with
/// `add-key -`) and an `aveloxis.json` that points at `forge`.
struct Operator {
    cluster: aveloxis_pg::Cluster,
    dir: tempfile::TempDir,
    config: PathBuf,
}

/// The operator database's password (the test cluster trusts local connections, so it is never
/// asked for; it must never be printed either).
const OPERATOR_PASSWORD: &str = "operator-db-password-5e5e";

impl Operator {
    fn new(github: (&str, &str), keys: &[(&str, &str)]) -> Operator {
        let cluster = aveloxis_pg::Cluster::start().unwrap();
        runtime().block_on(async {
            let mut admin = sqlx::PgConnection::connect(&cluster.url("postgres"))
                .await
                .unwrap();
            // The operator's own account, with a password the test knows (and looks for).
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE ROLE operator LOGIN SUPERUSER PASSWORD '{OPERATOR_PASSWORD}'"
            )))
            .execute(&mut admin)
            .await
            .unwrap();
            sqlx::raw_sql("CREATE DATABASE aveloxis")
                .execute(&mut admin)
                .await
                .unwrap();
        });
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("aveloxis.json");
        let cfg = serde_json::json!({
            "database": {"host": "127.0.0.1", "port": cluster.port(), "user": "operator",
                         "password": OPERATOR_PASSWORD, "dbname": "aveloxis",
                         "sslmode": "disable"},
            "github": {"api_url": github.0, "web_url": github.1},
            "collection": {"workers": 2, "repo_clone_dir": dir.path().join("repos")},
            "monitor": {"addr": "127.0.0.1:0"}
        });
        std::fs::write(&config, serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
        let op = Operator {
            cluster,
            dir,
            config,
        };
        op.aveloxis(&["migrate", "--skip-views"], None);
        for (platform, token) in keys {
            op.aveloxis(
                &["add-key", "-", "--platform", platform, "--name", "ops"],
                Some(token),
            );
        }
        op
    }

    /// The operator's own `aveloxis --config aveloxis.json …`.
    fn aveloxis(&self, args: &[&str], stdin: Option<&str>) {
        use std::io::Write;
        let mut child = Command::new(aveloxis_bin())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut w = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            writeln!(w, "{s}").unwrap();
        }
        drop(w);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "aveloxis {args:?}: {}", text(&out));
    }

    /// Every row of the operator's worker_oauth, as text.
    fn keys(&self) -> Vec<String> {
        runtime().block_on(async {
            let mut c = sqlx::PgConnection::connect(&self.cluster.url("aveloxis"))
                .await
                .unwrap();
            sqlx::query_scalar("SELECT w::text FROM aveloxis_ops.worker_oauth w ORDER BY oauth_id")
                .fetch_all(&mut c)
                .await
                .unwrap()
        })
    }

    /// How the harness prints this database.
    fn shown(&self) -> String {
        format!("postgres://***@127.0.0.1:{}/aveloxis", self.cluster.port())
    }
}

fn live_data_test(config: Option<&Path>, repo: &str, work: &Path, cwd: &Path) -> Output {
    live_data_test_with(config, repo, work, cwd, aveloxis_bin(), aveloxis_bin())
}

fn live_data_test_with(
    config: Option<&Path>,
    repo: &str,
    work: &Path,
    cwd: &Path,
    released_bin: &Path,
    new_bin: &Path,
) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_harness"));
    c.args([
        "data-test",
        "--released-tag",
        "HEAD",
        "--repo",
        repo,
        "--forge",
        "live",
        "--released-bin",
        released_bin.to_str().unwrap(),
        "--new-bin",
        new_bin.to_str().unwrap(),
        "--work-dir",
        work.to_str().unwrap(),
    ]);
    c.arg("--repo-dir")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap());
    if let Some(p) = config {
        c.arg("--operator-config").arg(p);
    }
    c.current_dir(cwd)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("AVELOXIS_CONFIG")
        .output()
        .unwrap()
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                let bytes = std::fs::read(e.path()).unwrap();
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    hits.push(e.path());
                }
            }
        }
    }
    hits
}

#[test]
fn data_test_live_forge_uses_the_operators_keys_runs_the_sides_in_turn_and_never_shows_them() {
    use aveloxis_mock_forge::{MockForge, Preset, Scenario, TokenSpec};
    // The forge accepts only the operator's token: the mock tokens get 401, so a collection with
    // rows proves the copied key was used.
    let token = "ghp_operator_live_token_9c1d";
    let other = "glpat_operator_gitlab_token_77";
    let mut scenario = Scenario::generate(Preset::Tiny, 1);
    scenario.tokens = vec![TokenSpec {
        token: token.into(),
        limit: None,
    }];
    let forge = MockForge::start(scenario).unwrap();
    let op = Operator::new(
        (&forge.github_api_url(), &forge.base_url()),
        &[("github", token), ("gitlab", other)],
    );
    let before = op.keys();
    assert_eq!(before.len(), 2, "{before:?}");

    let work = tempfile::tempdir().unwrap();
    let repo = forge.web_url("mock-org", "tiny");
    let out = live_data_test(Some(&op.config), &repo, work.path(), work.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");

    // Every table PASSes and the collection has rows.
    let r = report_json(work.path());
    let tables = r["tables"].as_array().unwrap();
    assert!(tables.len() > 50, "{}", tables.len());
    for tb in tables {
        assert_eq!(tb["verdict"], "PASS", "{tb}");
    }
    assert!(
        table(&r, "aveloxis_data.issues")["released_rows"]
            .as_i64()
            .unwrap()
            > 0
    );
    assert_eq!(
        table(&r, "aveloxis_ops.worker_oauth")["released_rows"].as_i64(),
        Some(1),
        "only the key of the requested platform is copied"
    );
    assert_eq!(
        r["forge"].as_str().unwrap(),
        format!("live ({}); GitHub: {repo}", forge.github_api_url())
    );
    assert_eq!(r["repos"][0].as_str().unwrap(), repo);
    assert!(forge.request_count() > 0);
    assert!(forge.unmatched_requests().is_empty());

    // In turn: every line of the released side comes before the first line of the new side.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let last_released = lines.iter().rposition(|l| l.starts_with("[released] "));
    let first_new = lines.iter().position(|l| l.starts_with("[new] "));
    let (Some(last_released), Some(first_new)) = (last_released, first_new) else {
        panic!("both sides print: {stderr}");
    };
    assert!(
        last_released < first_new,
        "[released] line {last_released} after the first [new] line {first_new}:\n{stderr}"
    );
    let copied = format!(
        "copied 1 key(s) from aveloxis_ops.worker_oauth of {}",
        op.shown()
    );
    let copied_at = |side: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(&format!("harness: [{side}] {copied}")))
            .unwrap_or_else(|| panic!("{side} copies the key: {stderr}"))
    };
    assert!(copied_at("released") < last_released && last_released < copied_at("new"));

    // No secret anywhere: not in the output, not in any file the run left behind.
    for secret in [token, other, OPERATOR_PASSWORD] {
        assert!(!t.contains(secret), "{secret} printed: {t}");
        let hits = files_containing(work.path(), secret);
        assert!(hits.is_empty(), "{secret} in {hits:?}");
    }
    // The operator database was only read.
    assert_eq!(op.keys(), before);
}

#[test]
fn data_test_live_forge_without_operator_keys_is_exit_2_naming_worker_oauth() {
    // Only a GitLab key: the GitHub repository has none.
    let op = Operator::new(
        ("http://127.0.0.1:9", "http://127.0.0.1:9"),
        &[("gitlab", "glpat_only_gitlab_0f0f")],
    );
    let before = op.keys();
    let work = tempfile::tempdir().unwrap();
    let out = live_data_test(
        Some(&op.config),
        "http://127.0.0.1:9/mock-org/tiny",
        work.path(),
        work.path(),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains(&format!(
            "no github keys in aveloxis_ops.worker_oauth of {}",
            op.shown()
        )),
        "{t}"
    );
    assert!(
        !t.contains(OPERATOR_PASSWORD) && !t.contains("glpat_only_gitlab_0f0f"),
        "{t}"
    );
    // Nothing was built or provisioned first.
    assert!(
        !t.contains("phase build") && !t.contains("phase provision"),
        "{t}"
    );
    assert_eq!(op.keys(), before);
    // A repository on neither of the operator's forges is named too.
    let out = live_data_test(
        Some(&op.config),
        "https://example.org/a/b",
        work.path(),
        work.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("https://example.org/a/b: host is neither the operator's GitHub"),
        "{}",
        text(&out)
    );
}

#[test]
fn data_test_live_forge_without_operator_config_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let repo = "https://github.com/augurlabs/tiny";

    // --operator-config names a missing file.
    let missing = dir.path().join("nowhere/aveloxis.json");
    let out = live_data_test(Some(&missing), repo, &work, dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("operator config {} not found", missing.display())),
        "{}",
        text(&out)
    );
    // Without the option: ./aveloxis.json of the current directory…
    let out = live_data_test(None, repo, &work, dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("operator config aveloxis.json not found"),
        "{}",
        text(&out)
    );
    // …unless $AVELOXIS_CONFIG names one.
    let from_env = dir.path().join("from-env.json");
    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args([
            "data-test",
            "--released-tag",
            "HEAD",
            "--repo",
            repo,
            "--forge",
            "live",
            "--work-dir",
            work.to_str().unwrap(),
        ])
        .env("AVELOXIS_CONFIG", &from_env)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("operator config {} not found", from_env.display())),
        "{}",
        text(&out)
    );
    // A config without a database section is named with the reason, its values never shown.
    let no_db = dir.path().join("no-db.json");
    std::fs::write(
        &no_db,
        r#"{"github": {"api_url": "https://api.github.com"}}"#,
    )
    .unwrap();
    let out = live_data_test(Some(&no_db), repo, &work, dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("operator config {} is not valid", no_db.display()))
            && text(&out).contains("no database section"),
        "{}",
        text(&out)
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"database": {"password": 424242}}"#).unwrap();
    let out = live_data_test(Some(&bad), repo, &work, dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("operator config {} is not valid", bad.display()))
            && text(&out).contains("invalid type: integer, expected a string at line 1")
            && !text(&out).contains("424242"),
        "{}",
        text(&out)
    );
}

/// The real collector, except that `collect` fails.
fn failing_collect(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("aveloxis-failing");
    let script = format!(
        "#!/bin/sh\ncase \" $* \" in *\" collect \"*) echo 'planted collect failure' >&2; exit 1;; esac\nexec \"{}\" \"$@\"\n",
        aveloxis_bin().display()
    );
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn data_test_live_forge_failing_sides_keep_their_exit_codes() {
    use aveloxis_mock_forge::{MockForge, Preset, Scenario, TokenSpec};
    let token = "ghp_operator_live_token_4b2a";
    let mut scenario = Scenario::generate(Preset::Tiny, 1);
    scenario.tokens = vec![TokenSpec {
        token: token.into(),
        limit: None,
    }];
    let forge = MockForge::start(scenario).unwrap();
    let op = Operator::new(
        (&forge.github_api_url(), &forge.base_url()),
        &[("github", token)],
    );
    let repo = forge.web_url("mock-org", "tiny");
    let failing = failing_collect(op.dir.path());

    // A new collector that fails is the FAIL "new collector completes" (exit 1).
    let work = tempfile::tempdir().unwrap();
    let out = live_data_test_with(
        Some(&op.config),
        &repo,
        work.path(),
        work.path(),
        aveloxis_bin(),
        &failing,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let r = report_json(work.path());
    let check = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "new collector completes")
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(check["verdict"], "FAIL");
    assert!(
        check.to_string().contains("planted collect failure"),
        "{check}"
    );
    assert_eq!(
        table(&r, "aveloxis_data.issues")["verdict"],
        "FAIL",
        "the new side collected nothing"
    );

    // A released collector that fails is exit 2, and the new side never runs (it would only
    // spend the operator's budget).
    let work = tempfile::tempdir().unwrap();
    let out = live_data_test_with(
        Some(&op.config),
        &repo,
        work.path(),
        work.path(),
        &failing,
        aveloxis_bin(),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("planted collect failure"), "{t}");
    assert!(!t.lines().any(|l| l.starts_with("[new] ")), "{t}");
    assert!(!t.contains(token), "{t}");
}
