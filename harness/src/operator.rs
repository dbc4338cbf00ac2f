//! The operator's setup, for `data-test --forge live`: their `aveloxis.json` (the primary
//! database and the forge URLs) and the API keys of that database's `aveloxis_ops.worker_oauth`.
//!
//! The harness reads only the keys it needs (`database.*`, `github.*`, `gitlab.*`; other
//! sections and keys are left to `aveloxis`), applies the same `AVELOXIS_<SECTION>_<KEY>`
//! environment overrides as the daemon for those keys, and only ever *reads* the operator's
//! database (its session is `default_transaction_read_only`). Neither the database password nor
//! a token is ever printed: both are [`Secret`]s, and the database is shown as a redacted URL.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::schema_check::redact;

/// The table the daemon's keys live in.
pub const KEY_TABLE: &str = "aveloxis_ops.worker_oauth";

/// A string that is never printed (`Debug` shows `***`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Platform {
    GitHub,
    GitLab,
}

impl Platform {
    /// The name `worker_oauth.platform` uses.
    pub fn name(self) -> &'static str {
        match self {
            Platform::GitHub => "github",
            Platform::GitLab => "gitlab",
        }
    }
}

/// A forge section (`github` / `gitlab`) of `aveloxis.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forge {
    pub api_url: String,
    pub web_url: String,
}

/// The `database` section of `aveloxis.json`.
#[derive(Clone, Debug)]
pub struct Database {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    pub dbname: String,
    pub sslmode: String,
}

impl Database {
    /// `postgres://***@host:port/dbname`: what messages and reports may show.
    pub fn display(&self) -> String {
        redact(&format!(
            "postgres://{}@{}:{}/{}",
            self.user, self.host, self.port, self.dbname
        ))
    }

    fn ssl_mode(&self) -> Result<PgSslMode> {
        Ok(match self.sslmode.as_str() {
            "disable" => PgSslMode::Disable,
            "allow" => PgSslMode::Allow,
            "prefer" => PgSslMode::Prefer,
            "require" => PgSslMode::Require,
            "verify-ca" => PgSslMode::VerifyCa,
            "verify-full" => PgSslMode::VerifyFull,
            other => bail!(
                "unknown sslmode {other:?} (expected disable, allow, prefer, require, verify-ca \
                 or verify-full)"
            ),
        })
    }

    /// Connect read-only (every transaction of the session is `READ ONLY`).
    pub async fn connect_read_only(&self) -> Result<PgConnection> {
        let mut o = PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .username(&self.user)
            .database(&self.dbname)
            .ssl_mode(self.ssl_mode()?)
            .application_name("aveloxis-harness")
            .options([("default_transaction_read_only", "on")])
            .disable_statement_logging();
        if !self.password.expose().is_empty() {
            o = o.password(self.password.expose());
        }
        match tokio::time::timeout(Duration::from_secs(15), o.connect()).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => bail!(
                "could not connect to the operator database {}: {e}",
                self.display()
            ),
            Err(_) => bail!(
                "could not connect to the operator database {}: timed out after 15 s",
                self.display()
            ),
        }
    }
}

/// What the harness uses of the operator's `aveloxis.json`.
#[derive(Clone, Debug)]
pub struct OperatorConfig {
    pub path: PathBuf,
    pub database: Database,
    pub github: Forge,
    pub gitlab: Forge,
}

/// `--operator-config`, else `$AVELOXIS_CONFIG` (when set and not empty), else `aveloxis.json`.
pub fn config_path(explicit: Option<&Path>, env: Option<std::ffi::OsString>) -> PathBuf {
    match (explicit, env) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(e)) if !e.is_empty() => PathBuf::from(e),
        _ => PathBuf::from("aveloxis.json"),
    }
}

fn string(section: &Map<String, Value>, name: &str, key: &str, default: &str) -> Result<String> {
    match section.get(key) {
        None | Some(Value::Null) => Ok(default.to_string()),
        Some(Value::String(s)) => Ok(s.clone()),
        // The value itself is never echoed: it may be a password.
        Some(_) => bail!("{name}.{key} must be a string"),
    }
}

fn forge(root: &Map<String, Value>, name: &str, default: Forge) -> Result<Forge> {
    match root.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Object(s)) => Ok(Forge {
            api_url: string(s, name, "api_url", &default.api_url)?,
            web_url: string(s, name, "web_url", &default.web_url)?,
        }),
        Some(_) => bail!("{name} must be an object"),
    }
}

impl OperatorConfig {
    /// Read `path` and apply the `AVELOXIS_*` overrides in `env` (for the keys used here).
    pub fn load(
        path: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<OperatorConfig> {
        let shown = path.display();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "operator config {shown} not found (pass --operator-config PATH or set \
                 $AVELOXIS_CONFIG)"
            ),
            Err(e) => bail!("operator config {shown} could not be read: {e}"),
        };
        let mut cfg =
            Self::parse(&text).with_context(|| format!("operator config {shown} is not valid"))?;
        cfg.path = path.to_path_buf();
        cfg.apply_env(env)?;
        Ok(cfg)
    }

    /// Parse the JSON text (no environment). Values are never quoted in errors.
    pub fn parse(text: &str) -> Result<OperatorConfig> {
        let root: Value = serde_json::from_str(text).map_err(|e| {
            // serde_json's syntax errors name a line and column, never a value.
            anyhow::anyhow!("not JSON ({e})")
        })?;
        let Value::Object(root) = root else {
            bail!("the top level must be an object");
        };
        let db = match root.get("database") {
            Some(Value::Object(d)) => d,
            Some(_) => bail!("database must be an object"),
            None => bail!(
                "no database section (the operator's primary database, where the keys are read)"
            ),
        };
        let port = match db.get("port") {
            None | Some(Value::Null) => 5432,
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .context("database.port must be a port number")?,
            Some(_) => bail!("database.port must be a number"),
        };
        Ok(OperatorConfig {
            path: PathBuf::new(),
            database: Database {
                host: string(db, "database", "host", "localhost")?,
                port,
                user: string(db, "database", "user", "postgres")?,
                password: Secret::new(string(db, "database", "password", "")?),
                dbname: string(db, "database", "dbname", "aveloxis")?,
                sslmode: string(db, "database", "sslmode", "prefer")?,
            },
            github: forge(
                &root,
                "github",
                Forge {
                    api_url: "https://api.github.com".into(),
                    web_url: "https://github.com".into(),
                },
            )?,
            gitlab: forge(
                &root,
                "gitlab",
                Forge {
                    api_url: "https://gitlab.com/api/v4".into(),
                    web_url: "https://gitlab.com".into(),
                },
            )?,
        })
    }

    /// The daemon's `AVELOXIS_<SECTION>_<KEY>` overrides, for the keys the harness uses.
    pub fn apply_env(&mut self, env: impl IntoIterator<Item = (String, String)>) -> Result<()> {
        for (var, v) in env {
            let Some(rest) = var.strip_prefix("AVELOXIS_") else {
                continue;
            };
            let d = &mut self.database;
            match rest {
                "DATABASE_HOST" => d.host = v,
                "DATABASE_PORT" => {
                    d.port = v
                        .trim()
                        .parse()
                        .with_context(|| format!("environment variable {var}: not a port"))?
                }
                "DATABASE_USER" => d.user = v,
                "DATABASE_PASSWORD" => d.password = Secret::new(v),
                "DATABASE_DBNAME" => d.dbname = v,
                "DATABASE_SSLMODE" => d.sslmode = v,
                "GITHUB_API_URL" => self.github.api_url = v,
                "GITHUB_WEB_URL" => self.github.web_url = v,
                "GITLAB_API_URL" => self.gitlab.api_url = v,
                "GITLAB_WEB_URL" => self.gitlab.web_url = v,
                _ => {}
            }
        }
        Ok(())
    }

    pub fn forge(&self, p: Platform) -> &Forge {
        match p {
            Platform::GitHub => &self.github,
            Platform::GitLab => &self.gitlab,
        }
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
        let hp = host_port(&u);
        [Platform::GitHub, Platform::GitLab]
            .into_iter()
            .find(|p| url::Url::parse(&self.forge(*p).web_url).is_ok_and(|b| host_port(&b) == hp))
            .with_context(|| {
                format!(
                    "{repo}: host is neither the operator's GitHub ({}) nor GitLab ({}) in {}",
                    self.github.web_url,
                    self.gitlab.web_url,
                    self.path.display()
                )
            })
    }
}

fn host_port(u: &url::Url) -> String {
    format!(
        "{}:{}",
        u.host_str().unwrap_or("").to_ascii_lowercase(),
        u.port_or_known_default().unwrap_or(0)
    )
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
pub async fn read_keys(db: &Database, platforms: &[Platform]) -> Result<Vec<Key>> {
    let mut conn = db.connect_read_only().await?;
    let result = async {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(KEY_TABLE)
            .fetch_one(&mut conn)
            .await
            .with_context(|| format!("reading {KEY_TABLE} of {}", db.display()))?;
        if !exists {
            bail!(
                "{} has no {KEY_TABLE} (is it the operator's migrated aveloxis database?)",
                db.display()
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
        .with_context(|| format!("reading {KEY_TABLE} of {}", db.display()))?;
        let keys: Vec<Key> = rows
            .into_iter()
            .filter(|(_, token, _)| {
                !token.is_empty() && !token.chars().any(|c| c.is_whitespace() || c.is_control())
            })
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
                    db.display()
                );
            }
        }
        Ok(keys)
    }
    .await;
    let _ = conn.close().await;
    result
}

/// Insert `keys` into the `worker_oauth` of the database at `url` (a scratch database); returns
/// how many were new.
pub async fn copy_keys(url: &str, keys: &[Key]) -> Result<u64> {
    let mut conn = PgConnection::connect(url)
        .await
        .context("connecting to the scratch database")?;
    let mut added = 0;
    for k in keys {
        added += sqlx::query(
            "INSERT INTO aveloxis_ops.worker_oauth (name, access_token, platform)
             VALUES ($1, $2, $3) ON CONFLICT (access_token, platform) DO NOTHING",
        )
        .bind(&k.name)
        .bind(k.token.expose())
        .bind(k.platform.name())
        .execute(&mut conn)
        .await
        .with_context(|| format!("copying a {} key into {KEY_TABLE}", k.platform.name()))?
        .rows_affected();
    }
    let _ = conn.close().await;
    Ok(added)
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

    #[test]
    fn the_config_keeps_its_secrets_and_takes_the_daemons_defaults_and_overrides() {
        let mut c = OperatorConfig::parse(
            r#"{"database": {"host": "db", "password": "hunter2", "dbname": "ops"},
                "github": {"api_url": "http://ghe/api/v3", "web_url": "http://ghe"},
                "collection": {"workers": 3}, "monitor": {}}"#,
        )
        .unwrap();
        assert_eq!(c.database.port, 5432);
        assert_eq!(c.database.user, "postgres");
        assert_eq!(c.gitlab.web_url, "https://gitlab.com");
        assert_eq!(c.database.display(), "postgres://***@db:5432/ops");
        assert!(!format!("{c:?}").contains("hunter2"));
        c.apply_env(env(&[
            ("AVELOXIS_DATABASE_PORT", "6543"),
            ("AVELOXIS_GITLAB_WEB_URL", "https://gl.example"),
            ("AVELOXIS_COLLECTION_WORKERS", "9"),
            ("PATH", "/bin"),
        ]))
        .unwrap();
        assert_eq!(c.database.port, 6543);
        assert_eq!(c.platform_of("http://ghe/a/b").unwrap(), Platform::GitHub);
        assert_eq!(
            c.platform_of("https://gl.example/g/s/p").unwrap(),
            Platform::GitLab
        );
        assert!(c.platform_of("https://github.com/a/b").is_err());
        assert!(c.platform_of("http://u:pw@ghe/a/b").is_err());
        assert!(
            c.apply_env(env(&[("AVELOXIS_DATABASE_PORT", "x")]))
                .is_err()
        );
    }

    #[test]
    fn bad_configs_are_named_without_their_values() {
        let e = OperatorConfig::parse(r#"{"github": {}}"#).unwrap_err();
        assert!(e.to_string().contains("no database section"), "{e}");
        let e = OperatorConfig::parse(r#"{"database": {"password": 12345}}"#).unwrap_err();
        assert!(
            e.to_string().contains("database.password") && !e.to_string().contains("12345"),
            "{e}"
        );
        assert!(OperatorConfig::parse("{").is_err());
        assert!(OperatorConfig::parse(r#"{"database": {"port": 70000}}"#).is_err());
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
    }
}
