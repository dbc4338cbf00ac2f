//! Where a repository is now, asked of the forge's API with a key (the prelim check, the weekly
//! re-check of sidelined repositories, `add-repo --from-augur`).
//!
//! The web URL is never asked: an anonymous web request for a private repository answers what a
//! stranger sees (GitHub 404, GitLab a 302 to `/users/sign_in`), which says nothing about the
//! repository. The API answers with the repository's current name (GitHub `full_name`, after the
//! 301 a renamed repository answers; GitLab `path_with_namespace`), and that name becomes a
//! rename only when it parses as a repository of the same forge — a web route (`users/…`,
//! `-/…`, `login`) never does ([`super::parse_target`] refuses it), so it fails closed.

use anyhow::{Result, bail};
use serde_json::Value;

use super::client::{ForgeClient, ForgeError};
use super::{Platform, RepoRef, Target, parse_target};
use crate::config::Config;

/// What the forge's API says about a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// It is where we think (names compare case-insensitively, as both forges do).
    Here,
    /// It answers under another name: renamed or transferred.
    Moved(RepoRef),
    /// 404: deleted, or private to every key we have.
    NotFound,
    /// 410: blocked or removed.
    Gone,
}

/// `%`-encode a GitLab project path for `/projects/:id`.
pub fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The API URL of the repository itself (the same URL collection fetches first, so the second
/// request of a run is a conditional one).
pub fn api_url(cfg: &Config, repo: &RepoRef) -> String {
    match repo.platform {
        Platform::GitHub => format!(
            "{}/repos/{}/{}",
            cfg.github.api_url.trim_end_matches('/'),
            repo.owner,
            repo.name
        ),
        Platform::GitLab => format!(
            "{}/projects/{}?statistics=true",
            cfg.gitlab.api_url.trim_end_matches('/'),
            encode_path(&repo.full_name())
        ),
    }
}

/// Ask the API where `repo` is. Errors other than 404/410 (no keys, 5xx after retries, an answer
/// that names no repository or names a web route) are errors: nothing is renamed or sidelined
/// on them.
pub async fn locate(client: &ForgeClient, cfg: &Config, repo: &RepoRef) -> Result<Location> {
    let page = match client.get(&api_url(cfg, repo)).await {
        Ok(p) => p,
        Err(ForgeError::NotFound { .. }) => return Ok(Location::NotFound),
        Err(ForgeError::Gone { .. }) => return Ok(Location::Gone),
        Err(e) => return Err(e.into()),
    };
    let field = match repo.platform {
        Platform::GitHub => "full_name",
        Platform::GitLab => "path_with_namespace",
    };
    let Some(name) = page.body.get(field).and_then(Value::as_str) else {
        bail!(
            "{}: the API's answer for {} has no {field}; not collecting it",
            page.url,
            repo.full_name()
        );
    };
    if name.eq_ignore_ascii_case(&repo.full_name()) {
        return Ok(Location::Here);
    }
    let base = match repo.platform {
        Platform::GitHub => &cfg.github.web_url,
        Platform::GitLab => &cfg.gitlab.web_url,
    };
    let new_url = format!("{}/{name}", base.trim_end_matches('/'));
    match parse_target(&new_url, cfg) {
        Ok(Target::Repo(new)) if new.platform == repo.platform => Ok(Location::Moved(new)),
        Ok(_) => bail!(
            "the API names {name:?} for {}, which is not a repository of this forge; \
             not renaming",
            repo.full_name()
        ),
        Err(e) => bail!(
            "the API names {name:?} for {}, which is not a repository name ({e:#}); not renaming",
            repo.full_name()
        ),
    }
}
