//! Parsing `git log -z --numstat` incrementally, one NUL-separated token at a time.

use anyhow::{Result, anyhow, bail};

/// Header fields of one commit, each NUL-terminated by `-z`; the record starts with 0x1e.
pub(super) const LOG_FORMAT: &str =
    "--format=tformat:%x1e%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B";
const HEADER_FIELDS: usize = 9;

/// One file of a commit's `--numstat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileStat {
    pub(super) path: String,
    pub(super) added: i64,
    pub(super) removed: i64,
}

/// One commit of `git log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LogCommit {
    pub(super) hash: String,
    pub(super) parents: Vec<String>,
    pub(super) author_name: String,
    pub(super) author_email: String,
    pub(super) author_date: String,
    pub(super) committer_name: String,
    pub(super) committer_email: String,
    pub(super) committer_date: String,
    pub(super) message: String,
    pub(super) files: Vec<FileStat>,
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
pub(super) struct LogParser {
    state: ParseState,
    fields: Vec<Vec<u8>>,
    current: Option<LogCommit>,
}

impl LogParser {
    pub(super) fn new() -> Self {
        Self {
            state: ParseState::Start,
            fields: Vec::with_capacity(HEADER_FIELDS),
            current: None,
        }
    }

    /// Feeds one token; returns a commit when `token` completes the previous one.
    pub(super) fn push(&mut self, token: Vec<u8>) -> Result<Option<LogCommit>> {
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
    pub(super) fn finish(mut self) -> Result<Option<LogCommit>> {
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
