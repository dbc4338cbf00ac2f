//! The sides of the collect stage. A side is a value — which collector binary, which scratch
//! database, which keys, what to collect — and every side goes through the same steps: its
//! config, `migrate` (with the Augur views and matviews, compared on every run), its keys,
//! `add-repo`, `collect --full`, then `refresh-views`. The upgraded side then goes on with the
//! new binary (see [`super::upgraded`]).
//! The baseline side must complete (else there is nothing to compare against: the run could
//! not compare); any other side failing is a FAIL check naming the error. Every step is timed
//! per side, and every collection records the day of the forge's timeline it was served.

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

use serde::Serialize;

use super::child::{Log, stream};
use super::forge::Forge;
use crate::operator;
use crate::report::Check;
use crate::scratch::{Conn, Host};

/// The names of the sides (and of the binaries).
pub const RELEASED: &str = "released";
pub const NEW: &str = "new";
pub const UPGRADED: &str = "upgraded";

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
    /// Also `migrate` (views) and `refresh-views` after collecting.
    pub matviews: bool,
    /// The side the others are compared against: when it fails the run could not compare.
    pub baseline: bool,
    /// The day of the forge's timeline its (first) collection asks for.
    pub day: usize,
    /// The upgraded side: what happens to its database after the first collection.
    pub upgrade: Option<Upgrade>,
}

/// What happens to the upgraded side's database after its day-0 collection (see
/// [`super::upgraded`]).
pub struct Upgrade {
    /// The new binary.
    pub bin: PathBuf,
    /// The day its incremental collection asks for.
    pub day: usize,
    /// The copy of the upgraded database the rollback check collects into.
    pub rollback_db: String,
    /// The plan the new binary embeds (the working tree's `migrations/`).
    pub migrations: PathBuf,
}

impl Side<'_> {
    /// Progress steps of this side.
    pub fn steps(&self) -> u64 {
        let first = if self.matviews && self.upgrade.is_none() {
            5
        } else {
            4
        };
        first
            + self
                .upgrade
                .as_ref()
                .map_or(0, |_| 4 + u64::from(self.matviews))
    }

    /// The mock token it signs in with (`None`: the operator's keys).
    pub fn token(&self) -> Option<&'static str> {
        match self.keys {
            Keys::Token(t) => Some(t),
            Keys::Operator { .. } => None,
        }
    }
}

/// What every side shares: the work dir, the scratch host and server, the forge.
pub struct Shared<'a> {
    pub work: &'a Path,
    pub host: &'a Host,
    pub pg: &'a Conn,
    pub forge: &'a Forge,
}

/// One timed step of a side.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// `migrate`, `add-key`, `add-repo`, `collect --full`, `collect`, …
    pub name: String,
    /// Which binary ran it: `released` or `new` (the upgraded side uses both).
    pub binary: &'static str,
    pub seconds: f64,
    /// For a collection: the day of the timeline asked for and the day the forge served
    /// (absent served day: the live forge).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day_requested: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day_served: Option<usize>,
    pub ok: bool,
}

/// What one side did, step by step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SideRun {
    pub side: String,
    pub db: String,
    pub steps: Vec<Step>,
    /// Wall time of the side, first step to last.
    pub seconds: f64,
}

/// One side's result.
pub struct Done {
    /// The side's own failure (for the baseline: the run could not compare).
    pub result: Result<()>,
    /// Checks of its own (the upgraded side's stages, the rollback check).
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
    pub run: SideRun,
    pub comparable: bool,
}

/// A plain side: migrate, keys, add-repo, `collect --full` (and the matviews).
pub async fn collect(c: &Collector<'_>, side: &Side<'_>, shared: &Shared<'_>) -> Result<()> {
    let views = Views {
        build: side.matviews,
        refresh: side.matviews,
    };
    first_collection(c, &Bin::of(side), side, shared, side.day, views).await
}

/// A side's first collection into its empty database with `bin`: migrate, keys, add-repo,
/// `collect --full` at `day`, with or without the Augur views.
pub async fn first_collection(
    c: &Collector<'_>,
    bin: &Bin,
    side: &Side<'_>,
    shared: &Shared<'_>,
    day: usize,
    views: Views,
) -> Result<()> {
    // As an operator runs it: the views exist while the collector writes (a step or a write a
    // view blocks is seen), and the matviews are refreshed after the collection.
    let migrate = if views.build {
        vec!["migrate"]
    } else {
        vec!["migrate", "--skip-views"]
    };
    c.run(bin, "migrate", migrate, None).await?;
    c.add_keys(bin, &side.keys).await?;
    let mut add = vec!["add-repo"];
    add.extend(side.urls.iter().map(String::as_str));
    c.run(bin, "add-repo", add, None).await?;
    c.collect(bin, side, shared, day, true).await?;
    if views.refresh {
        c.run(bin, "refresh-views", vec!["refresh-views"], None)
            .await?;
    }
    Ok(())
}

/// What a first collection does with the Augur views.
#[derive(Clone, Copy)]
pub struct Views {
    /// `migrate` builds them (else `--skip-views`).
    pub build: bool,
    /// `refresh-views` after the collection.
    pub refresh: bool,
}

/// A collector binary and which one it is.
pub struct Bin {
    pub path: PathBuf,
    /// `released` or `new`.
    pub which: &'static str,
}

impl Bin {
    /// The binary a side starts with.
    fn of(side: &Side<'_>) -> Bin {
        Bin {
            path: side.bin.clone(),
            which: if side.name == NEW { NEW } else { RELEASED },
        }
    }
}

/// A side's collector, configured: its directory, config and log, and its timed steps.
pub struct Collector<'a> {
    name: &'static str,
    db: String,
    pg: &'a Conn,
    dir: PathBuf,
    config: PathBuf,
    log: Log,
    steps: Mutex<Vec<Step>>,
    /// The forge has a GitLab section (its keys are added for GitLab too).
    gitlab: bool,
}

impl<'a> Collector<'a> {
    /// Write `<work>/<name>/aveloxis.json` (database `db`, its clone dir, the forge sections)
    /// and open `<work>/<name>.log`.
    pub fn configure(
        name: &'static str,
        db: &str,
        shared: &'a Shared<'a>,
    ) -> Result<Collector<'a>> {
        let dir = shared.work.join(name);
        std::fs::create_dir_all(&dir)?;
        let clones = dir.join("clones");
        let _ = std::fs::remove_dir_all(&clones);
        let pg = shared.pg;
        let mut cfg = serde_json::json!({
            "database": {"host": pg.host, "port": pg.port, "user": pg.user, "dbname": db,
                         "sslmode": "disable"},
            "collection": {"repo_clone_dir": clones}
        });
        if let (Some(cfg), Some(forges)) = (cfg.as_object_mut(), shared.forge.sections.as_object())
        {
            for (k, v) in forges {
                cfg.insert(k.clone(), v.clone());
            }
        }
        if let (Some(c), Some(settings)) = (
            cfg["collection"].as_object_mut(),
            shared.forge.collection.as_object(),
        ) {
            for (k, v) in settings {
                c.insert(k.clone(), v.clone());
            }
        }
        let config = dir.join("aveloxis.json");
        std::fs::write(&config, serde_json::to_string_pretty(&cfg)?)?;
        let log = Arc::new(Mutex::new(
            std::fs::File::create(shared.work.join(format!("{name}.log")))
                .context("creating the side's log")?,
        ));
        Ok(Collector {
            name,
            db: db.to_string(),
            pg,
            dir,
            config,
            log,
            steps: Mutex::new(Vec::new()),
            gitlab: shared.forge.sections.get("gitlab").is_some(),
        })
    }

    /// The steps timed so far (taken out).
    pub fn take_steps(&self) -> Vec<Step> {
        self.steps
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }

    /// Steps another collector timed, recorded as this side's.
    pub fn push_steps(&self, more: Vec<Step>) {
        if let Ok(mut s) = self.steps.lock() {
            s.extend(more);
        }
    }

    /// The side's result, with the steps it timed.
    pub fn done(
        &self,
        result: Result<()>,
        checks: Vec<Check>,
        notes: Vec<String>,
        comparable: bool,
    ) -> Done {
        let steps = self.steps.lock().map(|s| s.clone()).unwrap_or_default();
        Done {
            result,
            checks,
            notes,
            run: SideRun {
                steps,
                ..SideRun::default()
            },
            comparable,
        }
    }

    /// `bin` with `args`, in the side's environment: `PG*` of its database, `HARNESS_SIDE`,
    /// and no inherited `AVELOXIS_*` override (but `AVELOXIS_LOG`).
    fn command(&self, bin: &Path, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(bin);
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
            .env("PGDATABASE", &self.db)
            .env("HARNESS_SIDE", self.name)
            .env("NO_COLOR", "1")
            .current_dir(&self.dir);
        if let Some(pw) = &self.pg.password {
            c.env("AVELOXIS_DATABASE_PASSWORD", pw)
                .env("PGPASSWORD", pw);
        }
        c
    }

    /// Run one step, streaming its output, timed as `label`; a progress step when it succeeded.
    pub async fn run(
        &self,
        bin: &Bin,
        label: &str,
        args: Vec<&str>,
        stdin: Option<String>,
    ) -> Result<()> {
        self.timed(bin.which, label, None, async {
            let cmd = self.command(&bin.path, &args);
            stream(self.name, cmd, stdin, Some(self.log.clone())).await
        })
        .await
    }

    /// Time `work` (run by `which`: `released`, `new` or `harness`) as the step `label`
    /// (`day`: requested and served, for a collection).
    pub async fn timed<F: Future<Output = Result<()>>>(
        &self,
        which: &'static str,
        label: &str,
        day: Option<(usize, Option<usize>)>,
        work: F,
    ) -> Result<()> {
        let start = std::time::Instant::now();
        let result = work.await;
        if let Ok(mut steps) = self.steps.lock() {
            steps.push(Step {
                name: label.to_string(),
                binary: which,
                seconds: start.elapsed().as_secs_f64(),
                day_requested: day.map(|d| d.0),
                day_served: day.and_then(|d| d.1),
                ok: result.is_ok(),
            });
        }
        if result.is_ok() {
            crate::progress::step(&format!("{} {label}", self.name));
        }
        result
    }

    /// `collect URL…` (`--full` when `full`) with `bin`, after the forge was asked to serve
    /// `day` to the side's token.
    pub async fn collect(
        &self,
        bin: &Bin,
        side: &Side<'_>,
        shared: &Shared<'_>,
        day: usize,
        full: bool,
    ) -> Result<()> {
        self.collect_with(bin, side, shared, day, full, &[]).await
    }

    /// [`Collector::collect`] with global options `extra` (e.g. `--migrations-dir D`).
    pub async fn collect_with(
        &self,
        bin: &Bin,
        side: &Side<'_>,
        shared: &Shared<'_>,
        day: usize,
        full: bool,
        extra: &[&str],
    ) -> Result<()> {
        let served = side.token().and_then(|t| shared.forge.serve_day(t, day));
        let mut args: Vec<&str> = extra.to_vec();
        args.push("collect");
        args.extend(side.urls.iter().map(String::as_str));
        if full {
            args.push("--full");
        }
        let mut label = if full { "collect --full" } else { "collect" }.to_string();
        if let Some(flag) = extra.first() {
            label = format!("{label} {flag}");
        }
        self.timed(bin.which, &label, Some((day, served)), async {
            let cmd = self.command(&bin.path, &args);
            stream(self.name, cmd, None, Some(self.log.clone())).await
        })
        .await
    }

    /// The side's keys: `add-key -` with the mock token, or the operator's keys one by one.
    pub async fn add_keys(&self, bin: &Bin, keys: &Keys<'_>) -> Result<()> {
        let (keys, from) = match keys {
            Keys::Token(token) => {
                self.run(
                    bin,
                    "add-key",
                    vec!["add-key", "-"],
                    Some(format!("{token}\n")),
                )
                .await?;
                // The mock serves GitLab too: the same token as a GitLab key when a
                // repository is collected through its GitLab API.
                if self.gitlab {
                    let args = vec!["add-key", "-", "--platform", "gitlab"];
                    self.run(bin, "add-key", args, Some(format!("{token}\n")))
                        .await?;
                }
                return Ok(());
            }
            Keys::Operator { keys, from } => (keys, from),
        };
        let name = self.name;
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
            self.run(
                bin,
                "add-key",
                args,
                Some(format!("{}\n", k.token.expose())),
            )
            .await
            .with_context(|| format!("[{name}] copying the operator's keys"))?;
        }
        let msg = format!(
            "copied {} key(s) from {} of {from} into {}",
            keys.len(),
            operator::KEY_TABLE,
            self.db
        );
        say!("harness: [{name}] {msg}");
        if let Ok(mut f) = self.log.lock() {
            let _ = writeln!(f, "harness: {msg}");
        }
        crate::progress::step(&format!("{name} keys"));
        Ok(())
    }
}
