//! Author e-mails → contributors, cheapest first: an alias; else the GitHub account a noreply
//! address names (`id+login@users.noreply.github.com` by id, `login@…` by a known login); else
//! `contributors.cntrb_email`; else a new contributor — the named GitHub user for an
//! `id+login` address, an e-mail-only one with a random id otherwise — plus an alias row (so no
//! e-mail is resolved twice and the id is stable across runs); and the affiliation of an
//! e-mail's domain.

use std::collections::HashMap;

use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::DATA_SOURCE;
use super::log::LogCommit;
use crate::contributor_id::{PLATFORM_GITHUB, contributor_id};

/// Advisory lock serialising the creation of e-mail-only contributors across concurrent facade
/// runs (two repositories sharing a new author must end with one contributor).
const CONTRIBUTOR_LOCK_KEY: i64 = 0x4156_4C58_4641_4344; // "AVLXFACD"

/// Existing contributors for normalised e-mails: by alias first, then by `cntrb_email`
/// (preferring contributors with a forge identity).
const LOOKUP_AUTHORS: &str = include_str!("sql/lookup_authors.sql");
const INSERT_ALIASES: &str = include_str!("sql/insert_aliases.sql");
const INSERT_CONTRIBUTORS: &str = include_str!("sql/insert_contributors.sql");
const INSERT_GITHUB_AUTHORS: &str = include_str!("sql/insert_github_authors.sql");

/// The domain of GitHub's noreply commit addresses.
const GITHUB_NOREPLY: &str = "users.noreply.github.com";

/// The GitHub account a noreply address names: `(Some(id), login)` for `id+login@…`,
/// `(None, login)` for the older `login@…`. Logins are lower-cased (GitHub's are
/// case-insensitive); anything that is not a possible login is no match.
pub(super) fn github_noreply(email: &str) -> Option<(Option<i64>, String)> {
    let (local, domain) = email.rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(GITHUB_NOREPLY) {
        return None;
    }
    let (id, login) = match local.split_once('+') {
        Some((id, login)) => (Some(id.parse::<i64>().ok().filter(|i| *i > 0)?), login),
        None => (None, local),
    };
    let name = login.strip_suffix("[bot]").unwrap_or(login);
    let valid = !name.is_empty()
        && name.len() <= 39
        && !name.starts_with('-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    valid.then(|| (id, login.to_ascii_lowercase()))
}

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
    gh_id: Option<i64>,
    login: Option<String>,
}

/// A commit author known to be GitHub account `gh_id`/`login`, to be created as that account's
/// contributor (`id` is its deterministic id) with its e-mail as an alias.
#[derive(Debug, Serialize)]
pub(crate) struct GitHubAuthor<'a> {
    pub(crate) id: Uuid,
    pub(crate) email: &'a str,
    pub(crate) name: &'a str,
    pub(crate) gh_id: i64,
    pub(crate) login: String,
}

/// Create the contributors (with their GitHub identity and e-mail alias) of `authors`, none of
/// which is known yet; `source` is their `data_source`. An alias the e-mail already has stays.
pub(crate) async fn insert_github_accounts(
    conn: &mut PgConnection,
    authors: &[GitHubAuthor<'_>],
    source: &str,
) -> Result<()> {
    if authors.is_empty() {
        return Ok(());
    }
    sqlx::query(INSERT_GITHUB_AUTHORS)
        .bind(sqlx::types::Json(authors))
        .bind(crate::TOOL_VERSION)
        .bind(source)
        .execute(&mut *conn)
        .await
        .context("insert GitHub accounts of commit authors")?;
    Ok(())
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
                Some(Found {
                    alias: Some(id), ..
                }) => {
                    self.0.insert(email.clone(), *id);
                }
                Some(Found {
                    noreply: Some(id), ..
                })
                | Some(Found {
                    email: Some(id), ..
                }) => {
                    self.0.insert(email.clone(), *id);
                    new_aliases.push((*id, email.clone()));
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
        let mut github: Vec<GitHubAuthor<'_>> = Vec::new();
        let mut still_sorted: Vec<(&String, &(&str, &str))> = still.iter().collect();
        still_sorted.sort();
        for (email, (_, name)) in still_sorted {
            match (found.get(email).and_then(Found::any), github_noreply(email)) {
                (Some(id), _) => {
                    self.0.insert(email.clone(), id);
                }
                (None, Some((Some(gh_id), login))) => {
                    let id = contributor_id(PLATFORM_GITHUB, gh_id as u64);
                    self.0.insert(email.clone(), id);
                    github.push(GitHubAuthor {
                        id,
                        email,
                        name: name.trim(),
                        gh_id,
                        login,
                    });
                }
                (None, _) => {
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
        insert_github_accounts(conn, &github, DATA_SOURCE).await?;
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

/// What the lookup found for one e-mail, by the way it was found.
#[derive(Debug, Default)]
struct Found {
    alias: Option<Uuid>,
    noreply: Option<Uuid>,
    email: Option<Uuid>,
}

impl Found {
    /// The contributor, in order of trust: alias, noreply account, e-mail.
    fn any(&self) -> Option<Uuid> {
        self.alias.or(self.noreply).or(self.email)
    }
}

async fn lookup_authors(
    conn: &mut PgConnection,
    wanted: &HashMap<String, (&str, &str)>,
) -> Result<HashMap<String, Found>> {
    let keys: Vec<EmailKey<'_>> = wanted
        .iter()
        .map(|(email, (raw, _))| {
            let named = github_noreply(email);
            EmailKey {
                email,
                raw: raw.trim(),
                gh_id: named.as_ref().and_then(|(id, _)| *id),
                login: named.map(|(_, login)| login),
            }
        })
        .collect();
    let rows = sqlx::query(LOOKUP_AUTHORS)
        .bind(sqlx::types::Json(&keys))
        .fetch_all(&mut *conn)
        .await
        .context("look up commit authors")?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let found = Found {
            alias: row.try_get("alias_id")?,
            noreply: row.try_get("noreply_id")?,
            email: row.try_get("email_id")?,
        };
        out.insert(row.try_get::<String, _>("email")?, found);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::github_noreply;

    #[test]
    fn github_noreply_addresses_name_their_account() {
        assert_eq!(
            github_noreply("12345+octo-cat@users.noreply.github.com"),
            Some((Some(12345), "octo-cat".into()))
        );
        assert_eq!(
            github_noreply("49699333+dependabot[bot]@users.noreply.github.com"),
            Some((Some(49699333), "dependabot[bot]".into()))
        );
        assert_eq!(
            github_noreply("Octo-Cat@Users.NoReply.GitHub.com"),
            Some((None, "octo-cat".into()))
        );
        for not in [
            "octo@example.com",
            "x+octo@users.noreply.github.com",
            "0+octo@users.noreply.github.com",
            "12+@users.noreply.github.com",
            "-bad@users.noreply.github.com",
            "a.b@users.noreply.github.com",
            "octo@users.noreply.github.com.evil.example",
        ] {
            assert_eq!(github_noreply(not), None, "{not}");
        }
    }
}
