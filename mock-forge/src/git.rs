//! Git history: object hashing, the `git fast-import` stream, building a
//! bare repository and serving it with git's "dumb" HTTP protocol.
//!
//! The generator computes every blob, tree and commit SHA-1 itself, so the
//! API can report real commit SHAs without running git. When a client clones,
//! [`build_bare_repo`] replays the same history through `git fast-import`;
//! git computes identical SHAs (we check the head and refuse to serve a
//! repository that disagrees with the API).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use sha1::{Digest, Sha1};

use crate::model::RepoData;

/// SHA-1 of a git object of `kind` with `content`, as raw bytes.
pub fn object_id(kind: &str, content: &[u8]) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(format!("{kind} {}\0", content.len()).as_bytes());
    h.update(content);
    h.finalize().into()
}

/// Lower-case hex of an object id.
pub fn hex(id: &[u8; 20]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// A working tree: path → file lines. Kept as a sorted map so tree hashing
/// is a single ordered walk.
#[derive(Debug, Default, Clone)]
pub struct WorkTree {
    files: BTreeMap<String, Vec<String>>,
}

impl WorkTree {
    /// File content as bytes (lines joined by `\n`, trailing newline).
    pub fn content(&self, path: &str) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(lines) = self.files.get(path) {
            for l in lines {
                out.extend_from_slice(l.as_bytes());
                out.push(b'\n');
            }
        }
        out
    }

    /// Lines of a file (empty when missing).
    pub fn lines(&self, path: &str) -> &[String] {
        self.files.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Replaces a file's lines.
    pub fn set(&mut self, path: &str, lines: Vec<String>) {
        self.files.insert(path.to_string(), lines);
    }

    /// True if the file exists.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// SHA-1 of the root tree.
    pub fn tree_id(&self) -> [u8; 20] {
        // Build a nested view, then hash bottom-up.
        #[derive(Default)]
        struct Dir<'a> {
            files: BTreeMap<&'a str, [u8; 20]>,
            dirs: BTreeMap<&'a str, Dir<'a>>,
        }
        fn hash_dir(d: &Dir<'_>) -> [u8; 20] {
            // Git orders entries by name, comparing directories as if their
            // name ended in '/'.
            let mut entries: Vec<(Vec<u8>, &str, bool, [u8; 20])> = Vec::new();
            for (name, id) in &d.files {
                entries.push((name.as_bytes().to_vec(), name, false, *id));
            }
            for (name, sub) in &d.dirs {
                let mut key = name.as_bytes().to_vec();
                key.push(b'/');
                entries.push((key, name, true, hash_dir(sub)));
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut buf = Vec::new();
            for (_, name, is_dir, id) in entries {
                buf.extend_from_slice(if is_dir { b"40000 " } else { b"100644 " });
                buf.extend_from_slice(name.as_bytes());
                buf.push(0);
                buf.extend_from_slice(&id);
            }
            object_id("tree", &buf)
        }
        let mut root = Dir::default();
        for path in self.files.keys() {
            let id = object_id("blob", &self.content(path));
            let mut parts: Vec<&str> = path.split('/').collect();
            let file = parts.pop().unwrap_or_default();
            let mut d = &mut root;
            for p in parts {
                d = d.dirs.entry(p).or_default();
            }
            d.files.insert(file, id);
        }
        hash_dir(&root)
    }
}

/// The text of a commit object, exactly as git stores it.
pub fn commit_object(
    tree: &str,
    parent: Option<&str>,
    name: &str,
    email: &str,
    time: i64,
    message: &str,
) -> String {
    let mut s = format!("tree {tree}\n");
    if let Some(p) = parent {
        s.push_str(&format!("parent {p}\n"));
    }
    s.push_str(&format!("author {name} <{email}> {time} +0000\n"));
    s.push_str(&format!("committer {name} <{email}> {time} +0000\n\n"));
    s.push_str(message);
    s
}

/// Writes the `git fast-import` stream that recreates the repository's
/// history. `contents` yields, for commit `i`, the full new content of each
/// changed file.
fn fast_import_stream(repo: &RepoData) -> Vec<u8> {
    let mut tree = WorkTree::default();
    let mut out = Vec::new();
    let mut replay = crate::generate::HistoryReplay::new(repo);
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
    fn blob_and_empty_tree_ids_match_git() {
        // Well-known ids: `git hash-object` of "hello\n" and the empty tree.
        assert_eq!(
            hex(&object_id("blob", b"hello\n")),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            hex(&WorkTree::default().tree_id()),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
    }

    #[test]
    fn traversal_is_refused() {
        let d = Path::new("/tmp/x.git");
        assert!(safe_join(d, "../etc/passwd").is_none());
        assert!(safe_join(d, "objects//x").is_none());
        assert!(safe_join(d, "info/refs").is_some());
    }
}
