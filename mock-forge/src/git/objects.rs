//! Git objects computed in process: blob, tree and commit ids, and the
//! working tree whose root tree id a commit records.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};

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
}
