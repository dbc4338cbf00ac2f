//! Reading a released revision of the repository without touching the working tree.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The top of the git work tree containing `dir`.
pub fn toplevel(dir: &Path) -> Result<std::path::PathBuf> {
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
