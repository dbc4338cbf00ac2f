//! `git clone` over git's read-only "dumb" HTTP protocol: the bare
//! repository is built with real git on the first request for it (once per
//! repository, off the async workers), then served file by file. A private
//! repository (and its old names) answers only requests carrying a key
//! ([`access::git_access`]); strangers get a 401 challenge.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;

use super::access;
use crate::forge::{Forge, Lookup};
use crate::git;
use crate::http::{Reply, Req};

/// Answers a request below `/{owner}/{repo}.git/`.
pub async fn git_http(forge: &Arc<Forge>, req: &Req) -> Reply {
    let trimmed = req.path.trim_start_matches('/');
    let mut it = trimmed.splitn(3, '/');
    let (owner, repo_git, rest) = (
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
    );
    let name = repo_git.trim_end_matches(".git");
    if !req.is_read() {
        return Reply::text(
            403,
            "mock-forge serves git over the read-only dumb HTTP protocol\n",
        );
    }
    let found = forge.lookup(&format!("{owner}/{name}"));
    if let Lookup::Repo(i) | Lookup::Moved(i) = found
        && let Some(dialect) = forge.private_web(i)
        && let Err(refused) = access::git_access(forge, req, dialect)
    {
        return refused;
    }
    let i = match found {
        Lookup::Repo(i) => i,
        Lookup::Moved(i) => {
            let q = if req.raw_query.is_empty() {
                String::new()
            } else {
                format!("?{}", req.raw_query)
            };
            let loc = format!(
                "{}/{}.git/{rest}{q}",
                forge.base,
                forge.world.repos[i].full_name()
            );
            return Reply::text(301, "Moved Permanently\n").with("location", loc);
        }
        Lookup::Gone => return Reply::text(410, "Repository gone\n"),
        Lookup::Missing => return Reply::text(404, "Repository not found\n"),
    };
    let dir = match bare_repo(forge, i).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "mock-forge: cannot build git repository");
            return Reply::text(
                500,
                format!("mock-forge could not build the repository: {e}\n"),
            );
        }
    };
    let Some(file) = git::safe_join(&dir, rest) else {
        return Reply::text(404, "Not found\n");
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => Reply {
            status: 200,
            headers: vec![
                ("content-type".into(), git::dumb_content_type(rest).into()),
                ("cache-control".into(), "no-cache".into()),
            ],
            body: Bytes::from(bytes),
        },
        Err(_) => Reply::text(404, "Not found\n"),
    }
}

/// The bare repository of repository `i`, built on first use.
async fn bare_repo(forge: &Arc<Forge>, i: usize) -> Result<PathBuf, String> {
    let f2 = Arc::clone(forge);
    forge.git_dirs[i]
        .get_or_init(|| async move {
            tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                let repo = &f2.world.repos[i];
                let r = git::build_bare_repo(&f2.git_root, repo).map_err(|e| format!("{e:#}"));
                tracing::info!(repo = %repo.full_name(), ms = started.elapsed().as_millis() as u64, ok = r.is_ok(), "mock-forge: built bare repository");
                r
            })
            .await
            .unwrap_or_else(|e| Err(format!("build task failed: {e}")))
        })
        .await
        .clone()
}
