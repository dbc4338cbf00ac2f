//! Marked scratch databases: the one policy every command follows.
//!
//! A scratch database is created with a name that starts with [`SCRATCH_PREFIX`] and is then
//! marked `COMMENT ON DATABASE … IS '`[`SCRATCH_MARKER`]`'`. The harness drops a database only
//! when it has the prefix **and** the marker, so the operator's primary database, or anything
//! else the harness did not create (even a database that merely has the prefix), is never
//! dropped.
//!
//! [`Host`] is where scratch databases live: a private ephemeral cluster, an operator's server,
//! or a server in a container.

use anyhow::{Context, Result, bail};
use aveloxis_pg::{Cluster, Provisioner, Server, quote_ident, quote_literal};
use sqlx::{Connection, PgConnection};

use crate::report::redact;

/// Scratch database names carry this prefix.
pub const SCRATCH_PREFIX: &str = "aveloxis_harness_";

/// The comment that marks a database as created by the harness.
pub const SCRATCH_MARKER: &str = "aveloxis-harness scratch";

/// Connection parameters of a server, for the children's configuration.
#[derive(Clone, Debug)]
pub struct Conn {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
}

/// `postgres://user[:pw]@host[:port]` (user `postgres` and port 5432 when absent).
pub fn parse_server_url(url: &str) -> Result<Conn> {
    let u = url::Url::parse(url).context("--server-url must be a postgres:// URL")?;
    if !matches!(u.scheme(), "postgres" | "postgresql") {
        bail!("--server-url must start with postgres://");
    }
    let host = u.host_str().unwrap_or_default();
    if host.is_empty() {
        bail!("--server-url has no host");
    }
    let user = match percent_decoded(u.username())? {
        u if u.is_empty() => "postgres".to_string(),
        u => u,
    };
    Ok(Conn {
        host: host.to_string(),
        port: u.port().unwrap_or(5432),
        user,
        password: u.password().map(percent_decoded).transpose()?,
    })
}

/// A URL's user or password as the server sees it (`%40` is `@`).
fn percent_decoded(s: &str) -> Result<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let hex: Vec<u8> = bytes.by_ref().take(2).collect();
        let value = std::str::from_utf8(&hex)
            .ok()
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .context("bad percent escape in --server-url")?;
        out.push(value);
    }
    String::from_utf8(out).context("--server-url credentials are not UTF-8")
}

#[cfg(feature = "testcontainers")]
pub type ContainerGuard = testcontainers_modules::testcontainers::ContainerAsync<
    testcontainers_modules::postgres::Postgres,
>;
#[cfg(not(feature = "testcontainers"))]
pub type ContainerGuard = std::convert::Infallible;

/// Where scratch databases live.
pub enum Host {
    Cluster(Cluster),
    Server(Server, Conn),
    /// A server in a container that lives as long as this value (the guard is only held: its
    /// Drop removes the container).
    #[allow(dead_code)]
    Container(Server, Conn, Box<ContainerGuard>),
}

impl Host {
    /// An operator's server given by `--server-url`.
    pub fn server(url: &str) -> Result<Host> {
        let conn = parse_server_url(url)?;
        Ok(Host::Server(Server::new(url, redact(url)), conn))
    }

    /// A private cluster that ends with this value.
    pub fn ephemeral() -> Result<Host> {
        Ok(Host::Cluster(
            Cluster::start().context("starting an ephemeral PostgreSQL cluster")?,
        ))
    }

    pub fn url(&self, db: &str) -> String {
        match self {
            Host::Cluster(c) => c.database_url(db),
            Host::Server(s, _) | Host::Container(s, _, _) => s.database_url(db),
        }
    }

    /// The maintenance database, where databases are created and dropped.
    pub fn admin_url(&self) -> String {
        self.url("postgres")
    }

    pub fn conn(&self) -> Conn {
        match self {
            Host::Cluster(c) => Conn {
                host: c.host().into(),
                port: c.port(),
                user: "postgres".into(),
                password: Some(c.password().to_owned()),
            },
            Host::Server(_, c) | Host::Container(_, c, _) => c.clone(),
        }
    }

    /// Create a marked scratch database (see [`create`]).
    pub async fn create(&self, name: &str) -> Result<()> {
        create(&self.admin_url(), name).await
    }

    /// Create a marked scratch database as a copy of `template` (which must have no open
    /// connections).
    pub async fn create_from(&self, name: &str, template: &str) -> Result<()> {
        create_with(&self.admin_url(), name, Some(template)).await
    }

    /// Drop `name` if it is a marked scratch database (see [`drop`]).
    pub async fn drop(&self, name: &str) -> Result<bool> {
        drop(&self.admin_url(), name).await
    }

    /// Drop each of `names` that is a marked scratch database; failures are printed.
    pub async fn drop_all(&self, names: &[String]) {
        for db in names {
            if let Err(e) = self.drop(db).await {
                say!("harness: could not drop {db}: {e:#}");
            }
        }
    }
}

/// Create a scratch database and mark it as ours. Refuses names without the scratch prefix and
/// names that already exist (it never adopts a database it did not create).
pub async fn create(admin_url: &str, name: &str) -> Result<()> {
    create_with(admin_url, name, None).await
}

/// [`create`], optionally as a copy of `template` (the marker is set on the copy: database
/// comments are not copied).
async fn create_with(admin_url: &str, name: &str, template: Option<&str>) -> Result<()> {
    if !name.starts_with(SCRATCH_PREFIX) {
        bail!("refusing to create {name}: scratch names start with {SCRATCH_PREFIX}");
    }
    aveloxis_pg::create_database(admin_url, name, template)
        .await
        .with_context(|| format!("provisioning scratch database {name}"))?;
    let mut admin = PgConnection::connect(admin_url)
        .await
        .context("connecting to the maintenance database")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "COMMENT ON DATABASE {} IS {}",
        quote_ident(name),
        quote_literal(SCRATCH_MARKER)
    )))
    .execute(&mut admin)
    .await
    .with_context(|| format!("marking {name} as a harness scratch database"))?;
    let _ = admin.close().await;
    Ok(())
}

/// Drop `name` only if it carries the scratch prefix and the marker comment. `Ok(false)` = left
/// alone (with the reason printed); the harness never drops a database it did not create.
pub async fn drop(admin_url: &str, name: &str) -> Result<bool> {
    if !name.starts_with(SCRATCH_PREFIX) {
        say!("harness: refusing to drop {name}: not a harness scratch name ({SCRATCH_PREFIX}…)");
        return Ok(false);
    }
    let mut admin = PgConnection::connect(admin_url)
        .await
        .context("connecting to the maintenance database")?;
    let result = drop_marked(&mut admin, name).await;
    let _ = admin.close().await;
    result
}

async fn drop_marked(admin: &mut PgConnection, name: &str) -> Result<bool> {
    let comment: Option<Option<String>> = sqlx::query_scalar(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
    )
    .bind(name)
    .fetch_optional(&mut *admin)
    .await?;
    match comment {
        None => return Ok(false),
        Some(Some(c)) if c == SCRATCH_MARKER => {}
        Some(_) => {
            say!(
                "harness: refusing to drop {name}: it lacks the comment {SCRATCH_MARKER:?}, so \
                 the harness did not create it"
            );
            return Ok(false);
        }
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    )))
    .execute(&mut *admin)
    .await
    .with_context(|| format!("dropping {name}"))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_parse_and_keep_the_password_out_of_sight() {
        let c = parse_server_url("postgres://u:pw@db.example:6543").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.user.as_str()),
            ("db.example", 6543, "u")
        );
        assert_eq!(c.password.as_deref(), Some("pw"));
        let c = parse_server_url("postgresql://postgres@localhost").unwrap();
        assert_eq!((c.port, c.password), (5432, None));
        assert!(parse_server_url("mysql://x").is_err());
        assert!(!redact("postgres://u:pw@h:1").contains("pw"));
    }

    #[test]
    fn server_url_credentials_are_percent_decoded() {
        let c = parse_server_url("postgres://h%40rry:p%3Aw@127.0.0.1").unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_deref()),
            ("h@rry", Some("p:w"))
        );
        assert_eq!(parse_server_url("postgres://h").unwrap().user, "postgres");
        assert!(parse_server_url("postgres://u@:5/").is_err());
        assert!(parse_server_url("not a url").is_err());
    }
}
