//! The `database` section: where the daemon's PostgreSQL is and how to connect to it.

use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::secret::{Secret, scrub};

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
            format!(
                "unknown sslmode {s:?} (expected disable, allow, prefer, require, verify-ca or \
                 verify-full)"
            )
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    pub dbname: String,
    pub sslmode: SslMode,
    /// `lock_timeout` for migration statements, in milliseconds.
    pub lock_timeout_ms: u64,
    /// Also expose the Augur-compatible views under CollectOSS's schema name `data` (views
    /// built by `migrate`), for consumers that run with CollectOSS's `search_path = public,
    /// data, operations, spdx`. Refused when the database holds a `data` schema aveloxis did
    /// not create; turned off, the schema aveloxis created is dropped.
    pub collectoss_schema: bool,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            host: "localhost".into(),
            port: 5432,
            user: "postgres".into(),
            password: Secret::default(),
            dbname: "aveloxis".into(),
            sslmode: SslMode::Prefer,
            lock_timeout_ms: 10_000,
            collectoss_schema: false,
        }
    }
}

impl DatabaseConfig {
    /// `user@host:port/dbname` — what error messages and logs may show.
    pub fn display(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }

    pub fn connect_options(&self) -> PgConnectOptions {
        let mut o = PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .username(&self.user)
            .database(&self.dbname)
            .ssl_mode(match self.sslmode {
                SslMode::Disable => PgSslMode::Disable,
                SslMode::Allow => PgSslMode::Allow,
                SslMode::Prefer => PgSslMode::Prefer,
                SslMode::Require => PgSslMode::Require,
                SslMode::VerifyCa => PgSslMode::VerifyCa,
                SslMode::VerifyFull => PgSslMode::VerifyFull,
            })
            .log_statements(tracing::log::LevelFilter::Debug)
            // A slow statement would be logged with its full text: schema.sql is ~100 KB, and a
            // flood of it on stderr is no use to an operator (timings are logged by migrate).
            .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(1));
        if !self.password.is_empty() {
            o = o.password(self.password.expose());
        }
        o
    }
}

/// Connect to the configured database, naming `user@host:port/db` (never the password) on failure.
pub async fn connect(
    db: &DatabaseConfig,
    application_name: &str,
) -> anyhow::Result<sqlx::PgConnection> {
    let opts = db.connect_options().application_name(application_name);
    match tokio::time::timeout(Duration::from_secs(15), opts.connect()).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(anyhow::anyhow!(
            "could not connect to PostgreSQL at {}:{} (database {}, user {}): {}",
            db.host,
            db.port,
            db.dbname,
            db.user,
            scrub(&e.to_string(), db.password.expose())
        )),
        Err(_) => Err(anyhow::anyhow!(
            "could not connect to PostgreSQL at {}:{} (database {}, user {}): timed out after 15s",
            db.host,
            db.port,
            db.dbname,
            db.user
        )),
    }
}
