//! Revisions and worktrees: resolving a released revision, reading it without touching the
//! working tree (`git archive`), or checking it out beside it (`git worktree add --detach`,
//! removed again on every exit path).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The top of the git work tree containing `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!("{} is not inside a git work tree", dir.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().into())
}

/// Resolve `rev` (tag, branch or commit) to a commit id, or explain why it cannot be found.
pub fn resolve(repo: &Path, rev: &str) -> Result<String> {
    if rev.starts_with('-') {
        bail!("revision {rev:?} looks like an option");
    }
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .context("running git rev-parse")?;
    if !out.status.success() {
        bail!(
            "revision {rev:?} not found in {} (tags do not travel with every clone: try \
             `git fetch --tags`, or name a commit)",
            repo.display()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Write the tree `path` of commit `rev` into `dest` (creating `dest/<path>`).
pub fn export(repo: &Path, rev: &str, path: &str, dest: &Path) -> Result<()> {
    let archive = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["archive", "--format=tar", rev, "--", path])
        .output()
        .context("running git archive")?;
    if !archive.status.success() {
        bail!(
            "git archive {rev} -- {path} failed: {}",
            String::from_utf8_lossy(&archive.stderr).trim()
        );
    }
    let mut tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dest)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("running tar")?;
    {
        use std::io::Write;
        let mut stdin = tar.stdin.take().context("tar stdin")?;
        stdin.write_all(&archive.stdout).context("feeding tar")?;
    }
    let status = tar.wait()?;
    if !status.success() {
        bail!("tar could not unpack {path} of {rev}");
    }
    Ok(())
}

/// `--repo-dir`, else the git work tree containing the current directory, else that directory.
pub fn repo_root(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = explicit {
        return Ok(d.to_path_buf());
    }
    let cwd = std::env::current_dir()?;
    Ok(toplevel(&cwd).unwrap_or(cwd))
}

/// `git fetch --tags`; a failure is printed and the local refs are used.
pub fn fetch_tags(repo: &Path) -> Result<()> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["fetch", "--tags"])
        .output()
        .context("running git fetch --tags")?;
    if !out.status.success() {
        say!(
            "harness: git fetch --tags failed (continuing with local refs): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Where a run checks the released revision out: `<target>/harness-released-src-<pid>`.
pub const RELEASED_SRC: &str = "harness-released-src-";

/// Remove the worktree at `path` (registered or not), then forget missing ones.
pub fn remove_worktree(repo: &Path, path: &Path) {
    let _ = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["worktree", "remove", "--force"])
        .arg(path)
        .output();
    let _ = std::fs::remove_dir_all(path);
    let _ = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["worktree", "prune"])
        .output();
}

/// Remove released worktrees left by runs that no longer exist (killed before their clean-up).
pub fn remove_stale_worktrees(repo: &Path, target: &Path) {
    let Ok(entries) = std::fs::read_dir(target) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(RELEASED_SRC) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            remove_worktree(repo, &e.path());
        }
    }
}

/// `git worktree add --detach`, removed again on drop.
pub struct Worktree {
    repo: PathBuf,
    pub path: PathBuf,
}

impl Worktree {
    pub fn add(repo: &Path, path: &Path, commit: &str) -> Result<Worktree> {
        if path.exists() {
            remove_worktree(repo, path);
        }
        let out = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["worktree", "add", "--detach"])
            .arg(path)
            .arg(commit)
            .output()
            .context("running git worktree add")?;
        if !out.status.success() {
            bail!(
                "git worktree add {commit} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(Worktree {
            repo: repo.to_path_buf(),
            path: path.to_path_buf(),
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        remove_worktree(&self.repo, &self.path);
    }
}
