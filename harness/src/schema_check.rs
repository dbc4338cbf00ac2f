//! `harness schema-check`: does an upgraded database end up with exactly the schema of a fresh
//! install, does the schema keep its conventions, and do the new steps avoid the known incident
//! classes?
//!
//! * With `--released-tag TAG`: the released schema (its own `migrations/` at TAG, fresh
//!   install) is upgraded by the working tree's migrate and compared with a fresh install of the
//!   working tree. The released steps must be an unchanged prefix of the working tree's.
//! * Without: a database as of every step of the working tree is brought forward and compared.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use aveloxis_migrations::plan::prefix_problems;
use aveloxis_migrations::{Options, Plan, Step, catalog, lint};
use sqlx::{Connection, PgConnection};

use crate::cli::SchemaCheckArgs;
use crate::report::{self, Check, Verdict, md_escape, verdict_line};
use crate::scratch::{Host, SCRATCH_PREFIX};

/// A finished schema check.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub title: String,
    pub checks: Vec<Check>,
}

impl Report {
    fn add(&mut self, name: impl Into<String>, details: Vec<String>) {
        self.checks.push(Check::fail_on(name, details));
    }

    pub fn verdict(&self) -> Verdict {
        Verdict::worst(self.checks.iter().map(|c| c.verdict))
    }

    pub fn failed(&self) -> bool {
        self.verdict() == Verdict::Fail
    }

    pub fn markdown(&self) -> String {
        let verdicts = self.checks.iter().map(|c| c.verdict);
        let fails = report::count(verdicts, Verdict::Fail);
        let mut s = format!("# {}\n\n", self.title);
        let _ = writeln!(
            s,
            "{} — {} check(s), {} failed\n",
            verdict_line(self.verdict()),
            self.checks.len(),
            fails
        );
        s.push_str("| check | verdict | findings |\n|---|---|---|\n");
        for c in &self.checks {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                md_escape(&c.name),
                c.verdict.as_str(),
                c.details.len()
            );
        }
        s.push_str(&report::failed_sections(&self.checks, 50));
        s
    }
}

/// The scratch databases of one check, numbered; each one created is dropped again (by the
/// marked-scratch policy) when the check ends.
struct Scratch<'a> {
    host: &'a Host,
    created: Vec<String>,
}

impl Scratch<'_> {
    async fn next(&mut self) -> Result<(String, PgConnection)> {
        let n = self.created.len() + 1;
        let name = format!("{SCRATCH_PREFIX}sc_{}_{n}", std::process::id());
        self.host.create(&name).await?;
        self.created.push(name.clone());
        let conn = PgConnection::connect(&self.host.url(&name))
            .await
            .with_context(|| format!("connecting to scratch database {name}"))?;
        Ok((name, conn))
    }
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

/// Migrate `conn` to the end of `plan` and list how its catalog differs from `want`.
async fn upgrade_diff(
    conn: &mut PgConnection,
    plan: &Plan,
    want: &[String],
) -> Result<Vec<String>> {
    Ok(match migrate(conn, plan, None).await {
        Ok(()) => catalog_diff(want, &catalog::snapshot(conn, catalog::OUR_SCHEMAS).await?),
        Err(e) => vec![format!("migrate failed: {e:#}")],
    })
}

async fn conventions(conn: &mut PgConnection) -> Result<Vec<String>> {
    Ok(catalog::conventions(conn)
        .await?
        .iter()
        .map(|v| format!("{}: {}", v.check, v.offender))
        .collect())
}

/// Run the check and print its report (also to `--report`). `Err` means it could not run.
pub async fn run(args: &SchemaCheckArgs) -> Result<Verdict> {
    let report = check_report(args).await?;
    print!("{}", report.markdown());
    if let Some(path) = &args.report {
        std::fs::write(path, report.markdown())
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    Ok(report.verdict())
}

/// Run the check. `Err` means it could not run (exit 2); a finished check returns a report.
pub async fn check_report(args: &SchemaCheckArgs) -> Result<Report> {
    let repo = crate::git::repo_root(args.revision.repo_dir.as_deref())?;
    let dir = args
        .migrations_dir
        .clone()
        .unwrap_or_else(|| repo.join("migrations"));
    let plan = Plan::from_dir(&dir)
        .with_context(|| format!("loading the working tree's schema from {}", dir.display()))?;
    let released = match &args.revision.released_tag {
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
    let host = match &args.server.server_url {
        Some(url) => Host::server(url)?,
        None => Host::ephemeral()?,
    };
    let mut scratch = Scratch {
        host: &host,
        created: Vec::new(),
    };
    let result = check(&mut scratch, &plan, released.as_ref()).await;
    host.drop_all(&scratch.created).await;
    result
}

async fn check(
    scratch: &mut Scratch<'_>,
    plan: &Plan,
    released: Option<&(String, Plan)>,
) -> Result<Report> {
    let mut report = Report {
        title: match released {
            Some((tag, _)) => format!("schema-check: working tree vs {tag}"),
            None => "schema-check: working tree history".into(),
        },
        ..Report::default()
    };
    let (_, mut fresh) = scratch.next().await?;
    migrate(&mut fresh, plan, None)
        .await
        .context("fresh install of the working tree")?;
    let want = catalog::snapshot(&mut fresh, catalog::OUR_SCHEMAS).await?;
    report.add(
        "schema conventions (fresh install)",
        conventions(&mut fresh).await?,
    );
    let new_steps = match released {
        Some((tag, old)) => upgrade_release(scratch, &mut report, plan, tag, old, &want).await?,
        None => upgrade_history(scratch, &mut report, plan, &want).await?,
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

/// The released schema upgraded by the working tree: prefix, catalog and conventions checks;
/// returns the steps that are new since the release.
async fn upgrade_release(
    scratch: &mut Scratch<'_>,
    report: &mut Report,
    plan: &Plan,
    tag: &str,
    old: &Plan,
    want: &[String],
) -> Result<Vec<Step>> {
    report.add(
        format!("released steps of {tag} are an unchanged prefix"),
        prefix_problems(old, plan),
    );
    let (_, mut conn) = scratch.next().await?;
    migrate(&mut conn, old, None)
        .await
        .with_context(|| format!("fresh install of {tag}"))?;
    // The upgrade runs on what production holds: a released step edited in the working tree
    // (already a FAIL above) keeps its released text here, so the engine, which refuses a
    // ledger that disagrees with the plan before writing anything, still applies and judges the
    // new steps on top of it.
    let upgrade_plan = with_released_steps(plan, old);
    let upgraded = upgrade_diff(&mut conn, &upgrade_plan, want).await?;
    report.add(format!("{tag} upgraded == fresh install"), upgraded);
    report.add(
        format!("schema conventions ({tag} upgraded)"),
        conventions(&mut conn).await?,
    );
    let last = old.schema_version();
    Ok(plan
        .steps
        .iter()
        .filter(|s| s.version > last)
        .cloned()
        .collect())
}

/// `plan` with every step the released plan also has in the released text.
fn with_released_steps(plan: &Plan, released: &Plan) -> Plan {
    let mut out = plan.clone();
    for step in &mut out.steps {
        if let Some(r) = released.steps.iter().find(|r| r.version == step.version) {
            *step = r.clone();
        }
    }
    out
}

/// A database as of every step of the working tree brought forward; returns every step.
async fn upgrade_history(
    scratch: &mut Scratch<'_>,
    report: &mut Report,
    plan: &Plan,
    want: &[String],
) -> Result<Vec<Step>> {
    for step in &plan.steps {
        let (name, mut conn) = scratch.next().await?;
        migrate(&mut conn, plan, Some(step.version))
            .await
            .with_context(|| format!("building a database as of {}", step.label))?;
        let diffs = upgrade_diff(&mut conn, plan, want).await?;
        report.add(
            format!("as of {} upgraded == fresh install", step.label),
            diffs,
        );
        let _ = conn.close().await;
        let _ = scratch.host.drop(&name).await;
    }
    Ok(plan.steps.clone())
}
