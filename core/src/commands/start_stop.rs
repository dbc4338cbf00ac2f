//! `aveloxis start` / `aveloxis stop`: a detached `serve` with a pidfile.
//!
//! Files live in `$AVELOXIS_HOME` (default `~/.aveloxis`): `aveloxis-serve.pid` and
//! `aveloxis.log`. A pidfile whose process is gone, or is not an aveloxis process (the pid was
//! reused), is stale and removed. For production, use the systemd units in `deploy/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cli::ServeArgs;

fn home() -> Result<PathBuf> {
    let dir = match std::env::var_os("AVELOXIS_HOME") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(
            std::env::var_os("HOME").context("neither AVELOXIS_HOME nor HOME is set")?,
        )
        .join(".aveloxis"),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn pidfile(dir: &Path) -> PathBuf {
    dir.join("aveloxis-serve.pid")
}

/// The pid in the pidfile if that process is alive and is an aveloxis process.
fn running(dir: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pidfile(dir))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let text = String::from_utf8_lossy(&cmdline);
    (text.contains("aveloxis") && text.contains("serve")).then_some(pid)
}

fn alive(pid: u32) -> bool {
    // A zombie still has a /proc entry; it is not running.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

fn serve_flags(a: &ServeArgs) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(w) = a.workers {
        v.extend(["--workers".into(), w.to_string()]);
    }
    if let Some(m) = &a.monitor {
        v.extend(["--monitor".into(), m.clone()]);
    }
    if a.augur_keys {
        v.push("--augur-keys".into());
    }
    for (flag, val) in [
        ("--poll-ms", a.poll_ms),
        ("--heartbeat-ms", a.heartbeat_ms),
        ("--stale-after-ms", a.stale_after_ms),
        ("--shutdown-grace-ms", a.shutdown_grace_ms),
        ("--scheduler-ms", a.scheduler_ms),
        ("--retry-after-ms", a.retry_after_ms),
    ] {
        v.extend([flag.into(), val.to_string()]);
    }
    v
}

pub(super) fn start(config: &Path, what: &str, args: &ServeArgs) -> Result<()> {
    if !matches!(what, "serve" | "all") {
        bail!("unknown service {what:?} (serve or all)");
    }
    let dir = home()?;
    if let Some(pid) = running(&dir) {
        bail!("serve is already running (pid {pid}); `aveloxis stop` first");
    }
    let _ = std::fs::remove_file(pidfile(&dir));
    let config = std::fs::canonicalize(config)
        .with_context(|| format!("config file {} not found", config.display()))?;
    let log_path = dir.join("aveloxis.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)?;
    let exe = std::env::current_exe()?;
    let child = Command::new("setsid")
        .arg(exe)
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .args(serve_flags(args))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting serve (setsid)")?;
    let pid = child.id();
    std::fs::write(pidfile(&dir), format!("{pid}\n"))?;
    // A serve that cannot start (bad config, failed migrate) exits within moments: report it.
    std::thread::sleep(Duration::from_millis(1500));
    if !alive(pid) {
        let _ = std::fs::remove_file(pidfile(&dir));
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(10).collect();
        bail!(
            "serve exited right after starting; last lines of {}:\n{}",
            log_path.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    println!("serve started (pid {pid}); log: {}", log_path.display());
    Ok(())
}

pub(super) async fn stop(what: &str) -> Result<()> {
    if !matches!(what, "serve" | "all") {
        bail!("unknown service {what:?} (serve or all)");
    }
    let dir = home()?;
    let Some(pid) = running(&dir) else {
        if pidfile(&dir).exists() {
            std::fs::remove_file(pidfile(&dir))?;
            println!("serve was not running; removed a stale pidfile");
        } else {
            println!("serve is not running");
        }
        return Ok(());
    };
    let st = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()?;
    if !st.success() {
        bail!("could not signal pid {pid}");
    }
    let started = Instant::now();
    while alive(pid) {
        if started.elapsed() > Duration::from_secs(180) {
            bail!("serve (pid {pid}) did not exit within 180 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = std::fs::remove_file(pidfile(&dir));
    println!("serve (pid {pid}) stopped");
    Ok(())
}
