//! Git processes: the bare clone per repository (fetch, or re-clone when broken), with a key
//! when one is given ([`GitAuth`]), and URL redaction so that no credential reaches a log line or
//! an error.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::DEFAULT_GIT_TIMEOUT;
use super::auth::GitAuth;

/// Keep at most this much of a git process's stderr for error messages.
const STDERR_LIMIT: usize = 64 * 1024;

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

/// Where git clones or fetches from: the URL, and the key to send there, if any.
#[derive(Clone, Copy)]
struct Remote<'a> {
    url: &'a str,
    auth: Option<&'a GitAuth>,
}

impl Remote<'_> {
    /// A git command for this remote: [`git_command`] carrying the key, if any.
    fn command(&self) -> Command {
        let mut cmd = git_command();
        if let Some(auth) = self.auth {
            auth.apply(&mut cmd);
        }
        cmd
    }

    /// `text` with every occurrence of the URL, of the secrets embedded in it and of the key
    /// masked.
    fn redact(&self, text: &str) -> String {
        let mut out = text.replace(self.url, &redact_url(self.url));
        for secret in url_secrets(self.url) {
            out = out.replace(&secret, "***");
        }
        match self.auth {
            Some(auth) => auth.scrub(&out),
            None => out,
        }
    }
}

/// A `git` command that never prompts and dies with its future, in a process group of its own:
/// a Ctrl-C at the terminal (SIGINT to the foreground group) or a signal to the daemon's group
/// reaches the daemon, which decides when git stops, not git itself.
pub(super) fn git_command() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    if std::env::var_os("GIT_SSH_COMMAND").is_none() {
        cmd.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    cmd
}

/// Git did not fail on its own: it was stopped by a signal or by our time limit. Says nothing
/// about the state of the repository it worked on, which must therefore not be thrown away.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Interrupted(String);

/// Runs `cmd` to completion within `timeout`; `what` names the operation (already redacted)
/// and `remote` is what git talks to, whose secrets must not leak through git's stderr. A git
/// killed by a signal or by the time limit fails with [`Interrupted`].
async fn run_git(
    mut cmd: Command,
    timeout: Duration,
    what: &str,
    remote: Remote<'_>,
) -> Result<Vec<u8>> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .with_context(|| format!("{what}: cannot run git"))?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(out) => out.with_context(|| format!("{what}: waiting for git"))?,
        Err(_) => {
            return Err(Interrupted(format!(
                "{what}: git timed out after {}s",
                timeout.as_secs()
            ))
            .into());
        }
    };
    if output.status.success() {
        return Ok(output.stdout);
    }
    if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&output.status) {
        return Err(Interrupted(format!("{what}: git was stopped by signal {sig}")).into());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = remote.redact(stderr.trim());
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

/// Bare clone `url` into `<clone_root>/<repo_id>.git`, or fetch if it exists, anonymously; if the
/// fetch fails, remove and re-clone — unless git was interrupted (a signal, the time limit),
/// which says nothing about the clone: then the error is returned and the clone kept.
pub async fn sync_repo(clone_root: &Path, repo_id: i64, url: &str) -> Result<PathBuf> {
    sync_repo_with(clone_root, repo_id, url, None, DEFAULT_GIT_TIMEOUT).await
}

/// [`sync_repo`] sending `auth` (when given) to the forge, with an explicit time limit for each
/// git invocation. The key stays out of argv, the remote URL and the clone's config.
pub async fn sync_repo_with(
    clone_root: &Path,
    repo_id: i64,
    url: &str,
    auth: Option<&GitAuth>,
    timeout: Duration,
) -> Result<PathBuf> {
    let remote = Remote { url, auth };
    let shown = redact_url(url);
    tokio::fs::create_dir_all(clone_root)
        .await
        .with_context(|| format!("create clone directory {}", clone_root.display()))?;
    let dest = clone_root.join(format!("{repo_id}.git"));
    if tokio::fs::symlink_metadata(&dest).await.is_ok() {
        match fetch(&dest, remote, timeout).await {
            Ok(()) => return Ok(dest),
            Err(e) if e.is::<Interrupted>() => {
                return Err(e.context(format!(
                    "the clone at {} is kept for the next run",
                    dest.display()
                )));
            }
            Err(e) => {
                tracing::warn!(repo_id, url = %shown, error = %format!("{e:#}"),
                    "fetch failed; removing the clone and cloning again");
                remove_path(&dest).await?;
            }
        }
    }
    let partial = clone_root.join(format!(".{repo_id}.git.partial"));
    remove_path(&partial).await?;
    let mut cmd = remote.command();
    cmd.arg("clone")
        .arg("--bare")
        .arg("--quiet")
        .arg("--")
        .arg(url)
        .arg(&partial);
    let what = format!("git clone of {shown} (repo {repo_id})");
    if let Err(e) = run_git(cmd, timeout, &what, remote).await.map(drop) {
        let _ = remove_path(&partial).await;
        return Err(e);
    }
    tokio::fs::rename(&partial, &dest)
        .await
        .with_context(|| format!("move the clone of {shown} into {}", dest.display()))?;
    Ok(dest)
}

/// Fetches branches and tags of `remote` into the bare clone at `dest` (mirroring deletions).
async fn fetch(dest: &Path, remote: Remote<'_>, timeout: Duration) -> Result<()> {
    let shown = redact_url(remote.url);
    // An explicit --git-dir never falls back to an enclosing repository, so a directory that is
    // not a bare repository fails here instead of fetching into something else.
    let mut check = git_command();
    check
        .arg("--git-dir")
        .arg(dest)
        .args(["rev-parse", "--is-bare-repository"]);
    let what = format!("check the clone of {shown} at {}", dest.display());
    let local = Remote {
        auth: None,
        ..remote
    };
    let bare = run_git(check, Duration::from_secs(60), &what, local).await?;
    if String::from_utf8_lossy(&bare).trim() != "true" {
        bail!("{what}: not a bare repository");
    }
    let mut cmd = remote.command();
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
        .arg(remote.url)
        .args(["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]);
    run_git(cmd, timeout, &format!("git fetch of {shown}"), remote)
        .await
        .map(drop)
}

/// Reads at most [`STDERR_LIMIT`] bytes of a stream, draining (and dropping) the rest.
pub(super) async fn read_limited(mut r: impl AsyncRead + Unpin) -> Vec<u8> {
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
