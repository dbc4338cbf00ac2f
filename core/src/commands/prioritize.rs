//! `aveloxis prioritize TARGET` and `aveloxis recollect URL...`: operator requests on the
//! queue for repositories already tracked.

use anyhow::{Context, Result, bail};
use sqlx::PgConnection;

use crate::config::Config;
use crate::forge::{Target, parse_target, redact_userinfo};
use crate::{queue, repos};

/// A repository id, or the URL of a tracked repository.
async fn resolve(conn: &mut PgConnection, cfg: &Config, target: &str) -> Result<i64> {
    if let Ok(id) = target.parse::<i64>() {
        if !repos::exists(conn, id).await? {
            bail!("no repository with id {id}");
        }
        return Ok(id);
    }
    let Target::Repo(r) = parse_target(target, cfg)? else {
        bail!("{}: name a repository", redact_userinfo(target));
    };
    repos::find(conn, &r.web_url(cfg)).await?.with_context(|| {
        format!(
            "{} is not tracked (add it with `aveloxis add-repo`)",
            r.web_url(cfg)
        )
    })
}

pub(super) async fn prioritize(conn: &mut PgConnection, cfg: &Config, target: &str) -> Result<()> {
    let id = resolve(conn, cfg, target).await?;
    queue::prioritize(conn, id).await?;
    println!("repository {id} is next in the queue");
    Ok(())
}

pub(super) async fn recollect(
    conn: &mut PgConnection,
    cfg: &Config,
    urls: &[String],
) -> Result<()> {
    for u in urls {
        let id = resolve(conn, cfg, u).await?;
        queue::request_full(conn, id).await?;
        println!("repository {id}: next collection is full");
    }
    Ok(())
}
