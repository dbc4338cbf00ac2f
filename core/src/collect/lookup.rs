//! Commit authors the facade could not resolve, looked up through the forge (GitHub): one
//! `GET /repos/{owner}/{name}/commits/{sha}` per still-unresolved e-mail — not per commit —
//! whose `author` names the account that commits with it. The e-mail's alias then points at
//! that account's contributor (created under its deterministic id when new) and its commits
//! are re-attributed. An e-mail is looked up once (`unresolved_commit_emails.looked_up_at`),
//! whatever the answer: a commit GitHub links to no account keeps its e-mail-only contributor.
//!
//! Bounded per run (`collection.resolve_per_run`), only through keys above
//! `collection.key_reserve`, after the core phases — it never fails a collection.

use anyhow::Result;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::config::Config;
use crate::contributor_id::{PLATFORM_GITHUB, contributor_id};
use crate::forge::client::{ForgeClient, ForgeError};
use crate::git_commits::{GitHubAuthor, insert_github_accounts};

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LookedUp {
    /// E-mails looked up.
    pub emails: u64,
    /// Of those, the ones the forge linked to an account (now resolved).
    pub resolved: u64,
    /// The pass stopped because every key was down to its reserve.
    pub reserve_reached: bool,
}

/// Unresolved e-mails of `repo_id`'s commits never looked up, each with its author name and
/// one of its commits.
async fn due(
    conn: &mut PgConnection,
    repo_id: i64,
    limit: i64,
) -> Result<Vec<(String, Option<String>, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.email, min(u.name), min(c.cmt_commit_hash)
           FROM aveloxis_data.unresolved_commit_emails u
           JOIN aveloxis_data.commits c ON c.cmt_author_email = u.email AND c.repo_id = $1
          WHERE u.looked_up_at IS NULL
          GROUP BY u.email ORDER BY u.email LIMIT $2",
    )
    .bind(repo_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Attribute `email` (of author `name`) to GitHub account (`id`, `login`): its contributor
/// (created when new, as the facade creates the accounts noreply addresses name), the alias,
/// every commit of the e-mail's former contributor; the e-mail leaves the unresolved list. One
/// transaction.
async fn attribute(
    conn: &mut PgConnection,
    (email, name): (&str, &str),
    id: i64,
    login: &str,
) -> Result<()> {
    let mut tx = conn.begin().await?;
    // The account may be known already, under another id when imported from Augur.
    let known: Option<Uuid> =
        sqlx::query_scalar("SELECT cntrb_id FROM aveloxis_data.contributors WHERE gh_user_id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let account = match known {
        Some(a) => a,
        None => {
            let new = GitHubAuthor {
                id: contributor_id(PLATFORM_GITHUB, id as u64),
                email,
                name,
                gh_id: id,
                login: login.to_owned(),
            };
            insert_github_accounts(&mut tx, &[new], "commit lookup").await?;
            contributor_id(PLATFORM_GITHUB, id as u64)
        }
    };
    let former: Option<Uuid> = sqlx::query_scalar(
        "SELECT cntrb_id FROM aveloxis_data.contributors_aliases WHERE alias_email = $1",
    )
    .bind(email)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO aveloxis_data.contributors_aliases (cntrb_id, canonical_email, alias_email,
                                                         tool_version, data_source)
         VALUES ($1, $2, $2, $3, 'commit lookup')
         ON CONFLICT (alias_email) DO UPDATE
            SET cntrb_id = EXCLUDED.cntrb_id, cntrb_last_modified = now()",
    )
    .bind(account)
    .bind(email)
    .bind(crate::TOOL_VERSION)
    .execute(&mut *tx)
    .await?;
    if let Some(former) = former.filter(|f| *f != account) {
        sqlx::query(
            "UPDATE aveloxis_data.commits SET cmt_ght_author_id = $2
              WHERE cmt_author_email = $3 AND cmt_ght_author_id = $1",
        )
        .bind(former)
        .bind(account)
        .bind(email)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM aveloxis_data.unresolved_commit_emails WHERE email = $1")
        .bind(email)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// One lookup pass for the GitHub repository `owner/name` (`repo_id`) through `client`.
pub async fn run(
    conn: &mut PgConnection,
    cfg: &Config,
    client: &ForgeClient,
    (repo_id, owner, name): (i64, &str, &str),
) -> Result<LookedUp> {
    let mut done = LookedUp::default();
    let limit = cfg.collection.resolve_per_run as i64;
    if limit == 0 {
        return Ok(done);
    }
    let api = cfg.github.api_url.trim_end_matches('/');
    for (email, author_name, sha) in due(conn, repo_id, limit).await? {
        let url = format!("{api}/repos/{owner}/{name}/commits/{sha}");
        let author = match client
            .get_reserved(&url, cfg.collection.key_reserve as i64)
            .await
        {
            Ok(page) => page.body["author"].clone(),
            Err(ForgeError::NotFound { .. } | ForgeError::Gone { .. }) => serde_json::Value::Null,
            Err(ForgeError::Reserved { .. }) => {
                done.reserve_reached = true;
                break;
            }
            Err(e) => return Err(e.into()),
        };
        done.emails += 1;
        match (author["id"].as_i64(), author["login"].as_str()) {
            (Some(id), Some(login)) => {
                let author = author_name.as_deref().unwrap_or("").trim();
                attribute(conn, (&email, author), id, login).await?;
                done.resolved += 1;
            }
            _ => {
                sqlx::query(
                    "UPDATE aveloxis_data.unresolved_commit_emails SET looked_up_at = now()
                      WHERE email = $1",
                )
                .bind(&email)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(done)
}
