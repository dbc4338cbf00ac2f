//! The upgraded side and the rollback check: day N of an operator's database.
//!
//! Fresh installs never run migration steps (`schema.sql` covers them) and the released and
//! new sides both start empty, so a step that damages rows already in a database (a backfill
//! that truncates a column, a dedupe that deletes distinct rows, an `UPDATE` that changes a
//! unit) is invisible to them. The upgraded side is an operator's database:
//!
//! 1. the **released** binary migrates an empty database and collects day 0 of the forge's
//!    timeline (`collect --full`);
//! 2. the **new** binary runs `migrate` on *that populated database in place* and collects
//!    incrementally (no `--full`) at day N (`--days`);
//! 3. it is compared with the new side (new binary, fresh database, full collection of day N)
//!    with the verdict rules of the released→new comparison, the fresh new side as the
//!    baseline: rows or values the upgraded database lacks are a FAIL naming the table.
//!
//! Then the **rollback check**: the released binary collects incrementally into a copy of
//! the upgraded database (a rolling upgrade: old workers still running next to the new ones).
//! The released binary's `collect` checks the stamped schema version first and by design
//! refuses a newer one ("newer than this aveloxis; upgrade the aveloxis binary"); so does a
//! *restarted* released `serve` (the ledger holds a step it does not know). But a released
//! `serve` that is already running checked the schema only when it started: during a rolling
//! upgrade it keeps collecting with the released code into the upgraded schema. So when the
//! version check refuses, the check runs the released collector again with its version check
//! given the new plan (`--migrations-dir` of the working tree's `migrations/`, the plan the new
//! binary embeds) — what a running old worker does: whether its writes still fit the upgraded
//! schema. A collector failing there is a FAIL.

use super::sides::{
    Bin, Collector, Done, NEW, RELEASED, Shared, Side, Upgrade, Views, first_collection,
};
use crate::report::{Check, Verdict};

/// The upgraded side's checks.
pub const DAY_ZERO: &str = "upgraded: released collector completes (day 0)";
pub const MIGRATES: &str = "upgraded: new binary migrates the populated database in place";
pub const INCREMENTAL: &str = "upgraded: new collector collects incrementally";
pub const ROLLBACK: &str = "rollback: released collector collects against the upgraded schema";

/// What the version check of a binary says about a database a newer binary migrated.
pub const NEWER_SCHEMA: &str = "newer than this aveloxis";

/// The upgraded side, stage by stage (the side's `bin` is the released binary).
pub async fn run(c: &Collector<'_>, side: &Side<'_>, u: &Upgrade, shared: &Shared<'_>) -> Done {
    let released = Bin {
        path: side.bin.clone(),
        which: RELEASED,
    };
    let new = Bin {
        path: u.bin.clone(),
        which: NEW,
    };
    let mut checks = Vec::new();
    let not_compared = |why: &str| format!("upgraded→new not compared: {why} (see the checks)");
    // Day 0 as an operator's database holds it: with the views (refreshed after the new run).
    let views = Views {
        build: side.matviews,
        refresh: false,
    };
    if let Err(e) = first_collection(c, &released, side, shared, 0, views).await {
        checks.push(Check::fail(DAY_ZERO, format!("{e:#}")));
        let notes = vec![not_compared("its day-0 collection failed")];
        return c.done(Ok(()), checks, notes, false);
    }
    checks.push(Check::fail_on(DAY_ZERO, Vec::new()));
    let mut migrate = vec!["migrate"];
    if !side.matviews {
        migrate.push("--skip-views");
    }
    if let Err(e) = c.run(&new, "migrate (in place)", migrate, None).await {
        checks.push(Check::fail(MIGRATES, format!("{e:#}")));
        let notes = vec![not_compared("the new binary could not migrate it")];
        return c.done(Ok(()), checks, notes, false);
    }
    checks.push(Check::fail_on(MIGRATES, Vec::new()));
    let mut collected = c.collect(&new, side, shared, u.day, false).await;
    if side.matviews && collected.is_ok() {
        collected = c
            .run(&new, "refresh-views", vec!["refresh-views"], None)
            .await;
    }
    checks.push(match collected {
        Ok(()) => Check::fail_on(INCREMENTAL, Vec::new()),
        Err(e) => Check::fail(INCREMENTAL, format!("{e:#}")),
    });
    checks.push(rollback(c, side, u, shared, &released).await);
    c.done(Ok(()), checks, Vec::new(), true)
}

/// The rollback check, on a copy of the upgraded database (the comparison sees the upgraded
/// database as the new binary left it).
async fn rollback(
    c: &Collector<'_>,
    side: &Side<'_>,
    u: &Upgrade,
    shared: &Shared<'_>,
    released: &Bin,
) -> Check {
    let copy = c
        .timed("harness", "rollback: copy database", None, async {
            shared.host.create_from(&u.rollback_db, &side.db).await
        })
        .await;
    if let Err(e) = copy {
        return Check::fail(ROLLBACK, format!("copying the upgraded database: {e:#}"));
    }
    let rb = match Collector::configure("rollback", &u.rollback_db, shared) {
        Ok(rb) => rb,
        Err(e) => return Check::fail(ROLLBACK, format!("{e:#}")),
    };
    let check = rollback_collect(&rb, side, u, shared, released).await;
    let steps = rb
        .take_steps()
        .into_iter()
        .map(|mut s| {
            s.name = format!("rollback: {}", s.name);
            s
        })
        .collect();
    c.push_steps(steps);
    check
}

/// The released collector's incremental collection into the copy; when its version check
/// refuses the newer schema, again with the new plan's version.
async fn rollback_collect(
    rb: &Collector<'_>,
    side: &Side<'_>,
    u: &Upgrade,
    shared: &Shared<'_>,
    released: &Bin,
) -> Check {
    let as_is = match rb.collect(released, side, shared, u.day, false).await {
        Ok(()) => {
            return pass(vec![
                "the released binary collects incrementally into (a copy of) the upgraded \
                 database: same schema version, its writes fit"
                    .into(),
            ]);
        }
        Err(e) => format!("{e:#}"),
    };
    if !as_is.contains(NEWER_SCHEMA) {
        return Check::fail(ROLLBACK, as_is);
    }
    let refused = "the released binary refuses the upgraded schema by design: its version check \
                   accepts only its own schema version (\"newer than this aveloxis; upgrade the \
                   aveloxis binary\"), as does a restarted released serve; a released serve \
                   already running checked only at its start and keeps collecting"
        .to_string();
    let dir = u.migrations.display().to_string();
    let extra = ["--migrations-dir", dir.as_str()];
    match rb
        .collect_with(released, side, shared, u.day, false, &extra)
        .await
    {
        Ok(()) => pass(vec![
            refused,
            format!(
                "as a running released worker, with its version check given the new plan \
                 (--migrations-dir {dir}), it collects: the upgraded schema still takes the \
                 released collector's writes"
            ),
        ]),
        Err(e) => Check {
            name: ROLLBACK.into(),
            verdict: Verdict::Fail,
            details: vec![
                refused,
                format!(
                    "as a running released worker, with its version check given the new plan \
                     (--migrations-dir {dir}), it fails on the upgraded schema: {e:#}"
                ),
            ],
        },
    }
}

fn pass(details: Vec<String>) -> Check {
    Check {
        name: ROLLBACK.into(),
        verdict: Verdict::Pass,
        details,
    }
}
