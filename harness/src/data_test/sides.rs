//! The collect stage. A side is a value — which collector binary, which scratch database, which
//! keys, what to collect — and every side goes through the same steps: its config, `migrate`
//! (the Augur views and the matviews included), its keys, `add-repo`, `collect --full`,
//! `refresh-views`. The baseline side must complete (else there is nothing to compare against:
//! the run could not compare); any other side failing is a FAIL check naming the error.

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;

use anyhow::{Context, Result};

use super::child::{Log, stream};
use crate::operator;
use crate::report::Check;
use crate::scratch::Conn;

/// How a side gets its API keys.
pub enum Keys<'a> {
    /// `add-key -` with this mock token on stdin.
    Token(&'static str),
    /// The operator's keys, copied into the side's database through `add-key`; `from` is the
    /// (redacted) database they come from.
    Operator {
        keys: &'a [operator::Key],
        from: String,
    },
}

/// One collector run into one scratch database.
pub struct Side<'a> {
    /// `released`, `new`: the prefix of its output, its log and its directory in the work dir.
    pub name: &'static str,
    pub bin: PathBuf,
    pub db: String,
    pub keys: Keys<'a>,
    /// The repository URLs it collects.
    pub urls: &'a [String],
    /// Kept for `--matviews` (views are now built and refreshed on every run).
    pub matviews: bool,
    /// The side the others are compared against: when it fails the run could not compare.
    pub baseline: bool,
}

impl Side<'_> {
    /// Progress steps of this side.
    pub fn steps(&self) -> u64 {
        5
    }
}

/// What every side shares: the work dir, the scratch server, the forge sections of the config.
pub struct Shared<'a> {
    pub work: &'a Path,
    pub pg: &'a Conn,
    pub forges: &'a serde_json::Value,
}

/// How the sides run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// All at once (the mock forge).
    Together,
    /// One after the other, in order, stopping when the baseline fails (they share the
    /// operator's rate budget).
    InTurn,
}

/// Collect every side. `Err` when a baseline side failed; the checks say whether each other
/// side completed (a FAIL naming the error when it did not).
pub async fn collect_all(
    sides: &[Side<'_>],
    shared: &Shared<'_>,
    schedule: Schedule,
) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    let outcomes = match schedule {
        Schedule::Together => join_all(sides.iter().map(|s| collect(s, shared)).collect()).await,
        Schedule::InTurn => {
            let mut done = Vec::new();
            for side in sides {
                let outcome = collect(side, shared).await;
                // Without a baseline there is nothing to compare against: the other sides
                // would only spend the operator's budget.
                if side.baseline {
                    outcome?;
                    done.push(Ok(()));
                } else {
                    done.push(outcome);
                }
            }
            done
        }
    };
    for (side, outcome) in sides.iter().zip(outcomes) {
        match outcome {
            Ok(()) => {}
            Err(e) if side.baseline => return Err(e),
            // The collector failing where the baseline succeeded is the regression itself (a
            // NOT NULL column it does not fill, a CHECK its data violates, a renamed column it
            // still writes…): a FAIL naming the error, and the diff shows what it left missing.
            Err(e) => checks.push(Check::fail(
                format!("{} collector completes", side.name),
                format!("{e:#}"),
            )),
        }
    }
    Ok(checks)
}

/// Await every future, polling them together; the outputs in the futures' order.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// A side's collector, configured: its directory, config and log.
struct Collector<'a> {
    side: &'a Side<'a>,
    pg: &'a Conn,
    dir: PathBuf,
    config: PathBuf,
    log: Log,
    /// The forge has a GitLab section.
    gitlab: bool,
}

/// One side: its config, migrate, keys, add-repo, collect.
async fn collect(side: &Side<'_>, shared: &Shared<'_>) -> Result<()> {
    let c = Collector::configure(side, shared)?;
    // The Augur-compatible views and the matviews are part of what is compared on every run.
    c.run(vec!["migrate"], None).await?;
    c.add_keys().await?;
    let mut add = vec!["add-repo"];
    add.extend(side.urls.iter().map(String::as_str));
    c.run(add, None).await?;
    let mut collect = vec!["collect"];
    collect.extend(side.urls.iter().map(String::as_str));
    collect.push("--full");
    c.run(collect, None).await?;
    c.run(vec!["refresh-views"], None).await?;
    Ok(())
}

impl<'a> Collector<'a> {
    /// Write `<work>/<side>/aveloxis.json` (its database, its clone dir, the forge sections) and
    /// open `<work>/<side>.log`.
    fn configure(side: &'a Side<'a>, shared: &'a Shared<'a>) -> Result<Collector<'a>> {
        let dir = shared.work.join(side.name);
        std::fs::create_dir_all(&dir)?;
        let clones = dir.join("clones");
        let _ = std::fs::remove_dir_all(&clones);
        let pg = shared.pg;
        let mut cfg = serde_json::json!({
            "database": {"host": pg.host, "port": pg.port, "user": pg.user, "dbname": side.db,
                         "sslmode": "disable"},
            "collection": {"repo_clone_dir": clones}
        });
        if let (Some(cfg), Some(forges)) = (cfg.as_object_mut(), shared.forges.as_object()) {
            for (k, v) in forges {
                cfg.insert(k.clone(), v.clone());
            }
        }
        let config = dir.join("aveloxis.json");
        std::fs::write(&config, serde_json::to_string_pretty(&cfg)?)?;
        let log = Arc::new(Mutex::new(
            std::fs::File::create(shared.work.join(format!("{}.log", side.name)))
                .context("creating the side's log")?,
        ));
        Ok(Collector {
            side,
            pg,
            dir,
            config,
            log,
            gitlab: shared.forges.get("gitlab").is_some(),
        })
    }

    /// The collector with `args`, in the side's environment: `PG*` of its database,
    /// `HARNESS_SIDE`, and no inherited `AVELOXIS_*` override (but `AVELOXIS_LOG`).
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(&self.side.bin);
        for (k, _) in std::env::vars_os() {
            if let Some(k) = k.to_str()
                && k.starts_with("AVELOXIS_")
                && k != "AVELOXIS_LOG"
            {
                c.env_remove(k);
            }
        }
        c.arg("--config").arg(&self.config).args(args);
        c.env("PGHOST", &self.pg.host)
            .env("PGPORT", self.pg.port.to_string())
            .env("PGUSER", &self.pg.user)
            .env("PGDATABASE", &self.side.db)
            .env("HARNESS_SIDE", self.side.name)
            .env("NO_COLOR", "1")
            .current_dir(&self.dir);
        if let Some(pw) = &self.pg.password {
            c.env("AVELOXIS_DATABASE_PASSWORD", pw)
                .env("PGPASSWORD", pw);
        }
        c
    }

    /// Run one step, streaming its output; a progress step when it succeeded.
    async fn run(&self, args: Vec<&str>, stdin: Option<String>) -> Result<()> {
        let cmd = self.command(&args);
        stream(self.side.name, cmd, stdin, Some(self.log.clone())).await?;
        crate::progress::step(&format!("{} {}", self.side.name, args[0]));
        Ok(())
    }

    async fn add_keys(&self) -> Result<()> {
        let (keys, from) = match &self.side.keys {
            Keys::Token(token) => {
                self.run(vec!["add-key", "-"], Some(format!("{token}\n")))
                    .await?;
                // The mock serves GitLab too: the same token as a GitLab key when a
                // repository is collected through its GitLab API.
                if self.gitlab {
                    let args = vec!["add-key", "-", "--platform", "gitlab"];
                    self.run(args, Some(format!("{token}\n"))).await?;
                }
                return Ok(());
            }
            Keys::Operator { keys, from } => (keys, from),
        };
        let name = self.side.name;
        // Through the collector's own `add-key` (token on stdin, never in argv), so the keys
        // land exactly as an operator's would.
        for k in keys.iter() {
            let args = vec![
                "add-key",
                "-",
                "--platform",
                k.platform.name(),
                "--name",
                &k.name,
            ];
            self.run(args, Some(format!("{}\n", k.token.expose())))
                .await
                .with_context(|| format!("[{name}] copying the operator's keys"))?;
        }
        let msg = format!(
            "copied {} key(s) from {} of {from} into {}",
            keys.len(),
            operator::KEY_TABLE,
            self.side.db
        );
        say!("harness: [{name}] {msg}");
        if let Ok(mut f) = self.log.lock() {
            let _ = writeln!(f, "harness: {msg}");
        }
        crate::progress::step(&format!("{name} keys"));
        Ok(())
    }
}
