//! Labor: lines of code per file and language of a repository's default branch, from its bare
//! clone, into `repo_labor` (one row per file of the tree) and `repos.languages` (bytes of code
//! per language, the shape of GitHub's `/languages`).
//!
//! Languages and line kinds are [tokei]'s: the maintained Rust line counter, which knows
//! ~300 languages with their comment and string syntax (nested comments, embedded languages),
//! and counts a buffer without touching the file system — we feed it the blobs `git cat-file
//! --batch` streams, so nothing is checked out. A language is told from the path alone (file
//! name, suffix, extension; an extension-less script is not opened for its shebang), never
//! from a local file.
//!
//! Bounded cost: a tree already scanned (same tree id, `aveloxis_ops.labor_scans`) is not
//! scanned again; only blobs of a known language up to [`MAX_BLOB`] bytes are read; bigger ones
//! and files of no known language get a row without line counts. One analysis per repository
//! is kept (the latest, written in one transaction); its `rl_analysis_date` is the counted
//! commit's committer date, so counting one tree twice gives the same rows.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use sqlx::{Connection, PgConnection};
use tokei::LanguageType;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::git::git_command;

/// Blobs bigger than this are not read (generated or vendored files; their row has no counts).
pub const MAX_BLOB: u64 = 1 << 20;

/// A file of the tree.
#[derive(Debug)]
struct Entry {
    blob: String,
    size: u64,
    path: String,
    language: Option<LanguageType>,
}

/// One `repo_labor` row.
#[derive(Debug, Serialize)]
struct Row<'a> {
    path: &'a str,
    name: &'a str,
    language: Option<&'static str>,
    total: Option<i64>,
    code: Option<i64>,
    comments: Option<i64>,
    blanks: Option<i64>,
}

/// What a scan did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LaborCounts {
    /// Files of the tree (rows written).
    pub files: u64,
    /// Files whose lines were counted.
    pub counted: u64,
}

/// The language of a path, from the path alone. tokei falls back to reading a shebang from the
/// path it is given, so it is given a path under a directory that cannot exist.
fn language_of(path: &str) -> Option<LanguageType> {
    let nowhere = Path::new("/proc/aveloxis-nowhere").join(path.trim_start_matches('/'));
    LanguageType::from_path(nowhere, &tokei::Config::default())
}

async fn git_out(bare: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = git_command()
        .arg("--git-dir")
        .arg(bare)
        .args(args)
        .output()
        .await
        .with_context(|| format!("run git {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "git {} in {} failed: {}",
            args.join(" "),
            bare.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

/// The blobs of `tree` (`ls-tree -r -z --long`: `mode type id size\tpath`).
fn parse_tree(listing: &[u8]) -> Vec<Entry> {
    listing
        .split(|b| *b == 0)
        .filter_map(|rec| {
            // The path is bytes (any name git allows); the metadata before the tab is ASCII.
            let tab = rec.iter().position(|b| *b == b'\t')?;
            let meta = std::str::from_utf8(&rec[..tab]).ok()?;
            let path = String::from_utf8_lossy(&rec[tab + 1..]);
            let mut f = meta.split_whitespace();
            let (mode, kind, blob, size) = (f.next()?, f.next()?, f.next()?, f.next()?);
            // Blobs only: no submodules (commits), no symbolic links.
            if kind != "blob" || mode == "120000" {
                return None;
            }
            Some(Entry {
                blob: blob.to_owned(),
                size: size.parse().ok()?,
                language: language_of(&path),
                path: path.into_owned(),
            })
        })
        .collect()
}

/// Line counts of the blobs `wanted` (indices into `entries`), streamed by one
/// `git cat-file --batch`.
async fn count_lines(
    bare: &Path,
    entries: &[Entry],
    wanted: &[usize],
) -> Result<BTreeMap<usize, tokei::CodeStats>> {
    let mut child = git_command()
        .arg("--git-dir")
        .arg(bare)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("run git cat-file --batch")?;
    let mut stdin = child.stdin.take().context("cat-file stdin")?;
    let ids: String = wanted
        .iter()
        .map(|&i| format!("{}\n", entries[i].blob))
        .collect();
    let feed = tokio::spawn(async move {
        let r = stdin.write_all(ids.as_bytes()).await;
        drop(stdin);
        r
    });
    let mut out = BufReader::new(child.stdout.take().context("cat-file stdout")?);
    let config = tokei::Config::default();
    let mut stats = BTreeMap::new();
    let mut header = String::new();
    let mut body = Vec::new();
    for &i in wanted {
        header.clear();
        out.read_line(&mut header).await?;
        let size: usize = match header.split_whitespace().collect::<Vec<_>>()[..] {
            [_, "blob", size] => size.parse()?,
            _ => bail!(
                "git cat-file answered {:?} for {}",
                header.trim(),
                entries[i].blob
            ),
        };
        body.resize(size + 1, 0);
        out.read_exact(&mut body).await?;
        body.pop();
        if let Some(lang) = entries[i].language {
            stats.insert(i, lang.parse_from_slice(&body, &config).summarise());
        }
    }
    feed.await??;
    child.wait().await?;
    Ok(stats)
}

/// Scan the default branch of `bare` for `repo_id` unless its tree was scanned already.
/// `None` when nothing was done (an empty repository, or an unchanged tree).
pub async fn scan_labor(
    conn: &mut PgConnection,
    repo_id: i64,
    bare: &Path,
) -> Result<Option<LaborCounts>> {
    let Ok(tree) = git_out(bare, &["rev-parse", "--verify", "--quiet", "HEAD^{tree}"]).await else {
        return Ok(None);
    };
    let tree = String::from_utf8_lossy(&tree).trim().to_owned();
    let done: Option<String> =
        sqlx::query_scalar("SELECT tree_id FROM aveloxis_ops.labor_scans WHERE repo_id = $1")
            .bind(repo_id)
            .fetch_optional(&mut *conn)
            .await?;
    if done.as_deref() == Some(tree.as_str()) {
        return Ok(None);
    }
    // The analysis is as of the counted commit (its committer date), so two counts of one tree
    // agree to the value.
    let as_of = git_out(bare, &["log", "-1", "--format=%cI", "HEAD"]).await?;
    let as_of = String::from_utf8_lossy(&as_of).trim().to_owned();
    let listing = git_out(bare, &["ls-tree", "-r", "-z", "--long", &tree]).await?;
    let entries = parse_tree(&listing);
    let wanted: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].language.is_some() && entries[i].size <= MAX_BLOB)
        .collect();
    let stats = count_lines(bare, &entries, &wanted).await?;
    write(conn, (repo_id, &tree, &as_of), &entries, &stats).await?;
    Ok(Some(LaborCounts {
        files: entries.len() as u64,
        counted: stats.len() as u64,
    }))
}

/// The analysis, replacing the last one, with the languages' bytes and the scanned tree.
async fn write(
    conn: &mut PgConnection,
    (repo_id, tree, as_of): (i64, &str, &str),
    entries: &[Entry],
    stats: &BTreeMap<usize, tokei::CodeStats>,
) -> Result<()> {
    let mut bytes: BTreeMap<&'static str, u64> = BTreeMap::new();
    let rows: Vec<Row<'_>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let s = stats.get(&i);
            let language = e.language.map(|l| l.name());
            if let Some(l) = language {
                *bytes.entry(l).or_default() += e.size;
            }
            Row {
                path: &e.path,
                name: e.path.rsplit('/').next().unwrap_or(&e.path),
                language,
                total: s.map(|s| s.lines() as i64),
                code: s.map(|s| s.code as i64),
                comments: s.map(|s| s.comments as i64),
                blanks: s.map(|s| s.blanks as i64),
            }
        })
        .collect();
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM aveloxis_data.repo_labor WHERE repo_id = $1")
        .bind(repo_id)
        .execute(&mut *tx)
        .await?;
    for chunk in rows.chunks(5000) {
        sqlx::query(include_str!("sql/insert_labor.sql"))
            .bind(repo_id)
            .bind(sqlx::types::Json(chunk))
            .bind(crate::TOOL_VERSION)
            .bind(as_of)
            .execute(&mut *tx)
            .await
            .context("insert repo_labor")?;
    }
    crate::repos::set_languages(&mut tx, repo_id, &serde_json::to_value(&bytes)?).await?;
    sqlx::query(
        "INSERT INTO aveloxis_ops.labor_scans (repo_id, tree_id, files, scanned_at)
         VALUES ($1, $2, $3, now())
         ON CONFLICT (repo_id) DO UPDATE
            SET tree_id = EXCLUDED.tree_id, files = EXCLUDED.files, scanned_at = now()",
    )
    .bind(repo_id)
    .bind(tree)
    .bind(entries.len() as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_come_from_the_path_alone() {
        assert_eq!(language_of("src/main.rs"), Some(LanguageType::Rust));
        assert_eq!(language_of("Makefile"), Some(LanguageType::Makefile));
        assert_eq!(language_of("docs/README"), None);
        assert_eq!(language_of("/etc/passwd"), None);
    }

    #[test]
    fn the_tree_listing_keeps_blobs_only() {
        let listing = b"100644 blob aaaa      12\tsrc/a.rs\0\
120000 blob bbbb       5\tlink.rs\0\
160000 commit cccc       -\tvendor/sub\0\
100755 blob dddd     300\tbin/run.sh\0";
        let e = parse_tree(listing);
        let got: Vec<(&str, u64, Option<LanguageType>)> = e
            .iter()
            .map(|e| (e.path.as_str(), e.size, e.language))
            .collect();
        assert_eq!(
            got,
            vec![
                ("src/a.rs", 12, Some(LanguageType::Rust)),
                ("bin/run.sh", 300, Some(LanguageType::Sh))
            ]
        );
    }
}
