//! Contributor enrichment: the profiles behind the logins the collection met.
//!
//! Listings carry only a user's login and id; the profile (`GET /users/{login}` on GitHub,
//! `GET /users/:id` on GitLab) carries the name, company, location, public e-mail, creation
//! date and type that affiliation views need. After a repository's core phases, up to
//! `collection.enrich_per_run` contributors of its platform that were never enriched, or not
//! for `collection.enrich_after_days`, are fetched, oldest first — so the work is bounded per
//! run and resumes where the last run stopped. Requests use only keys with more than
//! `collection.key_reserve` requests left ([`ForgeClient::get_reserved`]): the phase stops the
//! moment every key is down to its reserve, and it never fails the collection.
//!
//! The profile is a full document, so what it says overwrites (a cleared company becomes NULL),
//! except the e-mail: a profile without a public e-mail keeps the one commits gave.

use anyhow::Result;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::config::Config;
use crate::forge::Platform;
use crate::forge::client::{ForgeClient, ForgeError};

/// What one enrichment pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Enriched {
    /// Profiles fetched and written.
    pub profiles: u64,
    /// Accounts the forge no longer has under that login or id (404): stamped, not retried
    /// until the period passes.
    pub not_found: u64,
    /// The pass stopped because every key was down to its reserve.
    pub reserve_reached: bool,
}

/// Contributors of `platform` due for their profile, oldest first: (id, login or user id).
async fn due(
    conn: &mut PgConnection,
    platform: Platform,
    cfg: &Config,
) -> Result<Vec<(Uuid, String)>> {
    let c = &cfg.collection;
    let sql = match platform {
        Platform::GitHub => {
            "SELECT cntrb_id, gh_login FROM aveloxis_data.contributors
              WHERE gh_user_id IS NOT NULL AND coalesce(gh_login, '') <> ''
                AND (cntrb_last_enriched_at IS NULL
                     OR cntrb_last_enriched_at < now() - make_interval(days => $1))
              ORDER BY cntrb_last_enriched_at NULLS FIRST, cntrb_id LIMIT $2"
        }
        Platform::GitLab => {
            "SELECT cntrb_id, gl_id::text FROM aveloxis_data.contributors
              WHERE gl_id IS NOT NULL
                AND (cntrb_last_enriched_at IS NULL
                     OR cntrb_last_enriched_at < now() - make_interval(days => $1))
              ORDER BY cntrb_last_enriched_at NULLS FIRST, cntrb_id LIMIT $2"
        }
    };
    Ok(sqlx::query_as(sql)
        .bind(c.enrich_after_days as i32)
        .bind(c.enrich_per_run as i64)
        .fetch_all(conn)
        .await?)
}

/// Contributors with a forge identity whose profile is missing or older than the period (the
/// enrichment's backlog, shown by the monitor).
pub async fn pending(conn: &mut PgConnection, cfg: &Config) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_data.contributors
          WHERE (gh_user_id IS NOT NULL OR gl_id IS NOT NULL)
            AND (cntrb_last_enriched_at IS NULL
                 OR cntrb_last_enriched_at < now() - make_interval(days => $1))",
    )
    .bind(cfg.collection.enrich_after_days as i32)
    .fetch_one(conn)
    .await?)
}

/// The Augur contributor columns of a profile: (full name, company, location, e-mail,
/// created at, type).
fn profile(platform: Platform, v: &Value) -> [Value; 6] {
    let text = |k: &str| match v[k].as_str().map(str::trim) {
        Some(s) if !s.is_empty() => Value::String(s.to_owned()),
        _ => Value::Null,
    };
    match platform {
        Platform::GitHub => [
            text("name"),
            text("company"),
            text("location"),
            text("email"),
            v["created_at"].clone(),
            text("type"),
        ],
        Platform::GitLab => {
            let kind = if v["bot"].as_bool() == Some(true) {
                "Bot"
            } else {
                "User"
            };
            [
                text("name"),
                text("organization"),
                text("location"),
                text("public_email"),
                v["created_at"].clone(),
                Value::String(kind.into()),
            ]
        }
    }
}

async fn write(conn: &mut PgConnection, id: Uuid, p: Option<[Value; 6]>) -> Result<()> {
    let Some([name, company, location, email, created, kind]) = p else {
        sqlx::query(
            "UPDATE aveloxis_data.contributors SET cntrb_last_enriched_at = now() WHERE cntrb_id = $1",
        )
        .bind(id)
        .execute(conn)
        .await?;
        return Ok(());
    };
    sqlx::query(
        "UPDATE aveloxis_data.contributors
            SET cntrb_full_name = $2, cntrb_company = $3, cntrb_location = $4,
                cntrb_email = coalesce($5, cntrb_email), cntrb_created_at = $6::timestamptz,
                cntrb_type = $7, cntrb_last_enriched_at = now()
          WHERE cntrb_id = $1",
    )
    .bind(id)
    .bind(name.as_str())
    .bind(company.as_str())
    .bind(location.as_str())
    .bind(email.as_str())
    .bind(created.as_str())
    .bind(kind.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// One enrichment pass for `platform` through `client` (whose API base is `api`).
pub async fn run(
    conn: &mut PgConnection,
    cfg: &Config,
    client: &ForgeClient,
    api: &str,
) -> Result<Enriched> {
    let platform = client.platform();
    let mut done = Enriched::default();
    if cfg.collection.enrich_per_run == 0 {
        return Ok(done);
    }
    let reserve = cfg.collection.key_reserve as i64;
    for (id, who) in due(conn, platform, cfg).await? {
        // GitHub logins are letters, digits and dashes (bots end in `[bot]`), GitLab ids digits:
        // anything else is not a forge's and is never put in a URL.
        let name = who.strip_suffix("[bot]").unwrap_or(&who);
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            tracing::warn!(cntrb_id = %id, "contributor login is not a forge login; not enriched");
            write(conn, id, None).await?;
            continue;
        }
        let url = format!("{}/users/{who}", api.trim_end_matches('/'));
        match client.get_reserved(&url, reserve).await {
            Ok(page) => {
                write(conn, id, Some(profile(platform, &page.body))).await?;
                done.profiles += 1;
            }
            Err(ForgeError::NotFound { .. } | ForgeError::Gone { .. }) => {
                write(conn, id, None).await?;
                done.not_found += 1;
            }
            Err(ForgeError::Reserved { .. }) => {
                done.reserve_reached = true;
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}
