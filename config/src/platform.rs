//! Forge platforms and the host rule: a URL belongs to the configured forge whose web address has
//! the same host and port (scheme defaults applied), and to no other.

use anyhow::{Result, bail};

use crate::{Config, ForgeConfig};

/// A forge platform, with its `aveloxis_data.platforms` id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    GitHub,
    GitLab,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::GitHub, Platform::GitLab];

    pub fn id(self) -> i16 {
        match self {
            Platform::GitHub => 1,
            Platform::GitLab => 2,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Platform::GitHub => "github",
            Platform::GitLab => "gitlab",
        }
    }
    /// The `platform` value of `worker_oauth` rows.
    pub fn key_name(self) -> &'static str {
        self.name()
    }
    pub fn from_id(id: i16) -> Option<Platform> {
        match id {
            1 => Some(Platform::GitHub),
            2 => Some(Platform::GitLab),
            _ => None,
        }
    }
    pub fn parse(s: &str) -> Result<Platform> {
        match s.to_ascii_lowercase().as_str() {
            "github" => Ok(Platform::GitHub),
            "gitlab" => Ok(Platform::GitLab),
            other => bail!("unknown platform {other:?} (github or gitlab)"),
        }
    }
}

/// `host:port` of a URL, lower-cased, with the scheme's default port filled in.
fn host_port(u: &url::Url) -> String {
    format!(
        "{}:{}",
        u.host_str().unwrap_or("").to_ascii_lowercase(),
        u.port_or_known_default().unwrap_or(0)
    )
}

impl Config {
    /// The configured forge section of `p`.
    pub fn forge(&self, p: Platform) -> &ForgeConfig {
        match p {
            Platform::GitHub => &self.github,
            Platform::GitLab => &self.gitlab,
        }
    }

    /// The platform whose configured web URL has `u`'s host and port, if any.
    pub fn platform_of(&self, u: &url::Url) -> Option<Platform> {
        let hp = host_port(u);
        Platform::ALL
            .into_iter()
            .find(|p| url::Url::parse(&self.forge(*p).web_url).is_ok_and(|b| host_port(&b) == hp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_belongs_to_the_forge_with_its_host_and_port() {
        let c = Config::parse(
            r#"{"github": {"web_url": "http://ghe:8080"}, "gitlab": {"web_url": "https://GL.example"}}"#,
        )
        .unwrap();
        let of = |s: &str| c.platform_of(&url::Url::parse(s).unwrap());
        assert_eq!(of("http://ghe:8080/a/b"), Some(Platform::GitHub));
        assert_eq!(of("https://gl.example:443/g/p"), Some(Platform::GitLab));
        assert_eq!(of("http://ghe/a/b"), None, "another port is another host");
        assert_eq!(
            of("https://github.com/a/b"),
            None,
            "the public forge is not configured"
        );
    }
}
