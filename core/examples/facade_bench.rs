//! Facade benchmark: commits/s of `git_commits::collect_commits` (run `git log`, parse it,
//! write `commits` (one row per file), `commit_parents`, `commit_messages` and the authors)
//! over a generated clone, next to the same `git log --all --numstat` command alone on the
//! same clone (read to the end, nothing parsed), in the same run.
//!
//! `cargo run --release -p aveloxis-core --example facade_bench [COMMITS] [ROUNDS]`
//! (default 20,000 commits — the size of the mock's `large` preset — and 3 rounds; medians)
//!
//! The clone is made by one `git fast-import`: a linear history of COMMITS commits by 400
//! authors, each changing 1–5 of 2,000 files. Every round writes into a fresh database cloned
//! from a migrated template, so each does the same work; the rows written are checked against
//! the history (commits, one row per changed file, one parent per commit but the first).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use aveloxis_migrations::{Options, Plan};
use aveloxis_pg::{Cluster, Provisioner};
use sqlx::Connection;

/// The facade's own `git log` arguments (`git_commits::log_command`).
const LOG_ARGS: &[&str] = &[
    "-c",
    "core.quotePath=false",
    "-c",
    "log.showSignature=false",
    "log",
    "--all",
    "--topo-order",
    "--reverse",
    "-z",
    "--numstat",
    "-M",
    "--diff-merges=off",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-mailmap",
    "--encoding=UTF-8",
    "--format=tformat:%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B",
];

/// A bare repository of `commits` commits; returns the file changes written (rows expected).
fn make_repo(bare: &Path, commits: usize) -> anyhow::Result<u64> {
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
    let mut changes = 0u64;
    for i in 0..commits {
        let a = i * 7919 % 400;
        let msg = format!(
            "Change {i}: adjust the handling of case {}\n\nDetails.\n",
            i % 97
        );
        writeln!(
            w,
            "commit refs/heads/main\nauthor Author {a} <author{a}@example.org> {} +0100\n\
             committer Author {a} <author{a}@example.org> {} +0100\ndata {}\n{msg}",
            1_600_000_000 + i * 60,
            1_600_000_000 + i * 60,
            msg.len()
        )?;
        let files = 1 + i % 5;
        for f in 0..files {
            let path = format!(
                "src/dir{}/file{}.rs",
                (i + f) % 50,
                (i * 31 + f * 17) % 2000
            );
            let body = format!("// {i} {f}\nfn f{i}() -> u32 {{ {f} }}\n");
            writeln!(w, "M 100644 inline {path}\ndata {}\n{body}", body.len())?;
        }
        // Paths may repeat within a commit: count what the tree records.
        let distinct: std::collections::HashSet<_> = (0..files)
            .map(|f| ((i + f) % 50, (i * 31 + f * 17) % 2000))
            .collect();
        changes += distinct.len() as u64;
        writeln!(w)?;
    }
    w.flush()?;
    drop(w);
    anyhow::ensure!(child.wait()?.success(), "git fast-import");
    Ok(changes)
}

/// The baseline: the facade's `git log`, read to the end. Returns (bytes, commits).
fn git_log(bare: &Path) -> anyhow::Result<(usize, usize)> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(bare)
        .args(LOG_ARGS)
        .output()?;
    anyhow::ensure!(out.status.success(), "git log");
    let commits = out.stdout.iter().filter(|b| **b == 0x1e).count();
    Ok((out.stdout.len(), commits))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn facade_round(
    cluster: &Cluster,
    db: &str,
    bare: &Path,
) -> anyhow::Result<(f64, aveloxis_core::git_commits::FacadeCounts, [i64; 3])> {
    cluster.create_database(db, Some("tmpl")).await?;
    let mut conn = sqlx::PgConnection::connect(&cluster.url(db)).await?;
    let repo_id: i64 = sqlx::query_scalar(
        "WITH g AS (INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type) VALUES ('bench', '')
                    RETURNING repo_group_id)
         INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_group_id)
         SELECT 3, 'file:///bench', repo_group_id FROM g RETURNING repo_id",
    )
    .fetch_one(&mut conn)
    .await?;
    let t = Instant::now();
    let c = aveloxis_core::git_commits::collect_commits(&mut conn, repo_id, bare).await?;
    let secs = t.elapsed().as_secs_f64();
    let rows: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM aveloxis_data.commits),
                (SELECT count(*) FROM aveloxis_data.commit_parents),
                (SELECT count(DISTINCT cmt_commit_hash) FROM aveloxis_data.commits)",
    )
    .fetch_one(&mut conn)
    .await?;
    Ok((secs, c, [rows.0, rows.1, rows.2]))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let commits: usize = std::env::args().nth(1).map_or(Ok(20_000), |s| s.parse())?;
    let rounds: usize = std::env::args().nth(2).map_or(Ok(3), |s| s.parse())?;
    let tmp = tempfile::tempdir()?;
    let bare = tmp.path().join("r.git");
    let changes = make_repo(&bare, commits)?;

    let cluster = Cluster::start()?;
    cluster.create_database("tmpl", None).await?;
    {
        let mut conn = sqlx::PgConnection::connect(&cluster.url("tmpl")).await?;
        let opts = Options {
            skip_views: true,
            ..Options::default()
        };
        aveloxis_migrations::run(&mut conn, &Plan::embedded(), &opts).await?;
    }
    let (mut ours, mut base, mut bytes) = (Vec::new(), Vec::new(), 0);
    for r in 0..rounds {
        let t = Instant::now();
        let (b, seen) = git_log(&bare)?;
        base.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(
            seen == commits,
            "git log printed {seen} commits of {commits}"
        );
        bytes = b;
        let (secs, c, [rows, parents, distinct]) =
            facade_round(&cluster, &format!("r{r}"), &bare).await?;
        ours.push(secs);
        anyhow::ensure!(
            c.commits as usize == commits && distinct as usize == commits,
            "facade saw {} commits, wrote {distinct}, history has {commits}",
            c.commits
        );
        anyhow::ensure!(
            rows as u64 == changes && c.commit_file_rows == changes,
            "facade wrote {rows} commit rows ({} counted), history has {changes} changes",
            c.commit_file_rows
        );
        anyhow::ensure!(parents as usize == commits - 1, "{parents} parent rows");
        println!("round {r}: git log {:.3} s, facade {secs:.3} s", base[r]);
    }
    let (o, b) = (median(ours), median(base));
    println!(
        "{commits} commits, {changes} file changes ({} KiB of git log output), median of {rounds}",
        bytes >> 10
    );
    println!(
        "  git log --numstat alone (baseline): {b:.3} s, {:.0} commits/s",
        commits as f64 / b
    );
    println!(
        "  facade (parse + write): {o:.3} s, {:.0} commits/s",
        commits as f64 / o
    );
    println!("  ratio: {:.2}x git log (goal >= 0.5x)", b / o);
    Ok(())
}
