//! Repeating a whole transaction when PostgreSQL aborts it for a deadlock (SQLSTATE 40P01) or a
//! serialization failure (40001).
//!
//! Architecture invariant: only work that is one transaction from start to end (or a sequence
//! of steps each of which is idempotent) goes through [`retry_transient`]: the failed attempt
//! was rolled back as a whole, so repeating it cannot write anything twice. Attempts are spaced
//! by a growing, jittered pause so that the transactions that deadlocked do not meet again in
//! the same order.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::PgConnection;

/// Attempts in all (the first and the repeats).
pub const TRANSIENT_ATTEMPTS: u32 = 5;

/// The SQLSTATE of `e` (or of the first `sqlx::Error` in its chain) when it is a deadlock or a
/// serialization failure.
pub fn transient_sqlstate(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(|cause| {
        let db = cause.downcast_ref::<sqlx::Error>()?.as_database_error()?;
        let code = db.code()?;
        matches!(code.as_ref(), "40P01" | "40001").then(|| code.into_owned())
    })
}

/// A pause for attempt `n` (from 1): 50 ms × 2^(n-1), plus up to as much again at random.
fn pause(n: u32) -> Duration {
    let base = 50u64 << (n - 1).min(6);
    let jitter = (uuid::Uuid::new_v4().as_u128() % u128::from(base)) as u64;
    Duration::from_millis(base + jitter)
}

/// The future one attempt returns, borrowing the connection.
pub type Attempt<'c, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'c>>;

/// Run `attempt` on `conn`; when it fails with a deadlock or a serialization failure, pause
/// (jittered) and run it again, up to [`TRANSIENT_ATTEMPTS`] times. `what` names the work in
/// the log. Any other error is returned at once.
pub async fn retry_transient<T, F>(
    conn: &mut PgConnection,
    what: &str,
    mut attempt: F,
) -> anyhow::Result<T>
where
    F: for<'c> FnMut(&'c mut PgConnection) -> Attempt<'c, T>,
{
    let mut n = 1;
    loop {
        match attempt(&mut *conn).await {
            Ok(v) => return Ok(v),
            Err(e) if n < TRANSIENT_ATTEMPTS => match transient_sqlstate(&e) {
                Some(code) => {
                    let wait = pause(n);
                    tracing::warn!(work = what, sqlstate = %code, attempt = n, wait_ms = wait.as_millis() as u64,
                        "transaction aborted by the database; repeating it");
                    tokio::time::sleep(wait).await;
                    n += 1;
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}
