//! `harness schema-check`: does an upgraded database end up with exactly the schema of a fresh
//! install, does the schema keep its conventions, and do the new steps avoid the known incident
//! classes?
//!
//! * With `--released-tag TAG`: the released schema (its own `migrations/` at TAG, fresh
//!   install) is upgraded by the working tree's migrate and compared with a fresh install of the
//!   working tree. The released steps must be an unchanged prefix of the working tree's.
//! * Without: a database as of every step of the working tree is brought forward and compared.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use aveloxis_migrations::plan::prefix_problems;
use aveloxis_migrations::{Options, Plan, catalog, lint};
use aveloxis_pg::{Cluster, Provisioner, Server};
use sqlx::{Connection, PgConnection};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Compare against the schema of this revision (tag, branch or commit).
    #[arg(long)]
    pub released_tag: Option<String>,
    /// The working tree's migrations directory (default: `<git top>/migrations`).
    #[arg(long)]
    pub migrations_dir: Option<PathBuf>,
    /// The repository holding the released revision (default: the current git work tree).
    #[arg(long)]
    pub repo_dir: Option<PathBuf>,
    /// Use this server (`postgres://user[:pw]@host:port`, CREATEDB needed) instead of a private
    /// ephemeral cluster.
    #[arg(long)]
    pub server_url: Option<String>,
    /// Also write the markdown report here.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    pub verdict: Verdict,
    pub details: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub title: String,
    pub checks: Vec<Check>,
}

impl Report {
    fn add(&mut self, name: impl Into<String>, details: Vec<String>) {
        self.checks.push(Check {
            name: name.into(),
            verdict: if details.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            details,
        });
    }

    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.verdict == Verdict::Fail)
    }

    pub fn markdown(&self) -> String {
        let fails = self
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .count();
        let mut s = format!("# {}\n\n", self.title);
        let _ = writeln!(
            s,
            "**Verdict: {}** — {} check(s), {} failed\n",
            if fails > 0 { "FAIL" } else { "PASS" },
            self.checks.len(),
            fails
        );
        s.push_str("| check | verdict | findings |\n|---|---|---|\n");
        for c in &self.checks {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                c.name.replace('|', "\\|"),
                if c.verdict == Verdict::Pass {
                    "PASS"
                } else {
                    "FAIL"
                },
                c.details.len()
            );
        }
        for c in self.checks.iter().filter(|c| c.verdict == Verdict::Fail) {
            let _ = writeln!(s, "\n## FAIL: {}\n", c.name);
            for d in c.details.iter().take(50) {
                let _ = writeln!(s, "- `{}`", d.replace('`', "'"));
            }
            if c.details.len() > 50 {
                let _ = writeln!(s, "- … and {} more", c.details.len() - 50);
            }
        }
        s
    }
}

enum Db {
    Cluster(Cluster),
    Server(Server),
}

impl Db {
    fn url(&self, name: &str) -> String {
        match self {
            Db::Cluster(c) => c.database_url(name),
            Db::Server(s) => s.database_url(name),
        }
    }
    async fn create(&self, name: &str) -> Result<()> {
        match self {
            Db::Cluster(c) => c.create_database(name, None).await,
            Db::Server(s) => s.create_database(name, None).await,
        }
    }
    async fn drop_db(&self, name: &str) -> Result<()> {
        match self {
            Db::Cluster(c) => c.drop_database(name).await,
            Db::Server(s) => s.drop_database(name).await,
        }
    }
}

/// Scratch database names carry this prefix; only such databases are ever dropped.
pub const SCRATCH_PREFIX: &str = "aveloxis_harness_";

async fn scratch(db: &Db, n: &mut u32) -> Result<(String, PgConnection)> {
    *n += 1;
    let name = format!("{SCRATCH_PREFIX}sc_{}_{n}", std::process::id());
    db.create(&name).await?;
    let conn = PgConnection::connect(&db.url(&name))
        .await
        .with_context(|| format!("connecting to scratch database {name}"))?;
    Ok((name, conn))
}

async fn migrate(conn: &mut PgConnection, plan: &Plan, target: Option<u32>) -> Result<()> {
    let opts = Options {
        target,
        ..Options::default()
    };
    aveloxis_migrations::run(conn, plan, &opts)
        .await
        .map(|_| ())
        .map_err(anyhow::Error::new)
}

fn catalog_diff(want: &[String], got: &[String]) -> Vec<String> {
    let (only_fresh, only_upgraded) = catalog::diff(want, got);
    only_fresh
        .into_iter()
        .map(|l| format!("only in fresh install: {l}"))
        .chain(
            only_upgraded
                .into_iter()
                .map(|l| format!("only in upgraded install: {l}")),
        )
        .collect()
}

/// Run the check. `Err` means it could not run (exit 2); a finished check returns a report.
pub async fn run(args: &Args) -> Result<Report> {
    let cwd = std::env::current_dir()?;
    let repo = match &args.repo_dir {
        Some(d) => d.clone(),
        None => crate::git::toplevel(&cwd).unwrap_or_else(|_| cwd.clone()),
    };
    let dir = args
        .migrations_dir
        .clone()
        .unwrap_or_else(|| repo.join("migrations"));
    let plan = Plan::from_dir(&dir)
        .with_context(|| format!("loading the working tree's schema from {}", dir.display()))?;
    let released = match &args.released_tag {
        Some(tag) => {
            let commit = crate::git::resolve(&repo, tag)?;
            let tmp = tempfile::tempdir()?;
            crate::git::export(&repo, &commit, "migrations", tmp.path())?;
            let p = Plan::from_dir(&tmp.path().join("migrations"))
                .with_context(|| format!("loading the schema of {tag}"))?;
            Some((tag.clone(), p))
        }
        None => None,
    };
    let db = match &args.server_url {
        Some(url) => Db::Server(Server::new(url.clone(), redact(url))),
        None => Db::Cluster(Cluster::start().context("starting an ephemeral PostgreSQL cluster")?),
    };
    let mut created = Vec::new();
    let result = check(&db, &plan, released.as_ref(), &mut created).await;
    for name in created {
        // Only names we generated (with our prefix) are ever dropped.
        if name.starts_with(SCRATCH_PREFIX) {
            let _ = db.drop_db(&name).await;
        }
    }
    result
}

pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

async fn check(
    db: &Db,
    plan: &Plan,
    released: Option<&(String, Plan)>,
    created: &mut Vec<String>,
) -> Result<Report> {
    let mut report = Report {
        title: match released {
            Some((tag, _)) => format!("schema-check: working tree vs {tag}"),
            None => "schema-check: working tree history".into(),
        },
        ..Report::default()
    };
    let mut n = 0;
    let (name, mut fresh) = scratch(db, &mut n).await?;
    created.push(name);
    migrate(&mut fresh, plan, None)
        .await
        .context("fresh install of the working tree")?;
    let want = catalog::snapshot(&mut fresh, catalog::OUR_SCHEMAS).await?;
    let violations = catalog::conventions(&mut fresh).await?;
    report.add(
        "schema conventions (fresh install)",
        violations
            .iter()
            .map(|v| format!("{}: {}", v.check, v.offender))
            .collect(),
    );

    let new_steps: Vec<_> = match released {
        Some((tag, old)) => {
            let problems = prefix_problems(old, plan);
            report.add(
                format!("released steps of {tag} are an unchanged prefix"),
                problems,
            );
            let (name, mut conn) = scratch(db, &mut n).await?;
            created.push(name);
            migrate(&mut conn, old, None)
                .await
                .with_context(|| format!("fresh install of {tag}"))?;
            let upgraded = match migrate(&mut conn, plan, None).await {
                Ok(()) => catalog_diff(
                    &want,
                    &catalog::snapshot(&mut conn, catalog::OUR_SCHEMAS).await?,
                ),
                Err(e) => vec![format!("migrate failed: {e:#}")],
            };
            report.add(format!("{tag} upgraded == fresh install"), upgraded);
            let upgraded_conventions = catalog::conventions(&mut conn).await?;
            report.add(
                format!("schema conventions ({tag} upgraded)"),
                upgraded_conventions
                    .iter()
                    .map(|v| format!("{}: {}", v.check, v.offender))
                    .collect(),
            );
            let last = old.schema_version();
            plan.steps
                .iter()
                .filter(|s| s.version > last)
                .cloned()
                .collect()
        }
        None => {
            for step in &plan.steps {
                let (name, mut conn) = scratch(db, &mut n).await?;
                created.push(name.clone());
                migrate(&mut conn, plan, Some(step.version))
                    .await
                    .with_context(|| format!("building a database as of {}", step.label))?;
                let diffs = match migrate(&mut conn, plan, None).await {
                    Ok(()) => catalog_diff(
                        &want,
                        &catalog::snapshot(&mut conn, catalog::OUR_SCHEMAS).await?,
                    ),
                    Err(e) => vec![format!("migrate failed: {e:#}")],
                };
                report.add(
                    format!("as of {} upgraded == fresh install", step.label),
                    diffs,
                );
                let _ = conn.close().await;
                let _ = db.drop_db(&name).await;
            }
            plan.steps.clone()
        }
    };
    report.add(
        format!("lint of {} step(s)", new_steps.len()),
        lint::lint(&new_steps)
            .into_iter()
            .map(|f| format!("{} [{}] {}", f.step, f.rule, f.message))
            .collect(),
    );
    Ok(report)
}
