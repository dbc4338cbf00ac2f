//! Batched upserts of commits (one row per file), commit messages and parent links.

use std::collections::HashMap;

use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::authors::{Affiliations, Authors, normalize_email};
use super::dates::GitDate;
use super::log::LogCommit;
use super::{BATCH_ROWS, DATA_SOURCE, FacadeCounts};
use crate::quarantine::{self, Action, Entry};

const UPSERT_COMMITS: &str = include_str!("sql/upsert_commits.sql");
const UPSERT_MESSAGES: &str = include_str!("sql/upsert_messages.sql");
/// The commits rows of both ends exist by now: a batch's commits are written before its parent
/// links, and git lists parents before children.
const UPSERT_PARENTS: &str = include_str!("sql/upsert_parents.sql");

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

/// Accumulates commits and writes them in batches.
pub(super) struct Writer {
    pub(super) repo_id: i64,
    pub(super) affiliations: Affiliations,
    pub(super) authors: Authors,
    pub(super) batch: Vec<LogCommit>,
    pub(super) batch_rows: usize,
    pub(super) counts: FacadeCounts,
}

impl Writer {
    pub(super) fn push(&mut self, commit: LogCommit) {
        self.batch_rows += commit.files.len().max(1);
        self.batch.push(commit);
    }

    pub(super) fn full(&self) -> bool {
        self.batch_rows >= BATCH_ROWS || self.batch.len() >= BATCH_ROWS
    }

    pub(super) async fn flush(&mut self, conn: &mut PgConnection) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.batch_rows = 0;
        // Authors first, in their own short transaction: the contributor-creation lock is not
        // held while the batch is written, and people created here are reused by any rerun.
        let mut tx = conn.begin().await?;
        self.authors.resolve(&mut tx, &batch).await?;
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
        self.note_repaired_dates(&mut tx, &batch).await?;
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
        let (a, cm) = (
            GitDate::parse(&c.author_date),
            GitDate::parse(&c.committer_date),
        );
        let (ad, at, cd, ct) = (a.date, a.utc, cm.date, cm.utc);
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

    /// Note in the quarantine every commit of `batch` whose date was stored repaired (written,
    /// not held: see `dates`).
    async fn note_repaired_dates(
        &self,
        conn: &mut PgConnection,
        batch: &[LogCommit],
    ) -> Result<()> {
        for c in batch {
            let notes: Vec<String> = [("author", &c.author_date), ("committer", &c.committer_date)]
                .into_iter()
                .filter_map(|(who, d)| GitDate::parse(d).note.map(|n| format!("{who} date {n}")))
                .collect();
            if notes.is_empty() {
                continue;
            }
            let item = serde_json::json!({"hash": c.hash, "author_date": c.author_date,
                                          "committer_date": c.committer_date});
            let entry = Entry {
                repo_id: self.repo_id,
                staging_id: None,
                entity: "commit",
                target: "aveloxis_data.commits",
                item: &item,
                reason: notes.join("; "),
                action: Action::Normalised,
            };
            quarantine::record(conn, &entry)
                .await
                .context("note a repaired commit date")?;
        }
        Ok(())
    }
}
