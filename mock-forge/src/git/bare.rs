//! The bare repository behind `git clone`: the `git fast-import` stream that
//! recreates a repository's history, building the bare repository with real
//! git, and the file rules of git's "dumb" HTTP protocol.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::objects::WorkTree;
use super::replay::HistoryReplay;
use crate::model::RepoData;

/// Writes the `git fast-import` stream that recreates the repository's
/// history: each commit carries the full new content of the files it
/// changed, rebuilt with [`HistoryReplay`].
fn fast_import_stream(repo: &RepoData) -> Vec<u8> {
    let mut tree = WorkTree::default();
    let mut out = Vec::new();
    let mut replay = HistoryReplay::new(repo);
    for (i, c) in repo.commits.iter().enumerate() {
        let files = replay.apply(i, &mut tree);
        out.extend_from_slice(b"commit refs/heads/main\n");
        out.extend_from_slice(format!("mark :{}\n", i + 1).as_bytes());
        let ident = format!("{} <{}> {} +0000", c.author_name, c.author_email, c.time);
        out.extend_from_slice(format!("author {ident}\ncommitter {ident}\n").as_bytes());
        out.extend_from_slice(format!("data {}\n", c.message.len()).as_bytes());
        out.extend_from_slice(c.message.as_bytes());
        out.push(b'\n');
        if i > 0 {
            out.extend_from_slice(format!("from :{i}\n").as_bytes());
        }
        for path in files {
            let content = tree.content(&path);
            out.extend_from_slice(format!("M 100644 inline {path}\n").as_bytes());
            out.extend_from_slice(format!("data {}\n", content.len()).as_bytes());
            out.extend_from_slice(&content);
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    out
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .with_context(|| format!("running git {args:?}"))?;
    if !out.status.success() {
        bail!(
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Creates `<root>/<owner>/<name>.git`, a bare repository holding the
/// generated history, ready to be served over dumb HTTP. Fails if git's
/// SHAs differ from the generator's.
pub fn build_bare_repo(root: &Path, repo: &RepoData) -> anyhow::Result<PathBuf> {
    let dir = root.join(&repo.owner).join(format!("{}.git", repo.name));
    std::fs::create_dir_all(&dir)?;
    git(
        &dir,
        &["init", "--bare", "--quiet", "--initial-branch=main", "."],
    )?;
    if !repo.commits.is_empty() {
        let mut child = Command::new("git")
            .args(["fast-import", "--quiet", "--done"])
            .current_dir(&dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("spawning git fast-import")?;
        let mut stream = fast_import_stream(repo);
        stream.extend_from_slice(b"done\n");
        child
            .stdin
            .take()
            .context("fast-import stdin")?
            .write_all(&stream)?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "git fast-import failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let head = git(&dir, &["rev-parse", "refs/heads/main"])?;
        let want = &repo.commits[repo.commits.len() - 1].sha;
        if &head != want {
            bail!("git computed head {head} but the generator computed {want}");
        }
    }
    git(&dir, &["update-server-info"])?;
    Ok(dir)
}

/// Content type git expects for a file of the dumb HTTP protocol.
pub fn dumb_content_type(rest: &str) -> &'static str {
    if rest.ends_with(".pack") {
        "application/x-git-packed-objects"
    } else if rest.ends_with(".idx") {
        "application/x-git-packed-objects-toc"
    } else if rest.starts_with("objects/") && !rest.starts_with("objects/info") {
        "application/x-git-loose-object"
    } else {
        "text/plain; charset=utf-8"
    }
}

/// Resolves `rest` (a path below the bare repository) to a file, refusing
/// anything that could escape the repository.
pub fn safe_join(repo_dir: &Path, rest: &str) -> Option<PathBuf> {
    if rest.is_empty()
        || rest
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return None;
    }
    Some(repo_dir.join(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        let d = Path::new("/tmp/x.git");
        assert!(safe_join(d, "../etc/passwd").is_none());
        assert!(safe_join(d, "objects//x").is_none());
        assert!(safe_join(d, "info/refs").is_some());
    }
}
