//! The operator's setup, for `data-test --forge live`: their `aveloxis.json` (the primary
//! database and the forge URLs) and the API keys of that database's `aveloxis_ops.worker_oauth`.
//!
//! The file is read by the daemon's own configuration code ([`aveloxis_config`]): the
//! same defaults, `AVELOXIS_<SECTION>_<KEY>` overrides, unknown-key rejection and derivation
//! of a forge address given alone. The harness additionally requires an explicit `database`
//! section (the database the keys are read from), and only ever *reads* that database (its
//! session is `default_transaction_read_only`). Neither the database password nor a token is
//! ever printed: both are [`Secret`]s, and the database is shown as a redacted URL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
pub use aveloxis_config::Platform;
use aveloxis_config::{Config, ConfigError, DatabaseConfig, ForgeConfig, Secret, token_problem};
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::report::redact;

/// The table the daemon's keys live in.
pub const KEY_TABLE: &str = "aveloxis_ops.worker_oauth";

/// `postgres://***@host:port/dbname`: what messages and reports may show of a database.
pub fn shown(db: &DatabaseConfig) -> String {
    redact(&format!(
        "postgres://{}@{}:{}/{}",
        db.user, db.host, db.port, db.dbname
    ))
}

/// Connect read-only (every transaction of the session is `READ ONLY`).
pub async fn connect_read_only(db: &DatabaseConfig) -> Result<PgConnection> {
    let o = db
        .connect_options()
        .application_name("aveloxis-harness")
        .options([("default_transaction_read_only", "on")])
        .disable_statement_logging();
    match tokio::time::timeout(Duration::from_secs(15), o.connect()).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => bail!(
            "could not connect to the operator database {}: {}",
            shown(db),
            aveloxis_config::scrub(&e.to_string(), db.password.expose())
        ),
        Err(_) => bail!(
            "could not connect to the operator database {}: timed out after 15 s",
            shown(db)
        ),
    }
}

/// What the harness uses of the operator's `aveloxis.json`.
#[derive(Clone, Debug)]
pub struct OperatorConfig {
    pub path: PathBuf,
    pub config: Config,
}

/// `--operator-config`, else `$AVELOXIS_CONFIG` (when set and not empty), else `aveloxis.json`.
pub fn config_path(explicit: Option<&Path>, env: Option<std::ffi::OsString>) -> PathBuf {
    match (explicit, env) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(e)) if !e.is_empty() => PathBuf::from(e),
        _ => PathBuf::from("aveloxis.json"),
    }
}

impl OperatorConfig {
    /// Read `path` with the `AVELOXIS_*` overrides in `env`, as the daemon would.
    pub fn load(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<OperatorConfig> {
        let shown_path = path.display();
        let config = Config::load_with_env(path, env).map_err(|e| match e {
            ConfigError::Missing(_) => anyhow::anyhow!(
                "operator config {shown_path} not found (pass --operator-config PATH or set \
                 $AVELOXIS_CONFIG)"
            ),
            ConfigError::Invalid { message, .. } => {
                anyhow::anyhow!("operator config {shown_path} is not valid: {message}")
            }
            e => anyhow::anyhow!("operator config: {e}"),
        })?;
        // The daemon would fall back to a local default database; the keys must come from the
        // operator's real one, so the file has to say which.
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("operator config {shown_path} could not be read"))?;
        let root: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("operator config {shown_path} is not valid"))?;
        if !root.get("database").is_some_and(|d| d.is_object()) {
            bail!(
                "operator config {shown_path} is not valid: no database section (the operator's \
                 primary database, where the keys are read)"
            );
        }
        Ok(OperatorConfig {
            path: path.to_path_buf(),
            config,
        })
    }

    pub fn database(&self) -> &DatabaseConfig {
        &self.config.database
    }

    pub fn forge(&self, p: Platform) -> &ForgeConfig {
        self.config.forge(p)
    }

    /// The platform a repository URL belongs to: the configured web URL with the same host and
    /// port (as the collector decides).
    pub fn platform_of(&self, repo: &str) -> Result<Platform> {
        let u = url::Url::parse(repo.trim()).with_context(|| format!("{repo:?} is not a URL"))?;
        if !u.username().is_empty() || u.password().is_some() {
            bail!(
                "{}: credentials in repository URLs are not accepted",
                redact(repo)
            );
        }
        self.config.platform_of(&u).with_context(|| {
            format!(
                "{repo}: host is neither the operator's GitHub ({}) nor GitLab ({}) in {}",
                self.config.github.web_url,
                self.config.gitlab.web_url,
                self.path.display()
            )
        })
    }
}

/// One key of the operator's `worker_oauth`.
#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub token: Secret,
    pub platform: Platform,
}

/// The operator's usable keys for `platforms`, in `oauth_id` order. A platform without a key is
/// an error naming the table and the (redacted) database.
pub async fn read_keys(db: &DatabaseConfig, platforms: &[Platform]) -> Result<Vec<Key>> {
    let mut conn = connect_read_only(db).await?;
    let result = async {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(KEY_TABLE)
            .fetch_one(&mut conn)
            .await
            .with_context(|| format!("reading {KEY_TABLE} of {}", shown(db)))?;
        if !exists {
            bail!(
                "{} has no {KEY_TABLE} (is it the operator's migrated aveloxis database?)",
                shown(db)
            );
        }
        let names: Vec<&str> = platforms.iter().map(|p| p.name()).collect();
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT name, access_token, platform FROM aveloxis_ops.worker_oauth
              WHERE platform = ANY($1) ORDER BY oauth_id",
        )
        .bind(&names)
        .fetch_all(&mut conn)
        .await
        .with_context(|| format!("reading {KEY_TABLE} of {}", shown(db)))?;
        let keys: Vec<Key> = rows
            .into_iter()
            .filter(|(_, token, _)| token_problem(token).is_none())
            .filter_map(|(name, token, platform)| {
                let platform = platforms.iter().copied().find(|p| p.name() == platform)?;
                Some(Key {
                    name,
                    token: Secret::new(token),
                    platform,
                })
            })
            .collect();
        for p in platforms {
            if !keys.iter().any(|k| k.platform == *p) {
                bail!(
                    "no {} keys in {KEY_TABLE} of {} (add one with `aveloxis add-key`)",
                    p.name(),
                    shown(db)
                );
            }
        }
        Ok(keys)
    }
    .await;
    let _ = conn.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load(text: &str, vars: &[(&str, &str)]) -> Result<OperatorConfig> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aveloxis.json");
        std::fs::write(&path, text).unwrap();
        OperatorConfig::load(&path, env(vars))
    }

    #[test]
    fn the_config_keeps_its_secrets_and_takes_the_daemons_defaults_and_overrides() {
        let c = load(
            r#"{"database": {"host": "db", "password": "hunter2", "dbname": "ops"},
                "github": {"api_url": "http://ghe/api/v3", "web_url": "http://ghe"},
                "collection": {"workers": 3}, "monitor": {}}"#,
            &[
                ("AVELOXIS_DATABASE_PORT", "6543"),
                ("AVELOXIS_GITLAB_WEB_URL", "https://gl.example"),
                ("PATH", "/bin"),
            ],
        )
        .unwrap();
        assert_eq!(c.database().port, 6543);
        assert_eq!(c.database().user, "postgres");
        assert_eq!(shown(c.database()), "postgres://***@db:6543/ops");
        assert!(!format!("{c:?}").contains("hunter2"));
        // A self-hosted GitLab given by its web address alone gets its own API, as in the daemon.
        assert_eq!(
            c.forge(Platform::GitLab).api_url,
            "https://gl.example/api/v4"
        );
        assert_eq!(c.platform_of("http://ghe/a/b").unwrap(), Platform::GitHub);
        assert_eq!(
            c.platform_of("https://gl.example/g/s/p").unwrap(),
            Platform::GitLab
        );
        assert!(c.platform_of("https://github.com/a/b").is_err());
        assert!(c.platform_of("http://u:pw@ghe/a/b").is_err());
        let e = load(r#"{"database": {}}"#, &[("AVELOXIS_DATABASE_PORT", "x")]).unwrap_err();
        assert!(e.to_string().contains("AVELOXIS_DATABASE_PORT"), "{e}");
    }

    #[test]
    fn bad_configs_are_named_without_their_values() {
        let e = load(r#"{"github": {}}"#, &[]).unwrap_err();
        assert!(e.to_string().contains("no database section"), "{e}");
        let e = load(r#"{"database": {"password": 12345}}"#, &[]).unwrap_err();
        assert!(
            e.to_string().contains("invalid type") && !e.to_string().contains("12345"),
            "{e}"
        );
        assert!(load("{", &[]).is_err());
        assert!(load(r#"{"database": {"port": 70000}}"#, &[]).is_err());
        let e = load(r#"{"database": {"hots": "x"}}"#, &[]).unwrap_err();
        assert!(e.to_string().contains("hots"), "{e}");
        assert_eq!(
            config_path(None, Some("/etc/a.json".into())),
            PathBuf::from("/etc/a.json")
        );
        assert_eq!(
            config_path(Some(Path::new("x.json")), Some("/etc/a.json".into())),
            PathBuf::from("x.json")
        );
        assert_eq!(
            config_path(None, Some("".into())),
            PathBuf::from("aveloxis.json")
        );
        assert_eq!(config_path(None, None), PathBuf::from("aveloxis.json"));
    }
}
