//! A forge key for git: private repositories are cloned and fetched with one of their platform's
//! keys, sent the way the forges take it over HTTP — Basic credentials with the key as the
//! password (GitHub: user `x-access-token`; GitLab: user `oauth2`).
//!
//! The key reaches git only through its environment: `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_n` /
//! `GIT_CONFIG_VALUE_n` set `http.<origin>/.extraHeader` for the forge's origin alone
//! (`scheme://host[:port]/`, so git sends it to no other host) and `http.followRedirects=false`
//! (so no redirect, nor a dumb-HTTP alternate, carries it elsewhere). It is never in argv (which
//! every user of the machine can read), never in the remote URL or the clone's config (which stay
//! on disk), and never in `Debug` output or errors: [`GitAuth::scrub`] masks it in git's stderr.

use anyhow::{Result, bail};
use tokio::process::Command;

use crate::config::Secret;
use crate::forge::Platform;
use crate::forge::keys::KeyPool;

/// One key for the git commands of one repository, scoped to its forge's origin.
pub struct GitAuth {
    /// `scheme://host[:port]/` of the forge.
    origin: String,
    /// The Basic user name the platform expects with a key.
    user: &'static str,
    /// The `oauth_id` of the key (for logs).
    key_id: i64,
    token: Secret,
    /// `base64(user:token)`, as it appears in the header.
    encoded: Secret,
}

impl std::fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitAuth")
            .field("origin", &self.origin)
            .field("user", &self.user)
            .field("key_id", &self.key_id)
            .field("token", &self.token)
            .finish()
    }
}

impl GitAuth {
    /// Credentials with `token` (key `key_id` of `platform`) for the forge serving `url`, which
    /// must be an `http` or `https` URL.
    pub fn new(platform: Platform, url: &str, key_id: i64, token: &Secret) -> Result<GitAuth> {
        let user = match platform {
            Platform::GitHub => "x-access-token",
            Platform::GitLab => "oauth2",
        };
        let origin = origin_of(url)?;
        let encoded = base64(format!("{user}:{}", token.expose()).as_bytes());
        Ok(GitAuth {
            origin,
            user,
            key_id,
            token: token.clone(),
            encoded: Secret::new(encoded),
        })
    }

    /// Credentials with a key of `keys` (any valid one: the API's rate limits do not apply to
    /// git) for the forge serving `url`; `None` when the pool has no valid key, and git goes
    /// anonymously (which a public repository allows).
    pub fn lend(keys: &KeyPool, platform: Platform, url: &str) -> Result<Option<GitAuth>> {
        match keys.lend() {
            Some(key) => GitAuth::new(platform, url, key.id, &key.token).map(Some),
            None => Ok(None),
        }
    }

    /// The origin the key is sent to (`scheme://host[:port]/`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The `oauth_id` of the key.
    pub fn key_id(&self) -> i64 {
        self.key_id
    }

    /// Hands the key to `cmd` through its environment (after any `GIT_CONFIG_COUNT` entries
    /// the daemon itself was given), with redirects off and git's traces redacted.
    pub(super) fn apply(&self, cmd: &mut Command) {
        let first: usize = std::env::var("GIT_CONFIG_COUNT")
            .ok()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        let header = format!("Authorization: Basic {}", self.encoded.expose());
        let entries = [
            (format!("http.{}.extraHeader", self.origin), header),
            ("http.followRedirects".to_string(), "false".to_string()),
        ];
        for (i, (key, value)) in entries.iter().enumerate() {
            cmd.env(format!("GIT_CONFIG_KEY_{}", first + i), key)
                .env(format!("GIT_CONFIG_VALUE_{}", first + i), value);
        }
        cmd.env("GIT_CONFIG_COUNT", (first + entries.len()).to_string())
            .env("GIT_TRACE_REDACT", "1");
    }

    /// `text` with the key and its encoded form masked.
    pub(super) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in [&self.encoded, &self.token] {
            out = crate::config::scrub(&out, secret.expose());
        }
        out
    }
}

/// `scheme://host[:port]/` of an `http(s)` URL (the port only when it is not the default).
fn origin_of(url: &str) -> Result<String> {
    let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        bail!(
            "a key is sent to git only over http(s), not to {}",
            super::redact_url(url)
        );
    }
    Ok(format!("{}/", parsed.origin().ascii_serialization()))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(DIGITS[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
        assert_eq!(
            base64(b"x-access-token:mock-token-0"),
            "eC1hY2Nlc3MtdG9rZW46bW9jay10b2tlbi0w"
        );
    }

    #[test]
    fn the_key_is_scoped_to_the_origin_and_never_shown() {
        let token = Secret::new("glpat-secret");
        let a = GitAuth::new(
            Platform::GitLab,
            "https://user:pw@gitlab.example:443/g/sub/p.git",
            3,
            &token,
        )
        .unwrap();
        assert_eq!(a.origin(), "https://gitlab.example/");
        let b = GitAuth::new(Platform::GitHub, "http://127.0.0.1:8080/o/r.git", 4, &token);
        assert_eq!(b.unwrap().origin(), "http://127.0.0.1:8080/");
        let shown = format!("{a:?}");
        assert!(
            !shown.contains("glpat") && !shown.contains(a.encoded.expose()),
            "{shown}"
        );
        let said = format!("fatal: {} glpat-secret", a.encoded.expose());
        assert_eq!(a.scrub(&said), "fatal: *** ***");
        let e = GitAuth::new(Platform::GitHub, "ssh://git@host/o/r.git", 1, &token);
        assert!(e.unwrap_err().to_string().contains("only over http(s)"));
        assert!(GitAuth::new(Platform::GitHub, "/srv/r.git", 1, &token).is_err());
    }
}
