//! Facade (git → commits) against real git repositories and a real database.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use aveloxis_core::git_commits::{FacadeCounts, collect_commits, redact_url, sync_repo};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// git helpers (the real git binary, isolated from the user's configuration)
// ---------------------------------------------------------------------------------------------

fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0");
    c
}

fn git_out(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = git_cmd(dir).args(args).output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(git_out(dir, args))
        .unwrap()
        .trim()
        .to_string()
}

/// Commit everything in the work tree as `name <email>`.
fn commit_as(dir: &Path, name: &str, email: &str, msg: &str) {
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            &format!("user.name={name}"),
            "-c",
            &format!("user.email={email}"),
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            msg,
        ],
    );
}

const ALICE: (&str, &str) = ("Alice Example", "alice@example.com");
const BOB: (&str, &str) = ("Bob Builder", "Bob@Builders.Example.org");

fn write(dir: &Path, rel: &str, contents: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, contents).unwrap();
}

/// A work repository exercising the parser: two authors, a binary file, a rename, a file name
/// with a space and non-ASCII letters, a multi-line message, a side branch and a merge commit.
fn build_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    let lines: String = (0..40).map(|i| format!("line {i}\n")).collect();
    write(dir, "README.md", lines.as_bytes());
    write(dir, "src/lib.rs", b"pub fn f() {}\n");
    commit_as(
        dir,
        ALICE.0,
        ALICE.1,
        "Initial commit\n\nA body that spans\nseveral lines.\n\n- with a list",
    );

    write(dir, "assets/logo.bin", &[0u8, 1, 2, 3, 255, 0, 7, 0, 9]);
    write(
        dir,
        "docs/naïve café notes.txt",
        "crème brûlée\n".as_bytes(),
    );
    // Names that break line- or arrow-based parsing of numstat.
    write(dir, "odd => name\twith tab.txt", b"t\n");
    write(dir, "new\nline.txt", b"n\n");
    commit_as(dir, BOB.0, BOB.1, "Add a binary and a unicode file");

    // A rename with a small edit (still similar enough for -M).
    git(dir, &["mv", "README.md", "GUIDE.md"]);
    let mut edited = lines;
    edited.push_str("one more line\n");
    write(dir, "GUIDE.md", edited.as_bytes());
    commit_as(dir, ALICE.0, ALICE.1, "Rename README to GUIDE");

    git(dir, &["checkout", "-q", "-b", "side", "HEAD~1"]);
    write(dir, "side.txt", b"side\n");
    commit_as(dir, BOB.0, BOB.1, "Side work");
    git(dir, &["checkout", "-q", "main"]);
    write(dir, "src/lib.rs", b"pub fn f() {}\npub fn g() {}\n");
    commit_as(dir, ALICE.0, ALICE.1, "More code");
    git(
        dir,
        &[
            "-c",
            &format!("user.name={}", ALICE.0),
            "-c",
            &format!("user.email={}", ALICE.1),
            "merge",
            "-q",
            "--no-ff",
            "--no-edit",
            "side",
        ],
    );
    commit_as(dir, BOB.0, BOB.1, "An empty commit");
    git(dir, &["tag", "v1"]);
}

fn rev_count(bare: &Path) -> u64 {
    git(bare, &["rev-list", "--all", "--count"])
        .parse()
        .unwrap()
}

/// Per commit (by hash) the files git reports for it with rename detection (`[""]` for none),
/// and the number of parent links.
fn git_truth(bare: &Path) -> (BTreeMap<String, BTreeSet<String>>, u64) {
    let listing = git(bare, &["rev-list", "--all", "--parents"]);
    let mut files = BTreeMap::new();
    let mut parents = 0u64;
    for line in listing.lines() {
        let mut parts = line.split_whitespace();
        let hash = parts.next().unwrap().to_string();
        parents += parts.count() as u64;
        let raw = git_out(
            bare,
            &[
                "diff-tree",
                "--root",
                "--no-commit-id",
                "--name-only",
                "-r",
                "-M",
                "-z",
                &hash,
            ],
        );
        let mut set: BTreeSet<String> = raw
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8(s.to_vec()).unwrap())
            .collect();
        if set.is_empty() {
            set.insert(String::new());
        }
        files.insert(hash, set);
    }
    (files, parents)
}

async fn db_files(conn: &mut PgConnection, repo_id: i64) -> BTreeMap<String, BTreeSet<String>> {
    let rows = sqlx::query(
        "SELECT cmt_commit_hash, cmt_filename FROM aveloxis_data.commits WHERE repo_id = $1",
    )
    .bind(repo_id)
    .fetch_all(conn)
    .await
    .unwrap();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().insert(r.get(1));
    }
    out
}

async fn count(conn: &mut PgConnection, table: &str, repo_id: i64) -> i64 {
    let sql = match table {
        "commits" => "SELECT count(*) FROM aveloxis_data.commits WHERE repo_id = $1",
        "commit_messages" => {
            "SELECT count(*) FROM aveloxis_data.commit_messages WHERE repo_id = $1"
        }
        "commit_parents" => "SELECT count(*) FROM aveloxis_data.commit_parents WHERE repo_id = $1",
        other => panic!("no count for {other}"),
    };
    sqlx::query_scalar(sql)
        .bind(repo_id)
        .fetch_one(conn)
        .await
        .unwrap()
}

async fn add_repo(conn: &mut PgConnection, git_url: &str) -> i64 {
    repo_row(conn, 3, git_url).await
}

/// Everything the database holds for a repository must match git exactly.
async fn assert_matches_git(
    conn: &mut PgConnection,
    repo_id: i64,
    bare: &Path,
    counts: &FacadeCounts,
) {
    let (truth, parents) = git_truth(bare);
    let commits = rev_count(bare);
    let rows: u64 = truth.values().map(|s| s.len() as u64).sum();
    assert_eq!(truth.len() as u64, commits);
    assert_eq!(
        counts,
        &FacadeCounts {
            commits,
            commit_file_rows: rows,
            parents,
            messages: commits,
            removed: counts.removed,
        }
    );
    assert_eq!(db_files(conn, repo_id).await, truth);
    assert_eq!(count(conn, "commits", repo_id).await as u64, rows);
    assert_eq!(
        count(conn, "commit_messages", repo_id).await as u64,
        commits
    );
    assert_eq!(count(conn, "commit_parents", repo_id).await as u64, parents);
    // Every parent link points at the first row of both commits.
    let dangling: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_data.commit_parents
          WHERE repo_id = $1 AND (cmt_id IS NULL OR parent_id IS NULL)",
    )
    .bind(repo_id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(dangling, 0);
}

/// A work repository plus its root for clones.
struct Fixture {
    tmp: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("work")).unwrap();
        build_repo(&tmp.path().join("work"));
        Self { tmp }
    }
    fn work(&self) -> PathBuf {
        self.tmp.path().join("work")
    }
    fn url(&self) -> String {
        format!("file://{}", self.work().display())
    }
    fn clones(&self) -> PathBuf {
        self.tmp.path().join("clones")
    }
}

// ---------------------------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn facade_writes_one_row_per_file_and_reruns_change_nothing() {
    let fx = Fixture::new();
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = add_repo(&mut conn, &fx.url()).await;

    // Bob's e-mail (in another case) already belongs to a contributor with a forge identity.
    let bob_id = Uuid::parse_str("01000000-2a00-0000-0000-000000000000").unwrap();
    sqlx::query(
        "INSERT INTO aveloxis_data.contributors (cntrb_id, cntrb_login, cntrb_email, gh_user_id)
         VALUES ($1, 'bob', 'bob@builders.example.org', 42)",
    )
    .bind(bob_id)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO aveloxis_data.contributor_affiliations (ca_domain, ca_affiliation)
         VALUES ('example.org', 'Example Foundation')",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let bare = sync_repo(&fx.clones(), repo_id, &fx.url()).await.unwrap();
    assert_eq!(bare, fx.clones().join(format!("{repo_id}.git")));
    assert_eq!(git(&bare, &["rev-parse", "--is-bare-repository"]), "true");
    assert_eq!(rev_count(&bare), 7);

    let first = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_matches_git(&mut conn, repo_id, &bare, &first).await;

    // Spot checks of the tricky rows.
    let stats: BTreeMap<String, (i32, i32)> = sqlx::query(
        "SELECT cmt_filename, cmt_added, cmt_removed FROM aveloxis_data.commits
          WHERE repo_id = $1",
    )
    .bind(repo_id)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .filter(|r| {
        let f: String = r.get(0);
        ["assets/logo.bin", "GUIDE.md", "docs/naïve café notes.txt"].contains(&f.as_str())
    })
    .map(|r| (r.get(0), (r.get(1), r.get(2))))
    .collect();
    assert_eq!(
        stats["assets/logo.bin"],
        (0, 0),
        "binary file counts as 0/0"
    );
    assert_eq!(stats["GUIDE.md"], (1, 0), "rename keeps only the edit");
    assert_eq!(stats["docs/naïve café notes.txt"], (1, 0));
    let merge = git(&bare, &["rev-list", "--merges", "--all"]);
    let merge_rows: Vec<String> = sqlx::query_scalar(
        "SELECT cmt_filename FROM aveloxis_data.commits WHERE repo_id = $1 AND cmt_commit_hash = $2",
    )
    .bind(repo_id)
    .bind(&merge)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(merge_rows, vec![String::new()]);
    let merge_parents: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_data.commit_parents WHERE repo_id = $1 AND cmt_commit_hash = $2",
    )
    .bind(repo_id)
    .bind(&merge)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(merge_parents, 2);

    // The multi-line message survives intact.
    let root = git(&bare, &["rev-list", "--max-parents=0", "--all"]);
    let msg: String = sqlx::query_scalar(
        "SELECT cmt_msg FROM aveloxis_data.commit_messages WHERE repo_id = $1 AND cmt_hash = $2",
    )
    .bind(repo_id)
    .bind(&root)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        msg,
        "Initial commit\n\nA body that spans\nseveral lines.\n\n- with a list"
    );

    // Identities, dates and affiliations.
    let row = sqlx::query(
        "SELECT cmt_author_name, cmt_author_raw_email, cmt_author_email, cmt_author_date,
                cmt_author_affiliation, cmt_committer_affiliation,
                cmt_author_timestamp IS NOT NULL AND cmt_committer_timestamp IS NOT NULL
           FROM aveloxis_data.commits WHERE repo_id = $1 AND cmt_commit_hash = $2",
    )
    .bind(repo_id)
    .bind(&root)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>(0), ALICE.0);
    assert_eq!(row.get::<String, _>(1), ALICE.1);
    assert_eq!(row.get::<String, _>(2), ALICE.1);
    let author_date: String = row.get(3);
    assert_eq!(
        author_date,
        git(&bare, &["log", "-1", "--format=%ad", "--date=short", &root])
    );
    assert_eq!(
        row.get::<Option<String>, _>(4).as_deref(),
        Some("example.com")
    );
    assert_eq!(
        row.get::<Option<String>, _>(5).as_deref(),
        Some("example.com")
    );
    assert!(row.get::<bool, _>(6));
    let epoch: i64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM cmt_author_timestamp)::bigint FROM aveloxis_data.commits
          WHERE repo_id = $1 AND cmt_commit_hash = $2",
    )
    .bind(repo_id)
    .bind(&root)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        epoch.to_string(),
        git(&bare, &["log", "-1", "--format=%at", &root])
    );
    let bob_aff: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT DISTINCT cmt_author_affiliation FROM aveloxis_data.commits
          WHERE repo_id = $1 AND cmt_author_raw_email = $2",
    )
    .bind(repo_id)
    .bind(BOB.1)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(bob_aff, vec![Some("Example Foundation".to_string())]);

    // Authors → contributors: Bob resolves to the existing row, Alice gets a new one with an
    // alias recording her e-mail.
    let ids = author_ids(&mut conn, repo_id).await;
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[BOB.1], bob_id);
    let alice_id = ids[ALICE.1];
    assert_ne!(alice_id, bob_id);
    assert_eq!(alice_id.get_version_num(), 4);
    let alias: Uuid = sqlx::query_scalar(
        "SELECT cntrb_id FROM aveloxis_data.contributors_aliases WHERE alias_email = $1",
    )
    .bind(ALICE.1)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(alias, alice_id);
    let (alice_email, alice_name): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT cntrb_email, cntrb_full_name FROM aveloxis_data.contributors WHERE cntrb_id = $1",
    )
    .bind(alice_id)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(alice_email.as_deref(), Some(ALICE.1));
    assert_eq!(alice_name.as_deref(), Some(ALICE.0));
    let contributors_before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.contributors")
            .fetch_one(&mut conn)
            .await
            .unwrap();

    // Idempotent: the same counts, the same rows, the same contributor ids, no new people.
    let before = snapshot(&mut conn, repo_id).await;
    let again = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(again, first);
    assert_matches_git(&mut conn, repo_id, &bare, &again).await;
    assert_eq!(snapshot(&mut conn, repo_id).await, before);
    assert_eq!(author_ids(&mut conn, repo_id).await, ids);
    let contributors_after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.contributors")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(contributors_after, contributors_before);

    // A second repository with the same author reuses her contributor id.
    let work2 = fx.tmp.path().join("work2");
    std::fs::create_dir(&work2).unwrap();
    git(&work2, &["init", "-q", "-b", "main"]);
    write(&work2, "x.txt", b"x\n");
    commit_as(&work2, "Alice E.", "ALICE@example.com", "other repo");
    let url2 = format!("file://{}", work2.display());
    let repo2 = add_repo(&mut conn, &url2).await;
    let bare2 = sync_repo(&fx.clones(), repo2, &url2).await.unwrap();
    collect_commits(&mut conn, repo2, &bare2).await.unwrap();
    let ids2 = author_ids(&mut conn, repo2).await;
    assert_eq!(ids2["ALICE@example.com"], alice_id);
}

/// The commits rows of a repository as one string (ids, keys, counts and contributor ids).
async fn snapshot(conn: &mut PgConnection, repo_id: i64) -> String {
    sqlx::query_scalar(
        "SELECT string_agg(cmt_id || ':' || cmt_commit_hash || ':' || cmt_filename || ':' ||
                           cmt_added || ':' || cmt_removed || ':' ||
                           coalesce(cmt_ght_author_id::text, '-'), ',' ORDER BY cmt_id)
           FROM aveloxis_data.commits WHERE repo_id = $1",
    )
    .bind(repo_id)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// Raw author e-mail → contributor id over a repository's commits (one id per e-mail).
async fn author_ids(conn: &mut PgConnection, repo_id: i64) -> BTreeMap<String, Uuid> {
    let rows: Vec<(String, Option<Uuid>)> = sqlx::query_as(
        "SELECT DISTINCT cmt_author_raw_email, cmt_ght_author_id FROM aveloxis_data.commits
          WHERE repo_id = $1",
    )
    .bind(repo_id)
    .fetch_all(conn)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for (email, id) in rows {
        let id = id.unwrap_or_else(|| panic!("{email} has no contributor"));
        assert!(
            out.insert(email.clone(), id).is_none(),
            "{email} has two ids"
        );
    }
    out
}

#[tokio::test]
async fn facade_fetch_picks_up_new_commits_and_broken_clones_are_recloned() {
    let fx = Fixture::new();
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = add_repo(&mut conn, &fx.url()).await;

    let bare = sync_repo(&fx.clones(), repo_id, &fx.url()).await.unwrap();
    let first = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_matches_git(&mut conn, repo_id, &bare, &first).await;

    // Upstream gains a commit touching two files (one of them new) on a new branch.
    git(&fx.work(), &["checkout", "-q", "-b", "feature"]);
    write(&fx.work(), "feature/a b.txt", b"a\nb\n");
    write(&fx.work(), "side.txt", b"side\nchanged\n");
    commit_as(&fx.work(), ALICE.0, ALICE.1, "Feature");
    let marker = bare.join("marker");
    std::fs::write(&marker, b"same clone").unwrap();
    let again = sync_repo(&fx.clones(), repo_id, &fx.url()).await.unwrap();
    assert_eq!(again, bare);
    assert!(
        marker.exists(),
        "an existing clone is fetched, not re-cloned"
    );
    assert_eq!(rev_count(&bare), first.commits + 1);
    let second = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(
        second,
        FacadeCounts {
            commits: first.commits + 1,
            commit_file_rows: first.commit_file_rows + 2,
            parents: first.parents + 1,
            messages: first.messages + 1,
            removed: 0,
        }
    );
    assert_matches_git(&mut conn, repo_id, &bare, &second).await;

    // A deleted upstream branch disappears from the clone, and the commit only it reached
    // from the tables (a fresh collection would never see it).
    git(&fx.work(), &["checkout", "-q", "main"]);
    git(&fx.work(), &["branch", "-q", "-D", "feature"]);
    sync_repo(&fx.clones(), repo_id, &fx.url()).await.unwrap();
    assert_eq!(rev_count(&bare), first.commits);

    // Garbage where the clone should be: fetch fails, the directory is replaced by a clone.
    std::fs::remove_dir_all(&bare).unwrap();
    std::fs::create_dir_all(bare.join("objects")).unwrap();
    std::fs::write(bare.join("HEAD"), b"this is not a ref\n").unwrap();
    std::fs::write(bare.join("junk"), b"junk").unwrap();
    let healed = sync_repo(&fx.clones(), repo_id, &fx.url()).await.unwrap();
    assert_eq!(healed, bare);
    assert!(!bare.join("junk").exists());
    assert_eq!(rev_count(&bare), first.commits);
    let third = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(
        third,
        FacadeCounts {
            removed: 1,
            ..first.clone()
        }
    );
    assert_matches_git(&mut conn, repo_id, &bare, &third).await;

    // A plain file in its place is handled the same way.
    std::fs::remove_dir_all(&bare).unwrap();
    std::fs::write(&bare, b"not a directory").unwrap();
    sync_repo(&fx.clones(), repo_id, &fx.url()).await.unwrap();
    assert_eq!(rev_count(&bare), first.commits);

    // So is a work tree (not bare) that happens to sit there.
    std::fs::remove_dir_all(&bare).unwrap();
    std::fs::create_dir(&bare).unwrap();
    git(&bare, &["init", "-q"]);
    sync_repo(&fx.clones(), repo_id, &fx.url()).await.unwrap();
    assert_eq!(git(&bare, &["rev-parse", "--is-bare-repository"]), "true");
    assert_eq!(rev_count(&bare), first.commits);
}

/// Patches counted by the repository aggregates of the database.
async fn patches(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar("SELECT coalesce(sum(patches), 0)::bigint FROM aveloxis_data.dm_repo_annual")
        .fetch_one(conn)
        .await
        .unwrap()
}

/// A force-push drops the tip of a branch: the dropped commits leave `commits`,
/// `commit_messages`, `commit_parents` and the repository's aggregates, so the tables equal
/// a fresh collection of the rewritten history.
#[tokio::test]
async fn a_force_push_removes_the_commits_it_dropped_everywhere() {
    let fx = Fixture::new();
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = add_repo(&mut conn, &fx.url()).await;
    let bare = sync_repo(&fx.clones(), repo_id, &fx.url()).await.unwrap();
    let first = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    aveloxis_core::aggregates::refresh_repo(&mut conn, repo_id)
        .await
        .unwrap();
    let dropped = git(&fx.work(), &["rev-parse", "HEAD"]);

    // Rewrite main: drop its tip (and the tag on it), commit something else in its place.
    git(&fx.work(), &["tag", "-d", "v1"]);
    git(&fx.work(), &["reset", "-q", "--hard", "HEAD~1"]);
    write(&fx.work(), "rewritten.txt", b"new\n");
    commit_as(&fx.work(), ALICE.0, ALICE.1, "Rewritten");
    sync_repo(&fx.clones(), repo_id, &fx.url()).await.unwrap();
    let after = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(after.removed, 1);
    assert_eq!(after.commits, first.commits);
    assert_matches_git(&mut conn, repo_id, &bare, &after).await;
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM aveloxis_data.commits WHERE cmt_commit_hash = $1)
              + (SELECT count(*) FROM aveloxis_data.commit_messages WHERE cmt_hash = $1)
              + (SELECT count(*) FROM aveloxis_data.commit_parents
                  WHERE cmt_commit_hash = $1 OR parent_commit_hash = $1)",
    )
    .bind(&dropped)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(left, 0, "{dropped} is gone from every commit table");

    // The aggregates count what a fresh collection of the rewritten history counts.
    aveloxis_core::aggregates::refresh_repo(&mut conn, repo_id)
        .await
        .unwrap();
    let moved = patches(&mut conn).await;
    let fresh_db = migrated_db().await;
    let mut fresh = fresh_db.connect().await;
    let fresh_id = add_repo(&mut fresh, &fx.url()).await;
    let fresh_bare = sync_repo(&fx.tmp.path().join("fresh"), fresh_id, &fx.url())
        .await
        .unwrap();
    collect_commits(&mut fresh, fresh_id, &fresh_bare)
        .await
        .unwrap();
    aveloxis_core::aggregates::refresh_repo(&mut fresh, fresh_id)
        .await
        .unwrap();
    assert_eq!(moved, patches(&mut fresh).await);
}

#[tokio::test]
async fn facade_errors_name_the_url_without_its_secret() {
    let tmp = tempfile::tempdir().unwrap();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let url = "https://user:secret@127.0.0.1:9/org/repo.git";
    let err = sync_repo(tmp.path(), 7, url).await.unwrap_err();
    let text = format!("{err:#} {err:?}");
    assert!(!text.contains("user:secret"), "{text}");
    assert!(text.contains("127.0.0.1:9/org/repo.git"), "{text}");
    assert!(!tmp.path().join("7.git").exists());
    assert_eq!(redact_url(url), "https://***@127.0.0.1:9/org/repo.git");

    // A token used as the user name, and a broken existing clone that must be re-cloned.
    let url = "https://ghp_0123456789abcdef@127.0.0.1:9/org/repo.git";
    std::fs::create_dir_all(tmp.path().join("8.git")).unwrap();
    let err = sync_repo(tmp.path(), 8, url).await.unwrap_err();
    let text = format!("{err:#} {err:?}");
    assert!(!text.contains("ghp_0123456789abcdef"), "{text}");
    assert!(text.contains("127.0.0.1:9"), "{text}");

    // A path that does not exist.
    let missing = tmp.path().join("nope");
    let err = sync_repo(&tmp.path().join("c"), 9, missing.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("nope"), "{err:#}");
}

#[tokio::test]
async fn facade_sanitises_invalid_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("latin1");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    // Latin-1 bytes in the author name, the message and a file name, without an encoding
    // header (`git commit` would re-encode them; fast-import stores bytes as given).
    let msg: &[u8] = b"Caf\xe9 au lait\n\nna\xefve body\n";
    let mut stream: Vec<u8> = Vec::new();
    stream.extend_from_slice(b"commit refs/heads/main\n");
    stream.extend_from_slice(b"author Jos\xe9 Latin <jose@latin.example> 1700000000 +0000\n");
    stream.extend_from_slice(b"committer Jos\xe9 Latin <jose@latin.example> 1700000000 +0000\n");
    stream.extend_from_slice(format!("data {}\n", msg.len()).as_bytes());
    stream.extend_from_slice(msg);
    for path in [&b"caf\xc3\xa9.txt"[..], b"l\xe4tin.txt", b"x.txt"] {
        stream.extend_from_slice(b"M 100644 inline \"");
        stream.extend_from_slice(path);
        stream.extend_from_slice(b"\"\ndata 2\nx\n");
    }
    let mut child = git_cmd(&work)
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&stream).unwrap();
    }
    assert!(child.wait().unwrap().success());

    let url = format!("file://{}", work.display());
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = add_repo(&mut conn, &url).await;
    let bare = sync_repo(&tmp.path().join("clones"), repo_id, &url)
        .await
        .unwrap();
    let counts = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(counts.commits, 1);
    assert_eq!(counts.commit_file_rows, 3);
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT cmt_author_name, cmt_filename FROM aveloxis_data.commits
          WHERE repo_id = $1 ORDER BY cmt_filename",
    )
    .bind(repo_id)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows[0].0, "Jos\u{fffd} Latin");
    let files: Vec<&str> = rows.iter().map(|(_, f)| f.as_str()).collect();
    assert_eq!(files, vec!["café.txt", "l\u{fffd}tin.txt", "x.txt"]);
    let msg: String =
        sqlx::query_scalar("SELECT cmt_msg FROM aveloxis_data.commit_messages WHERE repo_id = $1")
            .bind(repo_id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(msg, "Caf\u{fffd} au lait\n\nna\u{fffd}ve body");
    let again = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(again, counts);
}

#[tokio::test]
async fn facade_handles_an_empty_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("empty");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    let url = format!("file://{}", work.display());
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = add_repo(&mut conn, &url).await;
    let bare = sync_repo(&tmp.path().join("clones"), repo_id, &url)
        .await
        .unwrap();
    let counts = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(counts, FacadeCounts::default());
    assert_eq!(count(&mut conn, "commits", repo_id).await, 0);
    // Fetching an empty repository works too.
    sync_repo(&tmp.path().join("clones"), repo_id, &url)
        .await
        .unwrap();
    // collect_commits on something that is not a repository fails.
    assert!(
        collect_commits(&mut conn, repo_id, &tmp.path().join("nothing"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn facade_matches_the_mock_forge_ground_truth() {
    use aveloxis_mock_forge::{MockForge, Preset, Scenario};
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let truth = forge.ground_truth();
    let expected = truth.repo("mock-org/tiny").unwrap().commits as u64;
    let url = forge.git_clone_url("mock-org", "tiny");
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = add_repo(&mut conn, &url).await;
    let tmp = tempfile::tempdir().unwrap();
    let bare = sync_repo(tmp.path(), repo_id, &url).await.unwrap();
    let counts = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(counts.commits, expected);
    let distinct: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT cmt_commit_hash) FROM aveloxis_data.commits WHERE repo_id = $1",
    )
    .bind(repo_id)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(distinct as u64, expected);
    assert_matches_git(&mut conn, repo_id, &bare, &counts).await;
    // A second sync fetches over the same (dumb HTTP) transport.
    sync_repo(tmp.path(), repo_id, &url).await.unwrap();
    assert_eq!(
        collect_commits(&mut conn, repo_id, &bare).await.unwrap(),
        counts
    );
}

/// Throughput on a generated history of a few thousand commits, against `git log --numstat`
/// alone on the same clone. Prints both; asserts exact counts.
#[tokio::test]
async fn facade_throughput_on_a_generated_history() {
    const COMMITS: usize = 3000;
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("big");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    // Build the history with fast-import: COMMITS commits, each touching 1-3 files, from 25
    // authors.
    let mut stream = String::new();
    for i in 0..COMMITS {
        let author = i % 25;
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{m}\nauthor Dev {author} <dev{author}@corp{d}.example> {t} +0000\n\
             committer Dev {author} <dev{author}@corp{d}.example> {t} +0000\ndata <<EOM\nchange {i}\n\nbody\nEOM\n",
            m = i + 1,
            d = author % 3,
            t = 1_600_000_000 + i * 60,
        ));
        if i > 0 {
            stream.push_str(&format!("from :{i}\n"));
        }
        for k in 0..(1 + i % 3) {
            let body = format!("file {k} version {i}\n{}", "x\n".repeat(i % 7));
            stream.push_str(&format!(
                "M 100644 inline dir{}/file{}.txt\ndata {}\n{}\n",
                (i + k) % 10,
                (i * 7 + k) % 50,
                body.len(),
                body
            ));
        }
    }
    let mut child = git_cmd(&work)
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stream.as_bytes())
            .unwrap();
    }
    assert!(child.wait().unwrap().success());

    let url = format!("file://{}", work.display());
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = add_repo(&mut conn, &url).await;
    let bare = sync_repo(&tmp.path().join("clones"), repo_id, &url)
        .await
        .unwrap();
    assert_eq!(rev_count(&bare), COMMITS as u64);

    let t = Instant::now();
    let raw = git_out(&bare, &["log", "--all", "--numstat", "--format=%H"]);
    let git_secs = t.elapsed().as_secs_f64();
    assert!(!raw.is_empty());

    let t = Instant::now();
    let counts = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    let facade_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let again = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    let rerun_secs = t.elapsed().as_secs_f64();
    assert_eq!(again, counts);
    assert_eq!(counts.commits, COMMITS as u64);
    assert_eq!(
        count(&mut conn, "commits", repo_id).await as u64,
        counts.commit_file_rows
    );
    assert_eq!(
        count(&mut conn, "commit_parents", repo_id).await as u64,
        COMMITS as u64 - 1
    );
    let (truth, _) = git_truth(&bare);
    let rows: u64 = truth.values().map(|s| s.len() as u64).sum();
    assert_eq!(counts.commit_file_rows, rows);
    println!(
        "facade throughput: {} commits, {} commit rows; git log --numstat alone {:.3}s; \
         collect_commits {:.3}s ({:.0} rows/s); rerun {:.3}s ({:.0} rows/s)",
        counts.commits,
        counts.commit_file_rows,
        git_secs,
        facade_secs,
        counts.commit_file_rows as f64 / facade_secs,
        rerun_secs,
        counts.commit_file_rows as f64 / rerun_secs,
    );
}
