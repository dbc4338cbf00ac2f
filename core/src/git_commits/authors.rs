//! Author e-mails → contributors: an alias, else `contributors.cntrb_email`, else a new
//! e-mail-only contributor with a random id plus an alias row (so the id is stable across
//! runs); and the affiliation of an e-mail's domain.

use std::collections::HashMap;

use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::DATA_SOURCE;
use super::log::LogCommit;

/// Advisory lock serialising the creation of e-mail-only contributors across concurrent facade
/// runs (two repositories sharing a new author must end with one contributor).
const CONTRIBUTOR_LOCK_KEY: i64 = 0x4156_4C58_4641_4344; // "AVLXFACD"

/// Existing contributors for normalised e-mails: by alias first, then by `cntrb_email`
/// (preferring contributors with a forge identity).
const LOOKUP_AUTHORS: &str = include_str!("sql/lookup_authors.sql");
const INSERT_ALIASES: &str = include_str!("sql/insert_aliases.sql");
const INSERT_CONTRIBUTORS: &str = include_str!("sql/insert_contributors.sql");

/// Normalised e-mail: trimmed, lower-case, without surrounding angle brackets.
pub(super) fn normalize_email(raw: &str) -> String {
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
pub(super) struct Affiliations(HashMap<String, String>);

impl Affiliations {
    pub(super) async fn load(conn: &mut PgConnection) -> Result<Self> {
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
    pub(super) fn of(&self, email: &str) -> Option<String> {
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

/// Normalised author e-mail → contributor, for every e-mail seen in this run.
#[derive(Debug, Default)]
pub(super) struct Authors(HashMap<String, Uuid>);

impl Authors {
    pub(super) fn get(&self, email: &str) -> Option<&Uuid> {
        self.0.get(email)
    }

    /// Makes sure every author e-mail of `batch` has a contributor.
    pub(super) async fn resolve(
        &mut self,
        conn: &mut PgConnection,
        batch: &[LogCommit],
    ) -> Result<()> {
        // normalised → (raw, name) of the first commit seen with it
        let mut wanted: HashMap<String, (&str, &str)> = HashMap::new();
        for c in batch {
            let email = normalize_email(&c.author_email);
            if email.is_empty() || self.0.contains_key(&email) {
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
                    self.0.insert(email.clone(), *alias_id);
                }
                Some((None, Some(email_id))) => {
                    self.0.insert(email.clone(), *email_id);
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
        self.create_missing(conn, &wanted, missing).await
    }

    /// Creation is serialised: under the lock, look again (another run may have just created
    /// the same people), then create whoever is still unknown.
    async fn create_missing(
        &mut self,
        conn: &mut PgConnection,
        wanted: &HashMap<String, (&str, &str)>,
        missing: Vec<String>,
    ) -> Result<()> {
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
                    self.0.insert(email.clone(), *id);
                }
                _ => {
                    let id = Uuid::new_v4();
                    self.0.insert(email.clone(), id);
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
