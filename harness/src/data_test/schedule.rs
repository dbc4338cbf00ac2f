//! The collect stage's schedule: every side of a run, together (the mock forge) or in turn
//! (the live forge's shared rate budget), each timed; the plain sides through
//! [`super::sides`], the upgraded one through [`super::upgraded`].

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use anyhow::Result;

use super::sides::{Collector, Done, Shared, Side, SideRun, collect};
use crate::report::Check;

/// What the collect stage hands on.
#[derive(Default)]
pub struct Outcome {
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
    pub runs: Vec<SideRun>,
    /// The upgraded database is worth comparing (its in-place migration succeeded).
    pub upgraded_comparable: bool,
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
) -> Result<Outcome> {
    let done = match schedule {
        Schedule::Together => join_all(sides.iter().map(|s| run_side(s, shared)).collect()).await,
        Schedule::InTurn => {
            let mut done = Vec::new();
            for side in sides {
                let d = run_side(side, shared).await;
                // Without a baseline there is nothing to compare against: the other sides
                // would only spend the operator's budget.
                let stop = side.baseline && d.result.is_err();
                done.push(d);
                if stop {
                    break;
                }
            }
            done
        }
    };
    let mut out = Outcome::default();
    for (side, d) in sides.iter().zip(done) {
        match d.result {
            Ok(()) => {}
            Err(e) if side.baseline => return Err(e),
            // The collector failing where the baseline succeeded is the regression itself (a
            // NOT NULL column it does not fill, a CHECK its data violates, a renamed column it
            // still writes…): a FAIL naming the error, and the diff shows what it left missing.
            Err(e) => out.checks.push(Check::fail(
                format!("{} collector completes", side.name),
                format!("{e:#}"),
            )),
        }
        out.checks.extend(d.checks);
        out.notes.extend(d.notes);
        out.runs.push(d.run);
        out.upgraded_comparable |= side.upgrade.is_some() && d.comparable;
    }
    Ok(out)
}

/// One side, timed: the plain sides' steps, or the upgraded side's stages.
async fn run_side(side: &Side<'_>, shared: &Shared<'_>) -> Done {
    let start = std::time::Instant::now();
    let mut done = match Collector::configure(side.name, &side.db, shared) {
        Err(e) => Done {
            result: Err(e),
            checks: Vec::new(),
            notes: Vec::new(),
            run: SideRun::default(),
            comparable: false,
        },
        Ok(c) => match &side.upgrade {
            None => {
                let result = collect(&c, side, shared).await;
                c.done(result, Vec::new(), Vec::new(), true)
            }
            Some(u) => super::upgraded::run(&c, side, u, shared).await,
        },
    };
    done.run.side = side.name.to_string();
    done.run.db = side.db.clone();
    done.run.seconds = start.elapsed().as_secs_f64();
    done
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
