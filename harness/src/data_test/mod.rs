//! `harness data-test`: collect the same repositories with the released binary and with the
//! working tree's binary into two scratch databases, and compare every table.
//!
//! Phases (each timed in the report):
//!
//! 1. **resolve** — `--released-tag` (any revision; `--fetch-tags` runs `git fetch --tags`
//!    first) must resolve to a commit, else exit 2 naming it. The released `migrations/steps`
//!    must be an unchanged prefix of the working tree's (an edited step is a FAIL of its own).
//! 2. **build** — the released revision is checked out with `git worktree add --detach` (removed
//!    again on every exit path) and built with `cargo build --profile P -p aveloxis-core --bin
//!    aveloxis` into the *shared* target directory (`--target-dir`, `$CARGO_TARGET_DIR`, else the
//!    repository's `target/`), so dependencies are compiled once and a warm rebuild only
//!    recompiles the project's crates. The working tree (uncommitted changes included) is built
//!    the same way. Both binaries are copied to `<work-dir>/bin/`. `--released-bin` /
//!    `--new-bin` skip the builds.
//! 3. **provision** — scratch databases `aveloxis_harness_dt_<pid>_released` / `_new` /
//!    `_upgraded` (and `_rollback`, copied from the upgraded one during the run), each
//!    marked `COMMENT ON DATABASE … IS 'aveloxis-harness scratch'`, on a private ephemeral
//!    cluster (default) or an operator's server (`--provisioner server --server-url URL`,
//!    CREATEDB needed). The harness only ever drops a database whose name carries the scratch
//!    prefix **and** whose comment is the marker; anything else is refused and left alone.
//! 4. **forge** — `--forge mock` (default): the mock forge (in process) serves a generated world
//!    (`--preset`, `--seed`). Every repository URL gets a world repository of its own
//!    ([`forge::plan_mock_repos`]): `…/mock-org/NAME` stays `mock-org/NAME`; the first other URL
//!    is the preset's main repository `mock-org/<preset>`, each further one a small repository
//!    added to the world; `gitlab.com`/`gitlab.*` URLs are collected through the mock's GitLab
//!    v4 API (the same server as host `localhost`). Without `--preset` the preset is `augur`
//!    when a URL names a repository called `augur` (e.g. `https://github.com/augurlabs/augur`),
//!    else `tiny`.
//!    `--forge live`: the real forge of the operator's setup (see [`crate::operator`]): the
//!    `github`/`gitlab` URLs of `--operator-config` and the keys of its primary database's
//!    `aveloxis_ops.worker_oauth` (read before anything is built; a platform of the requested
//!    repositories without a key is exit 2). Repository URLs are used as given.
//! 5. **collect** — per side: `migrate` (views included), keys (mock: `add-key` with `mock-token-0`
//!    for released, `mock-token-1` for new, via stdin; live: the operator's keys inserted by the
//!    harness itself, never on a command line or in the environment), `add-repo URL…`,
//!    `collect URL… --full`, `refresh-views` (the views are compared on every run). Mock: both
//!    sides in parallel; live: released, then new (they share the operator's rate budget).
//!    Output streams live, each line prefixed `[released]` / `[new]`, and is kept in
//!    `<work-dir>/<side>.log`. Children get `PGHOST/PGPORT/PGUSER/PGDATABASE` of their database
//!    and `HARNESS_SIDE`; inherited `AVELOXIS_*` variables (except `AVELOXIS_LOG`) are removed so
//!    an operator's overrides cannot point a side at a real database. The mock's rate limit is
//!    lifted (the gate measures data, not throttling). The **upgraded** side (not with
//!    `--no-upgraded`; see [`upgraded`]) runs next to them: the released binary collects day 0
//!    into its empty database, then the new binary migrates it in place and collects
//!    incrementally at `--days N`; then the rollback check. Every step is timed per side.
//! 6. **diff** — see [`crate::table_diff`]; the FAIL tables of `aveloxis_data` also row by row
//!    ([`crate::row_diff`]). Pairs: released→new, and upgraded→new with the new side as the
//!    baseline ([`pair`]).
//! 7. **report** — `report.md`, `report.json`, `junit.xml` and `state.json` in the work dir;
//!    `report.md` is appended to `$GITHUB_STEP_SUMMARY` when set.
//!
//! The stages are modules, run in this order by [`full_run`]: [`args`] (every option checked
//! up front) → [`build`] (resolve and build) → [`provision`] → [`forge`] → [`schedule`] over
//! [`sides`] and [`upgraded`] (collect) → [`compare`] (diff) → [`pair`] and [`render`]
//! (reports). A side is a value ([`sides::Side`]): the
//! collectors of a run are a list of them.
//!
//! `--diff-only` re-runs 6–7 against the databases recorded in `state.json` (kept with
//! `--keep-dbs` on a server provisioner — an ephemeral cluster ends with the run).

use std::path::Path;

use anyhow::{Result, bail};
use aveloxis_mock_forge::DEFAULT_TOKENS;

pub mod args;
pub mod build;
mod child;
pub mod compare;
pub mod digest;
pub mod forge;
pub mod pair;
pub mod provision;
pub mod render;
pub mod schedule;
pub mod sides;
pub mod upgraded;
#[cfg(test)]
mod worst_case;

use crate::cli::{DataTestArgs, ForgeKind, ProvisionerKind};
use crate::operator;
use crate::report::{Check, Verdict};
use crate::scratch::Host;
use args::{Run, Where};
use provision::State;
use render::{Report, Timer};
use schedule::Schedule;
use sides::Side;

pub use forge::{MockRepo, mock_preset, plan_mock_repos};
pub use render::{ROW_LEVEL_EXAMPLES, junit, markdown, terminal_summary};

async fn shutdown_signal() -> &'static str {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term => "SIGTERM",
    }
}

/// Run `harness data-test`: the reports written and the summary printed; the run's verdict.
pub async fn run(args: &DataTestArgs) -> Result<Verdict> {
    let work = args::work_dir(args);
    let work_fut = async {
        if args.diff_only {
            diff_only(args, &work).await
        } else {
            full_run(args, &work).await
        }
    };
    // On Ctrl-C / SIGTERM the run is dropped: children are killed (kill_on_drop), the worktree
    // is removed and an ephemeral cluster stops.
    let report = tokio::select! {
        r = work_fut => r?,
        sig = shutdown_signal() => bail!("interrupted by {sig}"),
    };
    print!("{}", terminal_summary(&report, &work));
    Ok(report.verdict())
}

/// What the stages before the diff hand to it.
struct Collected {
    forge: String,
    checks: Vec<Check>,
    notes: Vec<String>,
    timer: Timer,
    /// Every side's steps, timed.
    sides: Vec<sides::SideRun>,
    /// The upgraded database is compared with the new one.
    upgraded: bool,
    days: usize,
}

/// The diff and report stages, against the databases of `state`.
async fn diff_and_report(
    url: &dyn Fn(&str) -> String,
    state: &State,
    matviews: bool,
    work: &Path,
    mut c: Collected,
) -> Result<Report> {
    crate::progress::begin("diff", None);
    // Both pairs at once: they read the new database through connections of their own.
    let mut upgraded_notes = Vec::new();
    let with_upgraded = c.upgraded;
    let upgraded = async {
        match (&state.upgraded_db, with_upgraded) {
            (Some(db), true) => {
                let dbs = (state.new_db.as_str(), db.as_str());
                let p = compare::pair(url, dbs, state, matviews, &mut upgraded_notes).await?;
                let names = (sides::NEW, sides::UPGRADED);
                anyhow::Ok(Some(pair::Pair::new(names, dbs, p.tables, p.row_level)))
            }
            _ => Ok(None),
        }
    };
    let (compared, upgraded) = tokio::try_join!(
        compare::compare(url, state, matviews, &mut c.notes),
        upgraded
    )?;
    c.notes.extend(upgraded_notes);
    c.timer.phase("diff");
    crate::progress::begin("report", None);
    let _ = matviews;
    c.notes.push(
        "Augur-compatible views (aveloxis_augur_data) and materialized views built, refreshed \
         and compared"
            .into(),
    );
    let mut report = Report {
        released_tag: state.released_tag.clone(),
        released_commit: state.released_commit.clone(),
        released_db: state.released_db.clone(),
        new_db: state.new_db.clone(),
        repos: state.repos.clone(),
        forge: c.forge,
        schemas: crate::table_diff::DATA_SCHEMAS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        generated: render::now_utc(),
        checks: c.checks,
        tables: compared.tables,
        phases: Vec::new(),
        notes: c.notes,
        row_level: compared.row_level,
        upgraded,
        days: c.days,
        sides: c.sides,
    };
    c.timer.phase("report");
    report.phases = c.timer.phases;
    render::write_reports(work, &report)?;
    Ok(report)
}

/// `--diff-only`: diff and report the databases `state.json` recorded (kept on a server).
async fn diff_only(args: &DataTestArgs, work: &Path) -> Result<Report> {
    let timer = Timer::new();
    let state = State::load(work)?;
    let path = work.join("state.json");
    if state.provisioner != ProvisionerKind::Server {
        bail!(
            "the databases in {} lived in an ephemeral cluster or container that ended with its run; use \
             --provisioner server --keep-dbs to keep databases for --diff-only",
            path.display()
        );
    }
    let provision = &args.provision;
    let scratch = Where::from_options(
        provision.provisioner,
        provision.server.server_url.as_deref(),
    )?;
    let Where::Server(url) = scratch else {
        bail!(
            "--diff-only needs --server-url for the server in {}",
            path.display()
        );
    };
    let host = Host::server(&url)?;
    let collected = Collected {
        forge: "(diff only)".into(),
        checks: Vec::new(),
        notes: vec!["--diff-only: compared the databases recorded in state.json".into()],
        timer,
        sides: Vec::new(),
        upgraded: state.upgraded_db.is_some(),
        days: args.forge.days,
    };
    let url = |db: &str| host.url(db);
    let report = diff_and_report(&url, &state, args.matviews, work, collected).await;
    if !provision.keep_dbs {
        let dbs: Vec<String> = state.all_databases().into_iter().cloned().collect();
        host.drop_all(&dbs).await;
    }
    report
}

/// Every stage, in order; the scratch databases are released on every exit path after
/// provisioning.
pub async fn full_run(args: &DataTestArgs, work: &Path) -> Result<Report> {
    let mut timer = Timer::new();
    crate::progress::begin("resolve", None);
    let run = args::validate(args, work)?;
    // The operator's setup is read before anything is built: a missing config or key is exit 2
    // within a second, not after a build.
    let live = forge::live_setup(&run.forge, &run.repos).await?;
    let resolved = build::resolve(&run)?;
    timer.phase("resolve");
    crate::progress::begin("build", None);
    let bins = build::binaries(&run, &resolved.commit).await?;
    timer.phase("build");
    crate::progress::begin("provision", None);
    let host = provision::host(&run.scratch).await?;
    let state = State::new(&run, &host, &resolved.commit);
    let mut created = Vec::new();
    let collected = Collected {
        forge: String::new(),
        checks: resolved.checks,
        notes: resolved.notes,
        timer,
        sides: Vec::new(),
        upgraded: false,
        days: run.forge.days,
    };
    let stages = Stages {
        run: &run,
        host: &host,
        state: &state,
        live: live.as_ref(),
        bins: &bins,
    };
    let result = stages.collect_and_compare(&mut created, collected).await;
    provision::release(&host, &created, &run, &state).await;
    drop(host);
    result
}

/// The stages that use the scratch databases.
struct Stages<'a> {
    run: &'a Run,
    host: &'a Host,
    state: &'a State,
    live: Option<&'a forge::Live>,
    bins: &'a build::Binaries,
}

impl Stages<'_> {
    async fn collect_and_compare(
        &self,
        created: &mut Vec<String>,
        mut c: Collected,
    ) -> Result<Report> {
        let (run, state) = (self.run, self.state);
        provision::create(self.host, state, &run.work, created).await?;
        c.timer.phase("provision");
        crate::progress::begin("forge", None);
        let forge = forge::start(run, self.live)?;
        c.timer.phase("forge");
        let sides = self.sides(&forge.urls);
        crate::progress::begin("collect", Some(sides.iter().map(Side::steps).sum()));
        let shared = sides::Shared {
            work: &run.work,
            host: self.host,
            pg: &self.host.conn(),
            forge: &forge,
        };
        let schedule = match run.forge.forge {
            ForgeKind::Mock => Schedule::Together,
            ForgeKind::Live => Schedule::InTurn,
        };
        let outcome = schedule::collect_all(&sides, &shared, schedule).await?;
        c.checks.extend(outcome.checks);
        c.notes.extend(outcome.notes);
        c.sides = outcome.runs;
        c.upgraded = outcome.upgraded_comparable;
        c.timer.phase("collect");
        c.forge = forge.description.clone();
        drop(forge);
        if run.keep_dbs && state.provisioner != ProvisionerKind::Server {
            c.notes.push(
                "--keep-dbs with an ephemeral cluster or container: it ends with the run; use \
                 --provisioner server to keep databases"
                    .into(),
            );
        }
        let url = |db: &str| self.host.url(db);
        diff_and_report(&url, state, run.matviews, &run.work, c).await
    }

    /// The sides of this run: the released collector (the baseline), the working tree's, and
    /// the upgraded side (released on day 0, then the working tree's in place).
    fn sides<'s>(&'s self, urls: &'s [String]) -> Vec<Side<'s>> {
        let keys = |token: &'static str| match self.live {
            None => sides::Keys::Token(token),
            Some(l) => sides::Keys::Operator {
                keys: &l.keys,
                from: operator::shown(l.config.database()),
            },
        };
        let day = self.run.forge.days;
        let side = |name, bin: &std::path::PathBuf, db: &String, token, baseline| Side {
            name,
            bin: bin.clone(),
            db: db.clone(),
            keys: keys(token),
            urls,
            // The Augur views and the matviews are built and compared on every run.
            matviews: true,
            baseline,
            day,
            upgrade: None,
        };
        let (state, bins) = (self.state, self.bins);
        let mut sides = vec![
            side(
                sides::RELEASED,
                &bins.released,
                &state.released_db,
                DEFAULT_TOKENS[0],
                true,
            ),
            side(
                sides::NEW,
                &bins.new,
                &state.new_db,
                DEFAULT_TOKENS[1],
                false,
            ),
        ];
        if let (Some(db), Some(rollback_db)) = (&state.upgraded_db, &state.rollback_db) {
            let mut upgraded = side(
                sides::UPGRADED,
                &bins.released,
                db,
                DEFAULT_TOKENS[2],
                false,
            );
            upgraded.day = 0;
            upgraded.upgrade = Some(sides::Upgrade {
                bin: bins.new.clone(),
                day,
                rollback_db: rollback_db.clone(),
                migrations: self.run.repo.join("migrations"),
            });
            sides.push(upgraded);
        }
        sides
    }
}
