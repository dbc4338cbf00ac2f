//! Labor from the clone: one `repo_labor` row per file of the default branch with its language
//! and line counts (tokei's), the languages' bytes in `repos.languages`, an unchanged tree not
//! scanned again, and a changed one replacing the analysis.

use std::path::Path;
use std::process::Command;

use aveloxis_core::git_commits::{LaborCounts, scan_labor, sync_repo};
use sqlx::PgConnection;

use crate::support::*;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["-c", "user.name=A", "-c", "user.email=a@example.org"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

type LaborRow = (
    String,
    String,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
);

async fn labor(conn: &mut PgConnection, repo_id: i64) -> Vec<LaborRow> {
    sqlx::query_as(
        "SELECT file_path, file_name, programming_language, total_lines, code_lines,
                comment_lines, blank_lines
           FROM aveloxis_data.repo_labor WHERE repo_id = $1 ORDER BY file_path",
    )
    .bind(repo_id)
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn labor_counts_every_file_of_the_default_branch_once_per_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    write(
        &work,
        "src/lib.rs",
        "// A library.\n\npub fn f() {}\n/* two\n   lines */\npub fn g() {}\n",
    );
    write(&work, "Makefile", "all:\n\techo hi\n");
    write(&work, "docs/guide.md", "# Guide\n\nText.\n");
    write(&work, "data/blob.xyz", "not a language\n");
    write(&work, "script.py", "# comment\nprint(1)\n\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "one"]);
    // A branch that is not the default one is not counted.
    git(&work, &["checkout", "-q", "-b", "other"]);
    write(&work, "other.rs", "fn x() {}\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "other"]);
    git(&work, &["checkout", "-q", "main"]);

    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let url = format!("file://{}", work.display());
    let repo_id = repo_row(&mut conn, 3, &url).await;
    let bare = sync_repo(&tmp.path().join("clones"), repo_id, &url)
        .await
        .unwrap();

    let first = scan_labor(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(
        first,
        Some(LaborCounts {
            files: 5,
            counted: 4
        })
    );
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        labor(&mut conn, repo_id).await,
        vec![
            (
                "Makefile".into(),
                "Makefile".into(),
                s("Makefile"),
                Some(2),
                Some(2),
                Some(0),
                Some(0)
            ),
            (
                "data/blob.xyz".into(),
                "blob.xyz".into(),
                None,
                None,
                None,
                None,
                None
            ),
            (
                "docs/guide.md".into(),
                "guide.md".into(),
                s("Markdown"),
                Some(3),
                Some(0),
                Some(2),
                Some(1)
            ),
            (
                "script.py".into(),
                "script.py".into(),
                s("Python"),
                Some(3),
                Some(1),
                Some(1),
                Some(1)
            ),
            (
                "src/lib.rs".into(),
                "lib.rs".into(),
                s("Rust"),
                Some(6),
                Some(2),
                Some(3),
                Some(1)
            ),
        ]
    );
    let languages: serde_json::Value =
        sqlx::query_scalar("SELECT languages FROM aveloxis_data.repos WHERE repo_id = $1")
            .bind(repo_id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(languages["Rust"], serde_json::json!(62), "bytes of Rust");
    assert!(languages.get("other").is_none());

    // The same tree is not scanned again.
    assert_eq!(scan_labor(&mut conn, repo_id, &bare).await.unwrap(), None);

    // A new commit on the default branch: the analysis is replaced, with one analysis date.
    std::fs::remove_file(work.join("script.py")).unwrap();
    write(&work, "src/lib.rs", "pub fn f() {}\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "two"]);
    sync_repo(&tmp.path().join("clones"), repo_id, &url)
        .await
        .unwrap();
    let second = scan_labor(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(
        second,
        Some(LaborCounts {
            files: 4,
            counted: 3
        })
    );
    let rows = labor(&mut conn, repo_id).await;
    assert_eq!(rows.len(), 4);
    assert!(rows.contains(&(
        "src/lib.rs".into(),
        "lib.rs".into(),
        s("Rust"),
        Some(1),
        Some(1),
        Some(0),
        Some(0)
    )));
    let dates: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT rl_analysis_date) FROM aveloxis_data.repo_labor WHERE repo_id = $1",
    )
    .bind(repo_id)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(dates, 1);
}
