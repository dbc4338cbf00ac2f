//! Child processes of a run (cargo, the collectors): output streamed line by line with the
//! side's prefix, kept in the side's log, the last lines quoted when the child fails.

use std::io::Write as _;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A side's log file, shared by its children.
pub type Log = Arc<Mutex<std::fs::File>>;

/// Run `cmd`, streaming its stdout and stderr line by line prefixed `[side]` (to stderr and to
/// `log`); fails with the exit status and the last lines of output.
pub async fn stream(
    side: &str,
    mut cmd: tokio::process::Command,
    stdin: Option<String>,
    log: Option<Log>,
) -> Result<()> {
    // Program and arguments only: `Command`'s Debug also prints the environment it sets, and
    // that holds the scratch server's password (PGPASSWORD).
    let shown = std::iter::once(cmd.as_std().get_program())
        .chain(cmd.as_std().get_args())
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(" ");
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("[{side}] starting {shown}"))?;
    if let Some(input) = stdin
        && let Some(mut w) = child.stdin.take()
    {
        w.write_all(input.as_bytes()).await?;
        drop(w);
    }
    let tail = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    let out = child
        .stdout
        .take()
        .map(|o| Box::new(o) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    let err = child
        .stderr
        .take()
        .map(|o| Box::new(o) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    for pipe in [out, err].into_iter().flatten() {
        let side = side.to_string();
        let tail = tail.clone();
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let mut lines = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                say!("[{side}] {line}");
                if let Some(l) = &log
                    && let Ok(mut f) = l.lock()
                {
                    let _ = writeln!(f, "{line}");
                }
                if let Ok(mut t) = tail.lock() {
                    t.push(line);
                    if t.len() > 15 {
                        t.remove(0);
                    }
                }
            }
        }));
    }
    let status = child.wait().await?;
    for t in tasks {
        let _ = t.await;
    }
    if !status.success() {
        let tail = tail.lock().map(|t| t.join("\n")).unwrap_or_default();
        bail!("[{side}] {shown} failed ({status}); last output:\n{tail}");
    }
    Ok(())
}
