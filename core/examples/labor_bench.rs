//! Labor-scan benchmark: `scan_labor` over a generated default branch of N files (default
//! 10,000: Rust, Python, JavaScript, Markdown and unknown-language files of 20–200 lines), next
//! to the baseline from the same run — `git ls-tree -r` plus `git cat-file --batch` reading the
//! same blobs and nothing else (the cost of getting the bytes out of the clone).
//!
//! `cargo run --release -p aveloxis-core --example labor_bench [FILES] [ROUNDS]`

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use aveloxis_migrations::{Options, Plan};
use aveloxis_pg::{Cluster, Provisioner};
use sqlx::Connection;

/// A bare repository whose `main` holds `files` generated files, made by one `git fast-import`.
fn make_repo(bare: &Path, files: usize) -> anyhow::Result<()> {
    let st = Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(bare)
        .status()?;
    anyhow::ensure!(st.success(), "git init");
    let mut child = Command::new("git")
        .arg("--git-dir")
        .arg(bare)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()?;
    let mut w = std::io::BufWriter::new(child.stdin.take().unwrap());
    let kinds = [
        (
            "rs",
            "// a comment\nfn f() -> u32 {\n    /* inline */ 1\n}\n\n",
        ),
        ("py", "# a comment\ndef f():\n    return 1\n\n"),
        ("js", "// a comment\nfunction f() {\n  return 1;\n}\n\n"),
        ("md", "# Title\n\nSome text, and more.\n\n"),
        ("dat", "raw data 0123456789\n"),
    ];
    for i in 0..files {
        let (_, unit) = kinds[i % kinds.len()];
        let body = unit.repeat(5 + i % 40);
        writeln!(w, "blob\nmark :{}\ndata {}", i + 1, body.len())?;
        w.write_all(body.as_bytes())?;
        writeln!(w)?;
    }
    writeln!(
        w,
        "commit refs/heads/main\ncommitter B <b@example.org> 1700000000 +0000\ndata 5\nbench"
    )?;
    for i in 0..files {
        let (ext, _) = kinds[i % kinds.len()];
        writeln!(w, "M 100644 :{} dir{}/file{i}.{ext}", i + 1, i % 100)?;
    }
    writeln!(w)?;
    w.flush()?;
    drop(w);
    anyhow::ensure!(child.wait()?.success(), "git fast-import");
    Ok(())
}

/// The baseline: list the tree and read every blob through `git cat-file --batch`.
fn read_blobs(bare: &Path) -> anyhow::Result<usize> {
    let listing = Command::new("git")
        .arg("--git-dir")
        .arg(bare)
        .args(["ls-tree", "-r", "-z", "--long", "HEAD"])
        .output()?;
    let ids: String = listing
        .stdout
        .split(|b| *b == 0)
        .filter_map(|r| std::str::from_utf8(r).ok()?.split_whitespace().nth(2))
        .map(|id| format!("{id}\n"))
        .collect();
    let mut child = Command::new("git")
        .arg("--git-dir")
        .arg(bare)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(ids.as_bytes()));
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut out)?;
    feeder.join().unwrap()?;
    child.wait()?;
    Ok(out.len())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let files: usize = std::env::args().nth(1).map_or(Ok(10_000), |s| s.parse())?;
    let rounds: usize = std::env::args().nth(2).map_or(Ok(3), |s| s.parse())?;
    let tmp = tempfile::tempdir()?;
    let bare = tmp.path().join("r.git");
    make_repo(&bare, files)?;

    let cluster = Cluster::start()?;
    cluster.create_database("bench", None).await?;
    let mut conn = sqlx::PgConnection::connect(&cluster.url("bench")).await?;
    let opts = Options {
        skip_views: true,
        ..Options::default()
    };
    aveloxis_migrations::run(&mut conn, &Plan::embedded(), &opts).await?;
    let repo_id: i64 = sqlx::query_scalar(
        "WITH g AS (INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type) VALUES ('bench', '')
                    RETURNING repo_group_id)
         INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_group_id)
         SELECT 3, 'file:///bench', repo_group_id FROM g RETURNING repo_id",
    )
    .fetch_one(&mut conn)
    .await?;

    let (mut scan, mut base) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        bytes = read_blobs(&bare)?;
        base.push(t.elapsed().as_secs_f64());
        sqlx::query("DELETE FROM aveloxis_ops.labor_scans")
            .execute(&mut conn)
            .await?;
        let t = Instant::now();
        let c = aveloxis_core::git_commits::scan_labor(&mut conn, repo_id, &bare)
            .await?
            .expect("a scan");
        scan.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(c.files as usize == files, "{c:?}");
    }
    let (s, b) = (median(scan), median(base));
    println!(
        "files: {files} ({} MiB of blobs), median of {rounds}",
        bytes >> 20
    );
    println!("baseline: git ls-tree + cat-file --batch of the same blobs: {b:.3} s");
    println!(
        "scan_labor (read, count with tokei, write repo_labor): {s:.3} s = {:.3} s per 10k files ({:.1}x the baseline)",
        s * 10_000.0 / files as f64,
        s / b
    );
    Ok(())
}
