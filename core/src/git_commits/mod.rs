//! Facade (`git_commits`): commits from git (bare clone/fetch, `git log` → commits, commit_parents,
//! commit_messages).
//!
//! Two steps:
//!
//! * [`sync_repo`] keeps a bare clone per repository at `<clone_root>/<repo_id>.git`: it fetches
//!   branches and tags into an existing clone and, when that fails (corrupt or foreign
//!   directory, rewritten remote, ...), removes it and clones again. A fresh clone is made in a
//!   side directory and renamed into place, so an interrupted clone never looks complete.
//! * [`collect_commits`] streams `git log --all --numstat -z` of the clone and writes, in batched
//!   upserts of about [`BATCH_ROWS`] rows:
//!   - `aveloxis_data.commits`: one row per (commit, file), as in Augur; a commit that touches no
//!     file (a merge, an empty commit) still gets one row with `cmt_filename = ''`;
//!   - `aveloxis_data.commit_messages`: one row per commit;
//!   - `aveloxis_data.commit_parents`: one row per (commit, parent), with the surrogate
//!     `cmt_id`/`parent_id` pointing at the commit's first per-file row.
//!
//!   Commits come oldest first (`--topo-order --reverse`), so a parent's rows are always written
//!   before its children's. Author e-mails are resolved to contributors (alias, then
//!   `contributors.cntrb_email`, else a new e-mail-only contributor with a random id plus an
//!   alias row so the id is stable across runs). Re-running writes the same rows again and
//!   changes nothing.
//!
//! `cmt_whitespace` is 0: `--numstat` does not separate whitespace-only lines.
//!
//! No commit fails the run for its dates: timestamps are stored in UTC, and a date git prints
//! with an impossible time-zone offset (`+99:59`) or not as a date at all is stored repaired (or
//! empty) and noted in `aveloxis_ops.quarantine` (`dates`).

//!
//! `git` runs git (clone/fetch, redaction), `auth` hands it a forge key (through its environment,
//! for the forge's origin only), `log` parses its output, `dates` reads its dates, `authors`
//! resolves e-mails to contributors, `writer` upserts batches (SQL in `sql/`), `prune` removes
//! the commits no branch or tag reaches any more (force-pushed away), `labor` counts lines per
//! file and language of the default branch (tokei) into `repo_labor` and `repos.languages`.

mod auth;
mod authors;
mod dates;
mod git;
mod labor;
mod log;
mod prune;
mod writer;

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sqlx::PgConnection;
use tokio::io::AsyncBufReadExt;
use tokio::io::BufReader;
use tokio::process::Command;

pub use self::auth::GitAuth;
use self::authors::Affiliations;
pub(crate) use self::authors::{GitHubAuthor, insert_github_accounts};
use self::git::{git_command, read_limited};
pub use self::git::{redact_url, sync_repo, sync_repo_with};
pub use self::labor::{LaborCounts, MAX_BLOB, scan_labor};
use self::log::{LOG_FORMAT, LogParser};
use self::writer::Writer;

/// Counts written by one facade run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FacadeCounts {
    /// Distinct commits seen in `git log --all`.
    pub commits: u64,
    /// Rows upserted into `commits` (one per file per commit, at least one per commit).
    pub commit_file_rows: u64,
    /// Rows upserted into `commit_parents`.
    pub parents: u64,
    /// Rows upserted into `commit_messages`.
    pub messages: u64,
    /// Commits removed because no branch or tag reaches them any more.
    pub removed: u64,
}

/// Time limit of one `git clone` or `git fetch` in [`sync_repo`].
pub const DEFAULT_GIT_TIMEOUT: Duration = Duration::from_secs(4 * 60 * 60);

/// Target number of `commits` rows per upsert batch.
pub const BATCH_ROWS: usize = 1000;

/// Source tag written to `data_source`.
const DATA_SOURCE: &str = "git";

/// `git log --all` of the bare repository, oldest first, one NUL-separated token at a time.
fn log_command(bare: &Path) -> Command {
    let mut cmd = git_command();
    cmd.arg("--git-dir")
        .arg(bare)
        .args([
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
            LOG_FORMAT,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// `git log --all` of the bare repo → commits (one row per file), commit_parents,
/// commit_messages, written in batched upserts; idempotent.
pub async fn collect_commits(
    conn: &mut PgConnection,
    repo_id: i64,
    bare: &Path,
) -> Result<FacadeCounts> {
    let affiliations = Affiliations::load(conn).await?;
    let mut cmd = log_command(bare);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("run git log in {}", bare.display()))?;
    let stdout = child.stdout.take().context("git log stdout")?;
    let stderr = child.stderr.take().context("git log stderr")?;
    let stderr_task = tokio::spawn(read_limited(stderr));

    let mut writer = Writer {
        repo_id,
        affiliations,
        authors: Default::default(),
        batch: Vec::new(),
        batch_rows: 0,
        counts: FacadeCounts::default(),
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut parser = LogParser::new();
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let read_result: Result<()> = async {
        loop {
            let mut token = Vec::new();
            let n = reader.read_until(0, &mut token).await?;
            if n == 0 {
                break;
            }
            if token.last() == Some(&0) {
                token.pop();
            }
            if let Some(commit) = parser.push(token)?
                && seen.insert(commit.hash.clone())
            {
                writer.push(commit);
                if writer.full() {
                    writer.flush(conn).await?;
                }
            }
        }
        if let Some(commit) = std::mem::replace(&mut parser, LogParser::new()).finish()?
            && seen.insert(commit.hash.clone())
        {
            writer.push(commit);
        }
        writer.flush(conn).await
    }
    .await;

    if read_result.is_err() {
        let _ = child.start_kill();
    }
    let status = child.wait().await.context("wait for git log")?;
    let stderr = stderr_task.await.unwrap_or_default();
    read_result.with_context(|| format!("facade of repo {repo_id} ({})", bare.display()))?;
    if !status.success() {
        bail!(
            "git log in {} failed ({status}): {}",
            bare.display(),
            String::from_utf8_lossy(&stderr).trim()
        );
    }
    writer.counts.removed = prune::remove_unreachable(conn, repo_id, &seen).await?;
    tracing::debug!(repo_id, counts = ?writer.counts, "facade commits written");
    Ok(writer.counts)
}
