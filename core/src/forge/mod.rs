//! Talking to forges: URLs, keys, the HTTP choke point, where a repository is now.

mod body;
pub mod client;
mod etag;
pub mod keys;
mod links;
pub mod locate;

use anyhow::{Result, bail};

use crate::config::Config;

pub use aveloxis_config::Platform;

/// A repository on a forge, as the operator named it (normalised).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoRef {
    pub platform: Platform,
    /// GitHub: the owner; GitLab: the full group path (`group/subgroup`).
    pub owner: String,
    pub name: String,
}

impl RepoRef {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
    /// Canonical web URL, `repos.repo_git`.
    pub fn web_url(&self, cfg: &Config) -> String {
        let base = match self.platform {
            Platform::GitHub => &cfg.github.web_url,
            Platform::GitLab => &cfg.gitlab.web_url,
        };
        format!("{}/{}", base.trim_end_matches('/'), self.full_name())
    }
}

/// What an operator-supplied URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Repo(RepoRef),
    /// A GitHub organisation/user or a GitLab group: expands to its repositories.
    Owner {
        platform: Platform,
        owner: String,
    },
}

/// A path segment a forge could really have. Anything else (`..`, `%2e`, spaces, control
/// characters, shell or SQL metacharacters) is refused before it reaches a URL, a path or a log.
fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s != "."
        && s != ".."
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// First path segments that are the forges' own web routes (sign-in, sessions, settings,
/// dashboards), never an owner: a redirect to one of them is an answer for a stranger (a private
/// repository's sign-in page), not a repository's new home. `-` is GitLab's route separator
/// (`group/project/-/issues`); [`valid_segment`] already refuses it anywhere.
const WEB_ROUTES: &[&str] = &[
    "users",
    "login",
    "logout",
    "session",
    "sessions",
    "sign_in",
    "sign_up",
    "signup",
    "join",
    "oauth",
    "settings",
    "dashboard",
    "explore",
    "admin",
    "help",
    "search",
    "orgs",
    "organizations",
    "api",
    "assets",
    "uploads",
];

/// `input` safe to print: control characters dropped, `user:secret@` replaced, length capped.
pub fn redact_userinfo(input: &str) -> String {
    let clean: String = input
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if let Some(scheme_end) = clean.find("://") {
        let rest = &clean[scheme_end + 3..];
        let authority_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            return format!("{}://***@{}", &clean[..scheme_end], &rest[at + 1..]);
        }
    }
    clean
}

/// Parse a repository (or owner) URL against the configured forges.
pub fn parse_target(input: &str, cfg: &Config) -> Result<Target> {
    let shown = redact_userinfo(input);
    let u = url::Url::parse(input.trim())
        .map_err(|e| anyhow::anyhow!("{shown:?} is not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        bail!("{shown:?}: only http(s) repository URLs are supported");
    }
    if !u.username().is_empty() || u.password().is_some() {
        bail!(
            "{shown:?}: credentials in repository URLs are not accepted (use `aveloxis add-key`)"
        );
    }
    let platform = cfg.platform_of(&u).ok_or_else(|| {
        anyhow::anyhow!(
            "{shown:?}: host is neither the configured GitHub ({}) nor GitLab ({})",
            cfg.github.web_url,
            cfg.gitlab.web_url
        )
    })?;
    let raw: Vec<&str> = u.path().split('/').filter(|s| !s.is_empty()).collect();
    let mut segs: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
    if let Some(last) = segs.last_mut()
        && let Some(stripped) = last.strip_suffix(".git")
    {
        *last = stripped.to_owned();
    }
    if let Some(bad) = segs.iter().find(|s| !valid_segment(s)) {
        bail!("{shown:?}: {bad:?} is not a valid repository or owner name");
    }
    if let Some(first) = segs.first()
        && WEB_ROUTES.iter().any(|r| r.eq_ignore_ascii_case(first))
    {
        bail!(
            "{shown:?}: /{first} is a web route of the forge (sign-in, settings, …), not an owner"
        );
    }
    match (platform, segs.len()) {
        (_, 0) => bail!("{shown:?} names no repository"),
        (p, 1) => Ok(Target::Owner {
            platform: p,
            owner: segs.remove(0),
        }),
        (Platform::GitHub, 2) => Ok(Target::Repo(RepoRef {
            platform: Platform::GitHub,
            owner: segs[0].clone(),
            name: segs[1].clone(),
        })),
        (Platform::GitHub, _) => {
            bail!("{shown:?}: a GitHub repository URL is https://host/OWNER/REPO")
        }
        (Platform::GitLab, n) => Ok(Target::Repo(RepoRef {
            platform: Platform::GitLab,
            owner: segs[..n - 1].join("/"),
            name: segs[n - 1].clone(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised_and_classified() {
        let cfg = Config::default();
        assert_eq!(
            parse_target("https://github.com/chaoss/augur.git/", &cfg).unwrap(),
            Target::Repo(RepoRef {
                platform: Platform::GitHub,
                owner: "chaoss".into(),
                name: "augur".into()
            })
        );
        assert_eq!(
            parse_target("https://gitlab.com/grp/sub/proj", &cfg).unwrap(),
            Target::Repo(RepoRef {
                platform: Platform::GitLab,
                owner: "grp/sub".into(),
                name: "proj".into()
            })
        );
        assert_eq!(
            parse_target("https://github.com/chaoss", &cfg).unwrap(),
            Target::Owner {
                platform: Platform::GitHub,
                owner: "chaoss".into()
            }
        );
    }

    #[test]
    fn hostile_and_foreign_urls_are_refused_by_name() {
        let cfg = Config::default();
        for bad in [
            "https://github.com/o/..",
            "https://github.com/o/r%27;DROP",
            "https://github.com/o/<script>",
            "https://github.com/o/r/extra",
            "ftp://github.com/o/r",
            "https://user:tok@github.com/o/r",
            "https://evil.example/o/r",
            "not a url",
            "https://github.com/-o/r",
            "https://gitlab.com/users/sign_in",
            "https://github.com/login",
            "https://github.com/session/new",
            "https://gitlab.com/grp/proj/-/issues",
            "https://github.com/Users/x",
        ] {
            let e = parse_target(bad, &cfg).unwrap_err().to_string();
            assert!(!e.is_empty());
            assert!(!e.contains("tok"), "{e}");
        }
    }
}
