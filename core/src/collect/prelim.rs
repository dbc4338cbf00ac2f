//! The prelim check: is the repository still where we think it is? It asks the forge's API with
//! a key ([`crate::forge::locate`]), never the anonymous web page (which a private repository
//! answers with a sign-in redirect or a 404). A rename rewrites the URL and keeps the old one; a
//! rename onto a repository already tracked marks this one a duplicate; 404/410 sideline it
//! (marked gone, reversible, data kept, dequeued). Anything else fails the run and changes
//! nothing.

use anyhow::{Result, bail};
use sqlx::{Connection, PgConnection};

use super::Outcome;
use crate::config::Config;
use crate::forge::client::ForgeClient;
use crate::forge::locate::{Location, locate};
use crate::forge::{RepoRef, Target, parse_target};
use crate::{queue, repos};

/// What the prelim check decided.
pub(super) enum Prelim {
    /// Collect this repository (renamed, if it moved).
    Collect(RepoRef),
    /// Do not collect: sidelined or a duplicate.
    Stop(Outcome),
}

pub(super) async fn check(
    conn: &mut PgConnection,
    cfg: &Config,
    client: &ForgeClient,
    repo_id: i64,
    url: &str,
) -> Result<Prelim> {
    let repo = match parse_target(url, cfg)? {
        Target::Repo(r) => r,
        Target::Owner { .. } => bail!("repository {repo_id}: {url} is not a repository URL"),
    };
    match locate(client, cfg, &repo).await? {
        Location::Here => Ok(Prelim::Collect(repo)),
        Location::NotFound => Ok(Prelim::Stop(sideline(conn, repo_id, 404).await?)),
        Location::Gone => Ok(Prelim::Stop(sideline(conn, repo_id, 410).await?)),
        Location::Moved(new) => {
            let new_url = new.web_url(cfg);
            if let Some(other) = repos::find(conn, &new_url).await?
                && other != repo_id
            {
                mark_duplicate(conn, repo_id, other, url).await?;
                return Ok(Prelim::Stop(Outcome::Duplicate { of_repo_id: other }));
            }
            rename(conn, repo_id, url, &new, &new_url).await?;
            tracing::info!(from = %url, to = %new_url, "repository renamed");
            Ok(Prelim::Collect(new))
        }
    }
}

async fn sideline(conn: &mut PgConnection, repo_id: i64, status: u16) -> Result<Outcome> {
    let mut tx = conn.begin().await?;
    repos::mark_gone(&mut tx, repo_id).await?;
    let text = if status == 410 {
        "Gone (410)"
    } else {
        "Gone (404)"
    };
    super::set_status(&mut tx, repo_id, text).await?;
    queue::dequeue(&mut tx, repo_id).await?;
    tx.commit().await?;
    tracing::warn!(
        repo_id,
        status,
        "repository is gone; sidelined (data kept, dequeued)"
    );
    Ok(Outcome::Sidelined { status })
}

async fn mark_duplicate(
    conn: &mut PgConnection,
    repo_id: i64,
    of: i64,
    old_url: &str,
) -> Result<()> {
    let mut tx = conn.begin().await?;
    repos::mark_gone(&mut tx, repo_id).await?;
    repos::record_old_url(&mut tx, of, old_url).await?;
    super::set_status(&mut tx, repo_id, &format!("Duplicate of repo {of}")).await?;
    queue::dequeue(&mut tx, repo_id).await?;
    tx.commit().await?;
    tracing::warn!(
        repo_id,
        of,
        "repository redirects to one already tracked; marked duplicate and dequeued"
    );
    Ok(())
}

async fn rename(
    conn: &mut PgConnection,
    repo_id: i64,
    old_url: &str,
    new: &RepoRef,
    new_url: &str,
) -> Result<()> {
    let mut tx = conn.begin().await?;
    repos::record_old_url(&mut tx, repo_id, old_url).await?;
    repos::rename(&mut tx, repo_id, new, new_url).await?;
    tx.commit().await?;
    Ok(())
}
