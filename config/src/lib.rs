//! `aveloxis.json`: the operator's configuration, with environment overrides.
//!
//! The file keeps the upstream layout (`database.host/port/user/password/dbname/sslmode`,
//! `collection.*`, …). Unknown keys are errors, not silently ignored: a typo such as `"hots"`
//! would otherwise connect to the default host. Environment variables named
//! `AVELOXIS_<SECTION>_<KEY>` (e.g. `AVELOXIS_DATABASE_PASSWORD`) override the file; an override
//! for a key that does not exist is an error too.
//!
//! Secrets (`database.password`) never appear in `Debug`, logs or error messages.
//!
//! This crate is the one place the operator's settings are modelled; the daemon and the harness
//! both read `aveloxis.json` through it. It also owns [`Platform`] and the host rule that maps a
//! URL to the configured forge it belongs to.

mod database;
mod platform;
mod secret;

pub use database::{DatabaseConfig, SslMode, connect};
pub use platform::Platform;
pub use secret::{Secret, scrub, token_problem};

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

/// Day of the weekly materialized-view rebuild, or `disabled`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RebuildDay {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
    Disabled,
}

impl RebuildDay {
    pub fn as_str(self) -> &'static str {
        match self {
            RebuildDay::Monday => "monday",
            RebuildDay::Tuesday => "tuesday",
            RebuildDay::Wednesday => "wednesday",
            RebuildDay::Thursday => "thursday",
            RebuildDay::Friday => "friday",
            RebuildDay::Saturday => "saturday",
            RebuildDay::Sunday => "sunday",
            RebuildDay::Disabled => "disabled",
        }
    }
}

impl FromStr for RebuildDay {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase()))
            .map_err(|_| format!("unknown matview_rebuild_day {s:?} (a weekday or \"disabled\")"))
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CollectionConfig {
    /// Concurrent collection workers of `serve`.
    pub workers: u32,
    /// Incremental window: collect what changed in the last N days.
    pub days_until_recollect: u32,
    /// Ignore incremental windows and always collect everything.
    pub force_full_collection: bool,
    pub matview_rebuild_day: RebuildDay,
    pub matview_rebuild_on_startup: bool,
    /// Where bare clones for commit collection live.
    pub repo_clone_dir: PathBuf,
    /// The repository group of repositories added by their own URL (not by an owner's URL and
    /// without `add-repo --group`): every repository belongs to a group, as in Augur.
    pub default_repo_group: String,
    /// Contributor profiles fetched (`/users/{login}`, `/users/:id`) after each repository's
    /// collection, at most; 0 turns the enrichment off.
    pub enrich_per_run: u32,
    /// A profile is fetched again when it is older than this many days.
    pub enrich_after_days: u32,
    /// Requests of each API key's window that the enrichment never spends (the core phases
    /// keep them).
    pub key_reserve: u32,
    /// Commit e-mails the facade could not resolve, looked up through one of their commits on
    /// the forge after each repository's collection, at most; 0 turns the lookup off.
    pub resolve_per_run: u32,
    /// Staged pages written per processing transaction, at most (fewer when they are large):
    /// what a collection holds in memory and in one transaction.
    pub process_chunk_pages: u32,
    /// MiB of bodies `serve`'s ETag cache keeps (a 304 costs no rate budget); 0: none. A
    /// one-shot `collect` keeps none (it never asks for the same listing twice).
    pub etag_cache_mib: u32,
}

/// Augur's name for the group of repositories added alone.
pub const DEFAULT_REPO_GROUP: &str = "Default Repo Group";

impl Default for CollectionConfig {
    fn default() -> Self {
        CollectionConfig {
            workers: 12,
            days_until_recollect: 1,
            force_full_collection: false,
            matview_rebuild_day: RebuildDay::Saturday,
            matview_rebuild_on_startup: false,
            repo_clone_dir: PathBuf::from("repos"),
            default_repo_group: DEFAULT_REPO_GROUP.to_owned(),
            enrich_per_run: 50,
            enrich_after_days: 30,
            key_reserve: 500,
            resolve_per_run: 50,
            process_chunk_pages: 100,
            etag_cache_mib: 64,
        }
    }
}

/// One forge's addresses. A section may give either address alone: the other is derived from
/// it (a self-hosted `web_url` never leaves `api_url` pointing at the public forge, where the
/// instance's tokens would be sent).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForgeConfig {
    /// REST API base, e.g. `https://api.github.com` or `https://ghe.example/api/v3`.
    pub api_url: String,
    /// Web base used for repository URLs and the prelim HEAD check.
    pub web_url: String,
}

impl ForgeConfig {
    fn github() -> Self {
        ForgeConfig {
            api_url: "https://api.github.com".into(),
            web_url: "https://github.com".into(),
        }
    }
    fn gitlab() -> Self {
        ForgeConfig {
            api_url: "https://gitlab.com/api/v4".into(),
            web_url: "https://gitlab.com".into(),
        }
    }

    /// Fill the addresses the file and the environment left out: both from `public`, or one
    /// from the other (`web_url` + `api_path` is the API of a self-hosted instance).
    fn resolve(
        &mut self,
        section: &str,
        public: ForgeConfig,
        api_path: &str,
    ) -> Result<(), String> {
        for (key, value) in [("api_url", &self.api_url), ("web_url", &self.web_url)] {
            // A token or password in a forge address would travel in every URL we log or show.
            if url::Url::parse(value)
                .is_ok_and(|u| !u.username().is_empty() || u.password().is_some())
            {
                return Err(format!(
                    "{section}.{key} carries credentials (user:password@ in the URL); give the \
                     address alone and add API keys with `aveloxis add-key`"
                ));
            }
        }
        let api = self.api_url.trim_end_matches('/').to_owned();
        let web = self.web_url.trim_end_matches('/').to_owned();
        match (api.is_empty(), web.is_empty()) {
            (true, true) => *self = public,
            (true, false) if web == public.web_url => self.api_url = public.api_url,
            (true, false) => self.api_url = format!("{web}{api_path}"),
            (false, true) if api == public.api_url => self.web_url = public.web_url,
            (false, true) => match api.strip_suffix(api_path) {
                Some(base) if !base.is_empty() => self.web_url = base.to_owned(),
                _ => {
                    return Err(format!(
                        "{section}.web_url is required: it cannot be derived from api_url \
                         {api:?} (expected …{api_path})"
                    ));
                }
            },
            (false, false) => {}
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorConfig {
    /// Dashboard listen address; loopback unless the operator says otherwise.
    pub addr: String,
    /// Further names the dashboard answers to in the `Host` header (`name` or `name:port`,
    /// e.g. behind a reverse proxy). The bound address, and `localhost` when bound to
    /// loopback, are always allowed; any other `Host` is refused (DNS rebinding).
    pub hosts: Vec<String>,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            addr: "127.0.0.1:5555".into(),
            hosts: Vec::new(),
        }
    }
}

/// The whole `aveloxis.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub database: DatabaseConfig,
    #[serde(default)]
    pub collection: CollectionConfig,
    #[serde(default)]
    pub github: ForgeConfig,
    #[serde(default)]
    pub gitlab: ForgeConfig,
    #[serde(default)]
    pub monitor: MonitorConfig,
}

/// A configuration problem, always naming the file or variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} not found (create it, or pass --config PATH)")]
    Missing(PathBuf),
    #[error("config file {path} could not be read: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: DatabaseConfig::default(),
            collection: CollectionConfig::default(),
            github: ForgeConfig::github(),
            gitlab: ForgeConfig::gitlab(),
            monitor: MonitorConfig::default(),
        }
    }
}

const SECTIONS: &[&str] = &["DATABASE", "COLLECTION", "GITHUB", "GITLAB", "MONITOR"];

impl Config {
    /// Read `path`, then apply `AVELOXIS_*` overrides from the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Self::load_with_env(path, std::env::vars())
    }

    pub fn load_with_env(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::Missing(path.to_owned()));
            }
            Err(source) => {
                return Err(ConfigError::Unreadable {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let invalid = |message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let mut cfg = Self::parse_raw(&text).map_err(invalid)?;
        cfg.apply_env(env)?;
        cfg.resolve().map_err(invalid)?;
        Ok(cfg)
    }

    /// Parse JSON text (no environment).
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut cfg = Self::parse_raw(text)?;
        cfg.resolve()?;
        Ok(cfg)
    }

    /// The file as written: forge addresses it leaves out are still empty.
    fn parse_raw(text: &str) -> Result<Config, String> {
        serde_json::from_str(text).map_err(|e| without_values(&e.to_string()))
    }

    /// Derive the forge addresses left out (after the environment had its say).
    fn resolve(&mut self) -> Result<(), String> {
        if self.collection.default_repo_group.trim().is_empty() {
            return Err(
                "collection.default_repo_group is empty: name the group of repositories \
                        added by their own URL (Augur's is \"Default Repo Group\")"
                    .into(),
            );
        }
        self.github
            .resolve("github", ForgeConfig::github(), "/api/v3")?;
        self.gitlab
            .resolve("gitlab", ForgeConfig::gitlab(), "/api/v4")
    }

    fn apply_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (var, value) in env {
            let Some(rest) = var.strip_prefix("AVELOXIS_") else {
                continue;
            };
            let Some(section) = SECTIONS
                .iter()
                .find(|s| rest.strip_prefix(**s).is_some_and(|r| r.starts_with('_')))
            else {
                continue;
            };
            let key = rest[section.len() + 1..].to_ascii_lowercase();
            self.set(section, &key, &value)
                .map_err(|message| ConfigError::Env {
                    var: var.clone(),
                    message,
                })?;
        }
        Ok(())
    }

    fn set(&mut self, section: &str, key: &str, v: &str) -> Result<(), String> {
        fn num<T: FromStr>(v: &str) -> Result<T, String> {
            v.trim()
                .parse()
                .map_err(|_| format!("{v:?} is not a valid number"))
        }
        fn boolean(v: &str) -> Result<bool, String> {
            match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(format!("{v:?} is not a boolean")),
            }
        }
        let d = &mut self.database;
        let c = &mut self.collection;
        match (section, key) {
            ("DATABASE", "host") => d.host = v.to_owned(),
            ("DATABASE", "port") => d.port = num(v)?,
            ("DATABASE", "user") => d.user = v.to_owned(),
            ("DATABASE", "password") => d.password = Secret::new(v),
            ("DATABASE", "dbname") => d.dbname = v.to_owned(),
            ("DATABASE", "sslmode") => d.sslmode = v.parse()?,
            ("DATABASE", "lock_timeout_ms") => d.lock_timeout_ms = num(v)?,
            ("DATABASE", "collectoss_schema") => d.collectoss_schema = boolean(v)?,
            ("COLLECTION", "workers") => c.workers = num(v)?,
            ("COLLECTION", "days_until_recollect") => c.days_until_recollect = num(v)?,
            ("COLLECTION", "force_full_collection") => c.force_full_collection = boolean(v)?,
            ("COLLECTION", "matview_rebuild_day") => c.matview_rebuild_day = v.parse()?,
            ("COLLECTION", "matview_rebuild_on_startup") => {
                c.matview_rebuild_on_startup = boolean(v)?
            }
            ("COLLECTION", "repo_clone_dir") => c.repo_clone_dir = PathBuf::from(v),
            ("COLLECTION", "default_repo_group") => c.default_repo_group = v.to_owned(),
            ("COLLECTION", "enrich_per_run") => c.enrich_per_run = num(v)?,
            ("COLLECTION", "enrich_after_days") => c.enrich_after_days = num(v)?,
            ("COLLECTION", "key_reserve") => c.key_reserve = num(v)?,
            ("COLLECTION", "resolve_per_run") => c.resolve_per_run = num(v)?,
            ("COLLECTION", "process_chunk_pages") => c.process_chunk_pages = num(v)?,
            ("COLLECTION", "etag_cache_mib") => c.etag_cache_mib = num(v)?,
            ("GITHUB", "api_url") => self.github.api_url = v.to_owned(),
            ("GITHUB", "web_url") => self.github.web_url = v.to_owned(),
            ("GITLAB", "api_url") => self.gitlab.api_url = v.to_owned(),
            ("GITLAB", "web_url") => self.gitlab.web_url = v.to_owned(),
            ("MONITOR", "addr") => self.monitor.addr = v.to_owned(),
            ("MONITOR", "hosts") => {
                self.monitor.hosts = v
                    .split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            _ => return Err(format!("no setting {}.{key}", section.to_ascii_lowercase())),
        }
        Ok(())
    }

    pub fn lock_timeout(&self) -> Duration {
        Duration::from_millis(self.database.lock_timeout_ms)
    }
}

/// A serde_json message with the offending value left out: "invalid type: integer `12345`,
/// expected a string" quotes what the file holds, and that may be a password. Unknown keys
/// and variants, line and column stay (they name the mistake, not a secret).
fn without_values(message: &str) -> String {
    for lead in ["invalid type: ", "invalid value: "] {
        if let Some(i) = message.find(lead) {
            let rest = &message[i + lead.len()..];
            // The last ", expected" is serde's own (a value may contain the phrase).
            if let Some(j) = rest.rfind(", expected") {
                let kind = rest[..j].split([' ', '`', '"']).next().unwrap_or("");
                return format!("{}{lead}{kind}{}", &message[..i], &rest[j..]);
            }
        }
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_forge_address_are_refused_without_being_echoed() {
        for text in [
            r#"{"github": {"api_url": "https://x-token:ghp_s3cr3t@ghe.example/api/v3"}}"#,
            r#"{"gitlab": {"web_url": "https://glpat_s3cr3t@gl.example"}}"#,
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(
                e.contains("carries credentials") && !e.contains("s3cr3t"),
                "{e}"
            );
        }
        // The same through the environment: the variable is named, the value is not shown.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aveloxis.json");
        std::fs::write(&path, "{}").unwrap();
        let e = Config::load_with_env(
            &path,
            [(
                "AVELOXIS_GITHUB_API_URL".to_string(),
                "https://u:ghp_s3cr3t@ghe.example/api/v3".to_string(),
            )],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("github.api_url") && !e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn the_default_repo_group_is_augurs_unless_named_and_never_empty() {
        let c = Config::parse("{}").unwrap();
        assert_eq!(c.collection.default_repo_group, "Default Repo Group");
        let c = Config::parse(r#"{"collection": {"default_repo_group": "Ours"}}"#).unwrap();
        assert_eq!(c.collection.default_repo_group, "Ours");
        let e = Config::parse(r#"{"collection": {"default_repo_group": " "}}"#).unwrap_err();
        assert!(e.contains("collection.default_repo_group is empty"), "{e}");
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn upstream_layout_parses_and_defaults_fill_in() {
        let c = Config::parse(
            r#"{"database": {"host": "db.internal", "port": 5433, "user": "augur",
                "password": "s3cret", "dbname": "augur", "sslmode": "require"},
                "collection": {"workers": 4, "matview_rebuild_day": "disabled"}}"#,
        )
        .unwrap();
        assert_eq!(c.database.host, "db.internal");
        assert_eq!(c.database.port, 5433);
        assert_eq!(c.database.sslmode, SslMode::Require);
        assert_eq!(c.collection.workers, 4);
        assert_eq!(c.collection.days_until_recollect, 1);
        assert_eq!(c.collection.matview_rebuild_day, RebuildDay::Disabled);
        assert!(!c.database.collectoss_schema);
        assert_eq!(c.monitor.addr, "127.0.0.1:5555");
        assert_eq!(c.gitlab.api_url, "https://gitlab.com/api/v4");
    }

    #[test]
    fn a_forge_address_given_alone_derives_the_other() {
        let c = Config::parse(r#"{"gitlab": {"web_url": "https://gl.example/"}}"#).unwrap();
        assert_eq!(c.gitlab.api_url, "https://gl.example/api/v4");
        assert_eq!(c.github.api_url, "https://api.github.com");
        let c = Config::parse(r#"{"gitlab": {"api_url": "https://gl.example/api/v4"}}"#).unwrap();
        assert_eq!(c.gitlab.web_url, "https://gl.example");
        let c = Config::parse(r#"{"github": {"web_url": "https://ghe.example"}}"#).unwrap();
        assert_eq!(c.github.api_url, "https://ghe.example/api/v3");
        assert_eq!(c.gitlab.web_url, "https://gitlab.com");
        let c = Config::parse(r#"{"github": {"api_url": "https://api.github.com/"}}"#).unwrap();
        assert_eq!(c.github.web_url, "https://github.com");
        let e = Config::parse(r#"{"gitlab": {"api_url": "https://gl.example/v4"}}"#).unwrap_err();
        assert!(e.contains("gitlab.web_url is required"), "{e}");

        // The environment counts as written: a self-hosted web address from it moves the API too.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aveloxis.json");
        std::fs::write(&path, "{}").unwrap();
        let c = Config::load_with_env(
            &path,
            env(&[("AVELOXIS_GITLAB_WEB_URL", "https://gl.internal")]),
        )
        .unwrap();
        assert_eq!(c.gitlab.api_url, "https://gl.internal/api/v4");
        let c = Config::load_with_env(&path, env(&[])).unwrap();
        assert_eq!(c.gitlab.api_url, "https://gitlab.com/api/v4");
        assert_eq!(c.github.web_url, "https://github.com");
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let e = Config::parse(r#"{"database": {"hots": "x"}}"#).unwrap_err();
        assert!(e.contains("hots"), "{e}");
        let e = Config::parse(r#"{"databse": {}}"#).unwrap_err();
        assert!(e.contains("databse"), "{e}");
        let e =
            Config::parse(r#"{"collection": {"matview_rebuild_day": "caturday"}}"#).unwrap_err();
        assert!(e.contains("caturday"), "{e}");
    }

    #[test]
    fn values_of_the_wrong_type_are_not_echoed() {
        for (text, secret) in [
            (r#"{"database": {"password": 12345678}}"#, "12345678"),
            (r#"{"database": {"port": "pw, expected x9y8"}}"#, "x9y8"),
            (r#"{"database": {"port": 70000}}"#, "70000"),
            (r#"{"database": {"password": ["hunter2"]}}"#, "hunter2"),
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(!e.contains(secret), "{e}");
            assert!(e.contains("line 1 column"), "{e}");
            assert!(e.contains("invalid"), "{e}");
        }
    }

    #[test]
    fn password_never_shows_in_debug_or_errors() {
        let c = Config::parse(r#"{"database": {"password": "hunter2-pw", "port": "x"}}"#);
        let e = c.unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        let c = Config::parse(r#"{"database": {"password": "hunter2-pw"}}"#).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!c.database.display().contains("hunter2"));
    }

    #[test]
    fn env_overrides_the_file_and_unknown_overrides_fail() {
        let mut c = Config::default();
        c.apply_env(env(&[
            ("AVELOXIS_DATABASE_PORT", "6543"),
            ("AVELOXIS_DATABASE_PASSWORD", "pw"),
            ("AVELOXIS_COLLECTION_FORCE_FULL_COLLECTION", "true"),
            ("AVELOXIS_DATABASE_COLLECTOSS_SCHEMA", "yes"),
            ("AVELOXIS_PG_BIN", "/elsewhere"),
            ("HOME", "/root"),
        ]))
        .unwrap();
        assert_eq!(c.database.port, 6543);
        assert_eq!(c.database.password.expose(), "pw");
        assert!(c.collection.force_full_collection);
        assert!(c.database.collectoss_schema);
        let e = c
            .apply_env(env(&[("AVELOXIS_DATABASE_HOTS", "x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("AVELOXIS_DATABASE_HOTS"), "{e}");
        let e = c
            .apply_env(env(&[("AVELOXIS_DATABASE_PORT", "fifty")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("AVELOXIS_DATABASE_PORT") && e.contains("fifty"),
            "{e}"
        );
    }

    #[test]
    fn missing_and_malformed_files_name_the_path() {
        let dir = std::env::temp_dir().join(format!("aveloxis-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("nope.json");
        let e = Config::load_with_env(&missing, vec![])
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope.json") && e.contains("not found"), "{e}");
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{\"database\": ").unwrap();
        let e = Config::load_with_env(&bad, vec![]).unwrap_err().to_string();
        assert!(e.contains("bad.json") && e.contains("not valid"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
