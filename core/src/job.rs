//! Running a claimed job: a heartbeat beside the work, and the work cancelled the moment the
//! claim is found lost.
//!
//! Architecture invariant: a job runs only while its worker holds the claim. The heartbeat
//! (its own connection) proves the claim every `every`; when the claim is gone (recovered as
//! stale after a pause of the process, taken over), the work future is dropped at its next
//! await, which rolls back its open transaction, and the job ends as [`JobEnd::ClaimLost`].
//! Writes that commit are fenced as well (`queue::check_fence` inside the processing
//! transactions), so a job that is slow to notice still cannot commit under a lost claim.

use std::future::Future;
use std::ops::DerefMut;
use std::time::Duration;

use sqlx::PgConnection;

use crate::queue;

/// How a claimed job ended.
#[derive(Debug)]
pub enum JobEnd<T> {
    /// The work ran to its end (successfully or not).
    Done(T),
    /// The claim was lost; the work was cancelled.
    ClaimLost,
}

/// A random id for this process: `host:pid:random`, so that processes with the same host name
/// and pid (pid 1 in every container) never share worker ids.
pub fn process_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into());
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &nonce[..8])
}

/// Run `work` for the claim of `worker` on `repo_id`, heart-beating on `hb` every `every`.
pub async fn run_claimed<C, F, T>(
    hb: C,
    repo_id: i64,
    worker: &str,
    every: Duration,
    work: F,
) -> JobEnd<T>
where
    C: DerefMut<Target = PgConnection> + Send + 'static,
    F: Future<Output = T>,
{
    let (lost_tx, lost_rx) = tokio::sync::oneshot::channel::<()>();
    let heart = {
        let worker = worker.to_owned();
        tokio::spawn(async move {
            let mut hb = hb;
            loop {
                tokio::time::sleep(every).await;
                match queue::heartbeat(&mut hb, repo_id, &worker).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(worker = %worker, repo_id, "lost the claim (recovered as stale?); cancelling the job");
                        let _ = lost_tx.send(());
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(worker = %worker, repo_id, error = %e, "heartbeat failed; trying again")
                    }
                }
            }
        })
    };
    let lost = async {
        if lost_rx.await.is_err() {
            // The heartbeat ended without finding the claim lost: never fires.
            std::future::pending::<()>().await;
        }
    };
    // The heartbeat ends with the job, also when the job is dropped unfinished (a worker
    // aborted at the end of the shutdown grace): it must not go on holding a connection and
    // renewing a claim nobody works on.
    struct StopHeart(tokio::task::JoinHandle<()>);
    impl Drop for StopHeart {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _heart = StopHeart(heart);
    tokio::select! {
        out = work => JobEnd::Done(out),
        _ = lost => JobEnd::ClaimLost,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_processes_with_one_host_and_pid_get_different_worker_ids() {
        // Two containers: same host name, both pid 1; here, one process asked twice.
        let (a, b) = (super::process_id(), super::process_id());
        assert_ne!(a, b);
        let pid = format!(":{}:", std::process::id());
        assert!(a.contains(&pid) && b.contains(&pid), "{a} / {b}");
    }
}
