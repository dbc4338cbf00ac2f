//! Facade: commits from git (bare clone/fetch, `git log` → commits, commit_parents,
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

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;
use sqlx::{Connection, PgConnection, Row};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::Command;
use uuid::Uuid;

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
}

/// Time limit of one `git clone` or `git fetch` in [`sync_repo`].
pub const DEFAULT_GIT_TIMEOUT: Duration = Duration::from_secs(4 * 60 * 60);

/// Target number of `commits` rows per upsert batch.
pub const BATCH_ROWS: usize = 1000;

/// Source tag written to `data_source`.
const DATA_SOURCE: &str = "git";

/// Advisory lock serialising the creation of e-mail-only contributors across concurrent facade
/// runs (two repositories sharing a new author must end with one contributor).
const CONTRIBUTOR_LOCK_KEY: i64 = 0x4156_4C58_4641_4344; // "AVLXFACD"

/// Keep at most this much of a git process's stderr for error messages.
const STDERR_LIMIT: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// URLs and git processes
// ---------------------------------------------------------------------------------------------

/// Secrets embedded in `url` (`scheme://user:password@host/...`): the whole userinfo, the
/// password, and the user when there is no password (a bare token used as the user name).
fn url_secrets(url: &str) -> Vec<String> {
    let Some(scheme_end) = url.find("://") else {
        return Vec::new();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return Vec::new();
    };
    let userinfo = &authority[..at];
    if userinfo.is_empty() {
        return Vec::new();
    }
    let mut out = vec![userinfo.to_string()];
    match userinfo.split_once(':') {
        Some((_, password)) if !password.is_empty() => out.push(password.to_string()),
        Some(_) => {}
        None => out.push(userinfo.to_string()),
    }
    out
}

/// `url` with any userinfo replaced by `***`; safe to log and to put in errors.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..scheme_end + 3], &rest[at..]),
        None => url.to_string(),
    }
}

/// `text` with every occurrence of `url` and of the secrets embedded in it masked.
fn redact_text(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &redact_url(url));
    for secret in url_secrets(url) {
        out = out.replace(&secret, "***");
    }
    out
}

/// A `git` command that never prompts and dies with its future.
fn git_command() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if std::env::var_os("GIT_SSH_COMMAND").is_none() {
        cmd.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    cmd
}

/// Runs `cmd` to completion within `timeout`; `what` names the operation (already redacted)
/// and `url` is the URL whose secrets must not leak through git's stderr.
async fn run_git(mut cmd: Command, timeout: Duration, what: &str, url: &str) -> Result<Vec<u8>> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .with_context(|| format!("{what}: cannot run git"))?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(out) => out.with_context(|| format!("{what}: waiting for git"))?,
        Err(_) => bail!("{what}: git timed out after {}s", timeout.as_secs()),
    };
    if output.status.success() {
        return Ok(output.stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = redact_text(stderr.trim(), url);
    bail!("{what} failed ({}): {stderr}", output.status)
}

async fn remove_path(path: &Path) -> Result<()> {
    let meta = match tokio::fs::symlink_metadata(path).await {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("inspect {}", path.display())),
    };
    if meta.is_dir() {
        tokio::fs::remove_dir_all(path).await
    } else {
        tokio::fs::remove_file(path).await
    }
    .with_context(|| format!("remove {}", path.display()))
}

/// Bare clone `url` into `<clone_root>/<repo_id>.git`, or fetch if it exists; if the fetch
/// fails, remove and re-clone.
pub async fn sync_repo(clone_root: &Path, repo_id: i64, url: &str) -> Result<PathBuf> {
    sync_repo_with_timeout(clone_root, repo_id, url, DEFAULT_GIT_TIMEOUT).await
}

/// [`sync_repo`] with an explicit time limit for each git invocation.
pub async fn sync_repo_with_timeout(
    clone_root: &Path,
    repo_id: i64,
    url: &str,
    timeout: Duration,
) -> Result<PathBuf> {
    let shown = redact_url(url);
    tokio::fs::create_dir_all(clone_root)
        .await
        .with_context(|| format!("create clone directory {}", clone_root.display()))?;
    let dest = clone_root.join(format!("{repo_id}.git"));
    if tokio::fs::symlink_metadata(&dest).await.is_ok() {
        match fetch(&dest, url, timeout).await {
            Ok(()) => return Ok(dest),
            Err(e) => {
                tracing::warn!(repo_id, url = %shown, error = %format!("{e:#}"),
                    "fetch failed; removing the clone and cloning again");
                remove_path(&dest).await?;
            }
        }
    }
    let partial = clone_root.join(format!(".{repo_id}.git.partial"));
    remove_path(&partial).await?;
    let mut cmd = git_command();
    cmd.arg("clone")
        .arg("--bare")
        .arg("--quiet")
        .arg("--")
        .arg(url)
        .arg(&partial);
    let what = format!("git clone of {shown} (repo {repo_id})");
    if let Err(e) = run_git(cmd, timeout, &what, url).await.map(drop) {
        let _ = remove_path(&partial).await;
        return Err(e);
    }
    tokio::fs::rename(&partial, &dest)
        .await
        .with_context(|| format!("move the clone of {shown} into {}", dest.display()))?;
    Ok(dest)
}

/// Fetches branches and tags of `url` into the bare clone at `dest` (mirroring deletions).
async fn fetch(dest: &Path, url: &str, timeout: Duration) -> Result<()> {
    let shown = redact_url(url);
    // An explicit --git-dir never falls back to an enclosing repository, so a directory that is
    // not a bare repository fails here instead of fetching into something else.
    let mut check = git_command();
    check
        .arg("--git-dir")
        .arg(dest)
        .args(["rev-parse", "--is-bare-repository"]);
    let what = format!("check the clone of {shown} at {}", dest.display());
    let bare = run_git(check, Duration::from_secs(60), &what, url).await?;
    if String::from_utf8_lossy(&bare).trim() != "true" {
        bail!("{what}: not a bare repository");
    }
    let mut cmd = git_command();
    cmd.arg("--git-dir")
        .arg(dest)
        .args([
            "fetch",
            "--quiet",
            "--prune",
            "--force",
            "--no-write-fetch-head",
        ])
        .arg("--")
        .arg(url)
        .args(["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]);
    run_git(cmd, timeout, &format!("git fetch of {shown}"), url)
        .await
        .map(drop)
}

// ---------------------------------------------------------------------------------------------
// git log parsing
// ---------------------------------------------------------------------------------------------

/// Header fields of one commit, each NUL-terminated by `-z`; the record starts with 0x1e.
const LOG_FORMAT: &str =
    "--format=tformat:%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B";
const HEADER_FIELDS: usize = 9;

/// One file of a commit's `--numstat`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStat {
    path: String,
    added: i64,
    removed: i64,
}

/// One commit of `git log`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LogCommit {
    hash: String,
    parents: Vec<String>,
    author_name: String,
    author_email: String,
    author_date: String,
    committer_name: String,
    committer_email: String,
    committer_date: String,
    message: String,
    files: Vec<FileStat>,
}

/// Text from git as valid UTF-8 without NUL bytes.
fn clean(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s.into_owned()
    }
}

/// A `--numstat` count: a number, or `-` for binary files (counted as 0).
fn parse_count(bytes: &[u8]) -> Result<i64> {
    if bytes == b"-" {
        return Ok(0);
    }
    let s = std::str::from_utf8(bytes).map_err(|_| anyhow!("non-numeric numstat count"))?;
    let n: u64 = s
        .parse()
        .map_err(|_| anyhow!("non-numeric numstat count {s:?}"))?;
    Ok(n.min(i32::MAX as u64) as i64)
}

#[derive(Debug)]
enum ParseState {
    /// Before the first record.
    Start,
    /// Collecting the header fields of `fields[0]`'s commit.
    Header,
    /// Reading numstat entries.
    Files,
    /// A rename entry's counts were read; its source path comes next.
    RenameFrom(i64, i64),
    /// The source path was read; the destination path comes next.
    RenameTo(i64, i64),
}

/// Incremental parser of `git log -z --numstat --format=LOG_FORMAT`, fed one NUL-separated
/// token at a time (token without its NUL).
#[derive(Debug)]
struct LogParser {
    state: ParseState,
    fields: Vec<Vec<u8>>,
    current: Option<LogCommit>,
}

impl LogParser {
    fn new() -> Self {
        Self {
            state: ParseState::Start,
            fields: Vec::with_capacity(HEADER_FIELDS),
            current: None,
        }
    }

    /// Feeds one token; returns a commit when `token` completes the previous one.
    fn push(&mut self, token: Vec<u8>) -> Result<Option<LogCommit>> {
        match std::mem::replace(&mut self.state, ParseState::Files) {
            ParseState::Start => {
                if token.is_empty() {
                    self.state = ParseState::Start;
                    return Ok(None);
                }
                self.start_record(token)?;
                Ok(None)
            }
            ParseState::Header => {
                self.fields.push(token);
                if self.fields.len() == HEADER_FIELDS {
                    self.current = Some(self.build_commit()?);
                    self.state = ParseState::Files;
                } else {
                    self.state = ParseState::Header;
                }
                Ok(None)
            }
            ParseState::Files => {
                if token.first() == Some(&0x1e) {
                    let done = self.current.take();
                    self.start_record(token)?;
                    return Ok(done);
                }
                // The first entry follows a newline; entries never start with one otherwise.
                let entry = token.strip_prefix(b"\n").unwrap_or(&token);
                if entry.is_empty() {
                    return Ok(None);
                }
                let mut parts = entry.splitn(3, |b| *b == b'\t');
                let (Some(a), Some(r), Some(path)) = (parts.next(), parts.next(), parts.next())
                else {
                    bail!(
                        "unexpected git log output (numstat entry {:?})",
                        clean(entry)
                    );
                };
                let (added, removed) = (parse_count(a)?, parse_count(r)?);
                if path.is_empty() {
                    self.state = ParseState::RenameFrom(added, removed);
                } else {
                    self.add_file(clean(path), added, removed)?;
                }
                Ok(None)
            }
            ParseState::RenameFrom(added, removed) => {
                self.state = ParseState::RenameTo(added, removed);
                Ok(None)
            }
            ParseState::RenameTo(added, removed) => {
                self.add_file(clean(&token), added, removed)?;
                Ok(None)
            }
        }
    }

    /// End of output: the last commit, if any.
    fn finish(mut self) -> Result<Option<LogCommit>> {
        match self.state {
            ParseState::Start | ParseState::Files => Ok(self.current.take()),
            ParseState::Header => bail!(
                "git log output ended inside a commit header ({} of {HEADER_FIELDS} fields)",
                self.fields.len()
            ),
            ParseState::RenameFrom(..) | ParseState::RenameTo(..) => {
                bail!("git log output ended inside a rename entry")
            }
        }
    }

    fn start_record(&mut self, mut token: Vec<u8>) -> Result<()> {
        if token.first() != Some(&0x1e) {
            bail!(
                "unexpected git log output: expected a commit record, got {:?}",
                clean(&token[..token.len().min(80)])
            );
        }
        token.remove(0);
        self.fields.clear();
        self.fields.push(token);
        self.state = ParseState::Header;
        Ok(())
    }

    fn add_file(&mut self, path: String, added: i64, removed: i64) -> Result<()> {
        let commit = self
            .current
            .as_mut()
            .ok_or_else(|| anyhow!("numstat entry before any commit"))?;
        commit.files.push(FileStat {
            path,
            added,
            removed,
        });
        Ok(())
    }

    fn build_commit(&mut self) -> Result<LogCommit> {
        let f: Vec<String> = self.fields.drain(..).map(|b| clean(&b)).collect();
        let hash = f[0].trim().to_string();
        if !matches!(hash.len(), 40 | 64) || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("unexpected git log output: {hash:?} is not a commit hash");
        }
        let mut parents: Vec<String> = Vec::new();
        for p in f[1].split_ascii_whitespace() {
            if !parents.iter().any(|q| q == p) {
                parents.push(p.to_string());
            }
        }
        let mut it = f.into_iter().skip(2);
        let mut next = || it.next().unwrap_or_default();
        Ok(LogCommit {
            hash,
            parents,
            author_name: next(),
            author_email: next(),
            author_date: next(),
            committer_name: next(),
            committer_email: next(),
            committer_date: next(),
            message: next().trim_end_matches('\n').to_string(),
            files: Vec::new(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

/// Normalised e-mail: trimmed, lower-case, without surrounding angle brackets.
fn normalize_email(raw: &str) -> String {
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_lowercase()
}

/// Domain part of a normalised e-mail.
fn email_domain(email: &str) -> Option<&str> {
    let (_, domain) = email.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    (!domain.is_empty()).then_some(domain)
}

/// `aveloxis_data.contributor_affiliations` (active rows): domain → affiliation.
#[derive(Debug, Default)]
struct Affiliations(HashMap<String, String>);

impl Affiliations {
    async fn load(conn: &mut PgConnection) -> Result<Self> {
        let rows = sqlx::query(
            "SELECT lower(ca_domain) AS domain, ca_affiliation
               FROM aveloxis_data.contributor_affiliations
              WHERE COALESCE(ca_active, 1) = 1 AND ca_domain <> ''",
        )
        .fetch_all(&mut *conn)
        .await
        .context("read contributor_affiliations")?;
        let mut map = HashMap::with_capacity(rows.len());
        for row in rows {
            let domain: String = row.try_get("domain")?;
            let affiliation: Option<String> = row.try_get("ca_affiliation")?;
            if let Some(a) = affiliation.filter(|a| !a.trim().is_empty()) {
                map.insert(domain, a);
            }
        }
        Ok(Self(map))
    }

    /// The affiliation of an e-mail: the mapped organisation of its domain or of the nearest
    /// parent domain (`mail.example.com` → `example.com`), else the domain itself.
    fn of(&self, email: &str) -> Option<String> {
        let domain = email_domain(email)?;
        let mut d = domain;
        loop {
            if let Some(a) = self.0.get(d) {
                return Some(a.clone());
            }
            match d.split_once('.') {
                Some((_, parent)) if parent.contains('.') => d = parent,
                _ => break,
            }
        }
        Some(domain.to_string())
    }
}

/// `YYYY-MM-DD` of a strict ISO-8601 git date, and the date itself when PostgreSQL can take it.
fn split_date(iso: &str) -> (String, Option<String>) {
    let b = iso.as_bytes();
    let well_formed = b.len() >= 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && &b[..4] != b"0000";
    if well_formed {
        (iso[..10].to_string(), Some(iso.to_string()))
    } else {
        (String::new(), None)
    }
}

#[derive(Debug, Serialize)]
struct FileRow<'a> {
    f: &'a str,
    a: i64,
    r: i64,
}

#[derive(Debug, Serialize)]
struct CommitRow<'a> {
    h: &'a str,
    an: &'a str,
    are: &'a str,
    ae: String,
    ad: String,
    at: Option<String>,
    aa: Option<String>,
    cn: &'a str,
    cre: &'a str,
    ce: String,
    cd: String,
    ct: Option<String>,
    ca: Option<String>,
    aid: Option<Uuid>,
    files: Vec<FileRow<'a>>,
}

#[derive(Debug, Serialize)]
struct MessageRow<'a> {
    h: &'a str,
    m: &'a str,
}

#[derive(Debug, Serialize)]
struct ParentRow<'a> {
    h: &'a str,
    p: &'a str,
}

/// Files of a commit with duplicate paths merged (lossy UTF-8 can map two byte paths to one
/// name, and one INSERT may not touch a row twice); a commit with no file gets `''`.
fn file_rows(commit: &LogCommit) -> Vec<FileRow<'_>> {
    if commit.files.is_empty() {
        return vec![FileRow { f: "", a: 0, r: 0 }];
    }
    let mut rows: Vec<FileRow<'_>> = Vec::with_capacity(commit.files.len());
    let mut index: HashMap<&str, usize> = HashMap::new();
    for file in &commit.files {
        match index.get(file.path.as_str()) {
            Some(&i) => {
                rows[i].a = (rows[i].a + file.added).min(i32::MAX as i64);
                rows[i].r = (rows[i].r + file.removed).min(i32::MAX as i64);
            }
            None => {
                index.insert(&file.path, rows.len());
                rows.push(FileRow {
                    f: &file.path,
                    a: file.added,
                    r: file.removed,
                });
            }
        }
    }
    rows
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

const UPSERT_COMMITS: &str = r#"
INSERT INTO aveloxis_data.commits AS t (
    repo_id, cmt_commit_hash,
    cmt_author_name, cmt_author_raw_email, cmt_author_email, cmt_author_date,
    cmt_author_affiliation, cmt_author_timestamp,
    cmt_committer_name, cmt_committer_raw_email, cmt_committer_email, cmt_committer_date,
    cmt_committer_affiliation, cmt_committer_timestamp,
    cmt_added, cmt_removed, cmt_whitespace, cmt_filename, cmt_ght_author_id,
    tool_source, tool_version, data_source)
SELECT $1, c.h,
       c.an, c.are, c.ae, c.ad, c.aa, c.at,
       c.cn, c.cre, c.ce, c.cd, c.ca, c.ct,
       f.a, f.r, 0, f.f, c.aid,
       'aveloxis', $3, $4
  FROM jsonb_to_recordset($2::jsonb) AS c(
           h text, an text, are text, ae text, ad text, aa text, "at" timestamptz,
           cn text, cre text, ce text, cd text, ca text, ct timestamptz,
           aid uuid, files jsonb)
 CROSS JOIN LATERAL jsonb_to_recordset(c.files) AS f(f text, a integer, r integer)
ON CONFLICT (repo_id, cmt_commit_hash, cmt_filename) DO UPDATE SET
    cmt_author_name = EXCLUDED.cmt_author_name,
    cmt_author_raw_email = EXCLUDED.cmt_author_raw_email,
    cmt_author_email = EXCLUDED.cmt_author_email,
    cmt_author_date = EXCLUDED.cmt_author_date,
    cmt_author_affiliation = EXCLUDED.cmt_author_affiliation,
    cmt_author_timestamp = EXCLUDED.cmt_author_timestamp,
    cmt_committer_name = EXCLUDED.cmt_committer_name,
    cmt_committer_raw_email = EXCLUDED.cmt_committer_raw_email,
    cmt_committer_email = EXCLUDED.cmt_committer_email,
    cmt_committer_date = EXCLUDED.cmt_committer_date,
    cmt_committer_affiliation = EXCLUDED.cmt_committer_affiliation,
    cmt_committer_timestamp = EXCLUDED.cmt_committer_timestamp,
    cmt_added = EXCLUDED.cmt_added,
    cmt_removed = EXCLUDED.cmt_removed,
    cmt_ght_author_id = COALESCE(EXCLUDED.cmt_ght_author_id, t.cmt_ght_author_id),
    tool_version = EXCLUDED.tool_version,
    data_source = EXCLUDED.data_source,
    data_collection_date = now()
WHERE (t.cmt_author_name, t.cmt_author_raw_email, t.cmt_author_email, t.cmt_author_date,
       t.cmt_author_affiliation, t.cmt_author_timestamp,
       t.cmt_committer_name, t.cmt_committer_raw_email, t.cmt_committer_email,
       t.cmt_committer_date, t.cmt_committer_affiliation, t.cmt_committer_timestamp,
       t.cmt_added, t.cmt_removed, t.cmt_ght_author_id)
   IS DISTINCT FROM
      (EXCLUDED.cmt_author_name, EXCLUDED.cmt_author_raw_email, EXCLUDED.cmt_author_email,
       EXCLUDED.cmt_author_date, EXCLUDED.cmt_author_affiliation, EXCLUDED.cmt_author_timestamp,
       EXCLUDED.cmt_committer_name, EXCLUDED.cmt_committer_raw_email,
       EXCLUDED.cmt_committer_email, EXCLUDED.cmt_committer_date,
       EXCLUDED.cmt_committer_affiliation, EXCLUDED.cmt_committer_timestamp,
       EXCLUDED.cmt_added, EXCLUDED.cmt_removed,
       COALESCE(EXCLUDED.cmt_ght_author_id, t.cmt_ght_author_id))
"#;

const UPSERT_MESSAGES: &str = r#"
INSERT INTO aveloxis_data.commit_messages AS t (
    repo_id, cmt_hash, cmt_msg, tool_source, tool_version, data_source)
SELECT $1, m.h, m.m, 'aveloxis', $3, $4
  FROM jsonb_to_recordset($2::jsonb) AS m(h text, m text)
ON CONFLICT (repo_id, cmt_hash) DO UPDATE SET
    cmt_msg = EXCLUDED.cmt_msg,
    tool_version = EXCLUDED.tool_version,
    data_collection_date = now()
WHERE t.cmt_msg IS DISTINCT FROM EXCLUDED.cmt_msg
"#;

// The commits rows of both ends exist by now: a batch's commits are written before its parent
// links, and git lists parents before children.
const UPSERT_PARENTS: &str = r#"
INSERT INTO aveloxis_data.commit_parents AS t (
    repo_id, cmt_commit_hash, parent_commit_hash, cmt_id, parent_id,
    tool_source, tool_version, data_source)
SELECT $1, p.h, p.p,
       (SELECT min(c.cmt_id) FROM aveloxis_data.commits c
         WHERE c.repo_id = $1 AND c.cmt_commit_hash = p.h),
       (SELECT min(c.cmt_id) FROM aveloxis_data.commits c
         WHERE c.repo_id = $1 AND c.cmt_commit_hash = p.p),
       'aveloxis', $3, $4
  FROM jsonb_to_recordset($2::jsonb) AS p(h text, p text)
ON CONFLICT (repo_id, cmt_commit_hash, parent_commit_hash) DO UPDATE SET
    cmt_id = EXCLUDED.cmt_id,
    parent_id = EXCLUDED.parent_id,
    tool_version = EXCLUDED.tool_version,
    data_collection_date = now()
WHERE (t.cmt_id, t.parent_id) IS DISTINCT FROM (EXCLUDED.cmt_id, EXCLUDED.parent_id)
"#;

/// Existing contributors for normalised e-mails: by alias first, then by `cntrb_email`
/// (preferring contributors with a forge identity).
const LOOKUP_AUTHORS: &str = r#"
SELECT e.email,
       (SELECT a.cntrb_id FROM aveloxis_data.contributors_aliases a
         WHERE a.alias_email IN (e.email, e.raw)
         ORDER BY a.cntrb_active DESC, (a.alias_email = e.email) DESC, a.cntrb_alias_id
         LIMIT 1) AS alias_id,
       (SELECT c.cntrb_id FROM aveloxis_data.contributors c
         WHERE c.cntrb_email IN (e.email, e.raw)
         ORDER BY (c.gh_user_id IS NULL AND c.gl_id IS NULL), c.cntrb_created_at NULLS LAST,
                  c.cntrb_id
         LIMIT 1) AS email_id
  FROM jsonb_to_recordset($1::jsonb) AS e(email text, raw text)
"#;

const INSERT_ALIASES: &str = r#"
INSERT INTO aveloxis_data.contributors_aliases (
    cntrb_id, canonical_email, alias_email, tool_source, tool_version, data_source)
SELECT a.id, a.email, a.email, 'aveloxis', $2, $3
  FROM jsonb_to_recordset($1::jsonb) AS a(id uuid, email text)
ON CONFLICT (alias_email) DO NOTHING
"#;

const INSERT_CONTRIBUTORS: &str = r#"
WITH n AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS n(id uuid, email text, name text)
), contributors AS (
    INSERT INTO aveloxis_data.contributors (
        cntrb_id, cntrb_login, cntrb_email, cntrb_full_name, cntrb_canonical,
        tool_source, tool_version, data_source)
    SELECT n.id, '', n.email, n.name, n.email, 'aveloxis', $2, $3 FROM n
), aliases AS (
    INSERT INTO aveloxis_data.contributors_aliases (
        cntrb_id, canonical_email, alias_email, tool_source, tool_version, data_source)
    SELECT n.id, n.email, n.email, 'aveloxis', $2, $3 FROM n
    ON CONFLICT (alias_email) DO NOTHING
)
INSERT INTO aveloxis_data.unresolved_commit_emails (email, name, tool_source, tool_version,
                                                    data_source)
SELECT n.email, n.name, 'aveloxis', $2, $3 FROM n
ON CONFLICT (email) DO NOTHING
"#;

#[derive(Debug, Serialize)]
struct EmailKey<'a> {
    email: &'a str,
    raw: &'a str,
}

#[derive(Debug, Serialize)]
struct NewContributor<'a> {
    id: Uuid,
    email: &'a str,
    name: &'a str,
}

#[derive(Debug, Serialize)]
struct AliasRow<'a> {
    id: Uuid,
    email: &'a str,
}

/// Accumulates commits and writes them in batches.
struct Writer {
    repo_id: i64,
    affiliations: Affiliations,
    /// Normalised author e-mail → contributor, for every e-mail seen in this run.
    authors: HashMap<String, Uuid>,
    batch: Vec<LogCommit>,
    batch_rows: usize,
    counts: FacadeCounts,
}

impl Writer {
    fn push(&mut self, commit: LogCommit) {
        self.batch_rows += commit.files.len().max(1);
        self.batch.push(commit);
    }

    fn full(&self) -> bool {
        self.batch_rows >= BATCH_ROWS || self.batch.len() >= BATCH_ROWS
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.batch_rows = 0;
        // Authors first, in their own short transaction: the contributor-creation lock is not
        // held while the batch is written, and people created here are reused by any rerun.
        let mut tx = conn.begin().await?;
        self.resolve_authors(&mut tx, &batch).await?;
        tx.commit().await?;

        let mut tx = conn.begin().await?;

        let commit_rows: Vec<CommitRow<'_>> = batch.iter().map(|c| self.commit_row(c)).collect();
        let file_rows: usize = commit_rows.iter().map(|c| c.files.len()).sum();
        sqlx::query(UPSERT_COMMITS)
            .bind(self.repo_id)
            .bind(sqlx::types::Json(&commit_rows))
            .bind(crate::TOOL_VERSION)
            .bind(DATA_SOURCE)
            .execute(&mut *tx)
            .await
            .context("upsert commits")?;
        drop(commit_rows);

        let messages: Vec<MessageRow<'_>> = batch
            .iter()
            .map(|c| MessageRow {
                h: &c.hash,
                m: &c.message,
            })
            .collect();
        sqlx::query(UPSERT_MESSAGES)
            .bind(self.repo_id)
            .bind(sqlx::types::Json(&messages))
            .bind(crate::TOOL_VERSION)
            .bind(DATA_SOURCE)
            .execute(&mut *tx)
            .await
            .context("upsert commit_messages")?;

        let parents: Vec<ParentRow<'_>> = batch
            .iter()
            .flat_map(|c| c.parents.iter().map(|p| ParentRow { h: &c.hash, p }))
            .collect();
        if !parents.is_empty() {
            sqlx::query(UPSERT_PARENTS)
                .bind(self.repo_id)
                .bind(sqlx::types::Json(&parents))
                .bind(crate::TOOL_VERSION)
                .bind(DATA_SOURCE)
                .execute(&mut *tx)
                .await
                .context("upsert commit_parents")?;
        }
        tx.commit().await?;

        self.counts.commits += batch.len() as u64;
        self.counts.commit_file_rows += file_rows as u64;
        self.counts.messages += messages.len() as u64;
        self.counts.parents += parents.len() as u64;
        Ok(())
    }

    fn commit_row<'a>(&self, c: &'a LogCommit) -> CommitRow<'a> {
        let ae = normalize_email(&c.author_email);
        let ce = normalize_email(&c.committer_email);
        let (ad, at) = split_date(&c.author_date);
        let (cd, ct) = split_date(&c.committer_date);
        CommitRow {
            h: &c.hash,
            an: &c.author_name,
            are: &c.author_email,
            aa: self.affiliations.of(&ae),
            aid: self.authors.get(&ae).copied(),
            ae,
            ad,
            at,
            cn: &c.committer_name,
            cre: &c.committer_email,
            ca: self.affiliations.of(&ce),
            ce,
            cd,
            ct,
            files: file_rows(c),
        }
    }

    /// Makes sure every author e-mail of `batch` is in `self.authors`.
    async fn resolve_authors(
        &mut self,
        conn: &mut PgConnection,
        batch: &[LogCommit],
    ) -> Result<()> {
        // normalised → (raw, name) of the first commit seen with it
        let mut wanted: HashMap<String, (&str, &str)> = HashMap::new();
        for c in batch {
            let email = normalize_email(&c.author_email);
            if email.is_empty() || self.authors.contains_key(&email) {
                continue;
            }
            wanted
                .entry(email)
                .or_insert((c.author_email.as_str(), c.author_name.as_str()));
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let found = lookup_authors(conn, &wanted).await?;
        let mut new_aliases: Vec<(Uuid, String)> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        // Sorted, so concurrent runs insert unique keys in the same order (no deadlocks).
        let mut emails: Vec<&String> = wanted.keys().collect();
        emails.sort();
        for email in emails {
            match found.get(email) {
                Some((Some(alias_id), _)) => {
                    self.authors.insert(email.clone(), *alias_id);
                }
                Some((None, Some(email_id))) => {
                    self.authors.insert(email.clone(), *email_id);
                    new_aliases.push((*email_id, email.clone()));
                }
                _ => missing.push(email.clone()),
            }
        }
        if !new_aliases.is_empty() {
            let rows: Vec<AliasRow<'_>> = new_aliases
                .iter()
                .map(|(id, email)| AliasRow { id: *id, email })
                .collect();
            sqlx::query(INSERT_ALIASES)
                .bind(sqlx::types::Json(&rows))
                .bind(crate::TOOL_VERSION)
                .bind(DATA_SOURCE)
                .execute(&mut *conn)
                .await
                .context("insert contributors_aliases")?;
        }
        if missing.is_empty() {
            return Ok(());
        }
        // Creation is serialised: under the lock, look again (another run may have just created
        // the same people), then create whoever is still unknown.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CONTRIBUTOR_LOCK_KEY)
            .execute(&mut *conn)
            .await?;
        let still: HashMap<String, (&str, &str)> =
            missing.iter().map(|e| (e.clone(), wanted[e])).collect();
        let found = lookup_authors(conn, &still).await?;
        let mut created: Vec<NewContributor<'_>> = Vec::new();
        let mut still_sorted: Vec<(&String, &(&str, &str))> = still.iter().collect();
        still_sorted.sort();
        for (email, (_, name)) in still_sorted {
            match found.get(email) {
                Some((Some(id), _)) | Some((None, Some(id))) => {
                    self.authors.insert(email.clone(), *id);
                }
                _ => {
                    let id = Uuid::new_v4();
                    self.authors.insert(email.clone(), id);
                    created.push(NewContributor {
                        id,
                        email,
                        name: name.trim(),
                    });
                }
            }
        }
        if !created.is_empty() {
            sqlx::query(INSERT_CONTRIBUTORS)
                .bind(sqlx::types::Json(&created))
                .bind(crate::TOOL_VERSION)
                .bind(DATA_SOURCE)
                .execute(&mut *conn)
                .await
                .context("insert e-mail-only contributors")?;
        }
        Ok(())
    }
}

type Found = HashMap<String, (Option<Uuid>, Option<Uuid>)>;

async fn lookup_authors(
    conn: &mut PgConnection,
    wanted: &HashMap<String, (&str, &str)>,
) -> Result<Found> {
    let keys: Vec<EmailKey<'_>> = wanted
        .iter()
        .map(|(email, (raw, _))| EmailKey {
            email,
            raw: raw.trim(),
        })
        .collect();
    let rows = sqlx::query(LOOKUP_AUTHORS)
        .bind(sqlx::types::Json(&keys))
        .fetch_all(&mut *conn)
        .await
        .context("look up commit authors")?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert(
            row.try_get::<String, _>("email")?,
            (row.try_get("alias_id")?, row.try_get("email_id")?),
        );
    }
    Ok(out)
}

/// Reads at most [`STDERR_LIMIT`] bytes of a stream, draining (and dropping) the rest.
async fn read_limited(mut r: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = STDERR_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    kept
}

/// `git log --all` of the bare repo → commits (one row per file), commit_parents,
/// commit_messages, written in batched upserts; idempotent.
pub async fn collect_commits(
    conn: &mut PgConnection,
    repo_id: i64,
    bare: &Path,
) -> Result<FacadeCounts> {
    let affiliations = Affiliations::load(conn).await?;
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
    let mut child = cmd
        .spawn()
        .with_context(|| format!("run git log in {}", bare.display()))?;
    let stdout = child.stdout.take().context("git log stdout")?;
    let stderr = child.stderr.take().context("git log stderr")?;
    let stderr_task = tokio::spawn(read_limited(stderr));

    let mut writer = Writer {
        repo_id,
        affiliations,
        authors: HashMap::new(),
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
    tracing::debug!(repo_id, counts = ?writer.counts, "facade commits written");
    Ok(writer.counts)
}
