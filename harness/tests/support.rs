//! Fixtures shared by every test file: the harness and collector binaries, throwaway git
//! repositories, report readers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use sqlx::Connection;

/// The URL of a test cluster as an operator's server (`--server-url`), password included.
pub fn server_url(cluster: &aveloxis_pg::Cluster) -> String {
    format!(
        "postgres://postgres:{}@127.0.0.1:{}",
        cluster.password(),
        cluster.port()
    )
}

pub fn repo_migrations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations")
}

pub fn harness(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

pub fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(st.status.success(), "git {args:?}: {}", text(&st));
}

/// A git repository whose only content is a copy of our migrations, committed and tagged v1.
pub fn released_repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(&repo_migrations(), &d.path().join("migrations"));
    git(d.path(), &["init", "-q", "-b", "main"]);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "release"]);
    git(d.path(), &["tag", "v1"]);
    d
}

/// The number the next migration step in `migrations/steps` of `root` takes.
pub fn next_step(root: &Path) -> u32 {
    std::fs::read_dir(root.join("migrations/steps"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.get(..4)?.parse::<u32>().ok())
        .max()
        .unwrap()
        + 1
}

/// The `aveloxis` collector next to the harness binary (built first when missing), copied into
/// a private directory so a concurrent rebuild cannot swap it between the two sides of a run.
pub fn aveloxis_bin() -> &'static Path {
    static BIN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = BIN.get_or_init(|| {
        let target_bin = Path::new(env!("CARGO_BIN_EXE_harness"))
            .parent()
            .unwrap()
            .join("aveloxis");
        if !target_bin.exists() {
            let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "-p", "aveloxis-core", "--bin", "aveloxis"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .unwrap();
            assert!(st.success(), "building aveloxis");
        }
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("aveloxis");
        std::fs::copy(&target_bin, &copy).unwrap();
        (dir, copy)
    });
    path
}

/// A wrapper around the real collector that runs `sql` (with psql, on the side's database)
/// after every `collect` — a planted regression in the "new" binary.
pub fn wrapper(dir: &Path, sql: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("aveloxis-patched");
    let script = format!(
        "#!/bin/sh\n\"{real}\" \"$@\" || exit $?\ncase \" $* \" in *\" collect \"*)\n  psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || exit 3\n{sql}\nSQL\n;;\nesac\n",
        real = aveloxis_bin().display()
    );
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

pub fn data_test(cwd: &Path, work: &Path, new_bin: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "data-test",
        "--released-tag",
        "HEAD",
        "--repo",
        "https://github.com/augurlabs/tiny",
        "--released-bin",
        aveloxis_bin().to_str().unwrap(),
        "--new-bin",
        new_bin.to_str().unwrap(),
        "--work-dir",
        work.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(&args)
        .current_dir(cwd)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

pub fn report_json(work: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(work.join("report.json")).unwrap()).unwrap()
}

pub fn table<'a>(r: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    table_in(&r["tables"], name)
}

/// The table `schema.name` of a report's list of tables (`tables`, or a pair's).
pub fn table_in<'a>(tables: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    tables
        .as_array()
        .unwrap_or_else(|| panic!("no tables: {tables}"))
        .iter()
        .find(|t| {
            format!(
                "{}.{}",
                t["schema"].as_str().unwrap(),
                t["table"].as_str().unwrap()
            ) == name
        })
        .unwrap_or_else(|| panic!("{name} not in the report"))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub async fn databases(c: &aveloxis_pg::Cluster) -> Vec<String> {
    let mut conn = sqlx::PgConnection::connect(&c.url("postgres"))
        .await
        .unwrap();
    sqlx::query_scalar("SELECT datname::text FROM pg_database ORDER BY 1")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

/// The cargo target directory this test was built in: the harness builds share it, so the
/// collectors of the patched worktree compile incrementally.
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_harness"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf()
}
