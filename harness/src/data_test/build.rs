//! The resolve and build stages: the released revision resolved (and its migration steps
//! checked against the working tree's), then both collectors built into the shared target
//! directory, or taken from `--released-bin` / `--new-bin`.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use aveloxis_migrations::Plan;
use aveloxis_migrations::plan::prefix_problems;

use super::args::Run;
use super::child::stream;
use crate::git::{self, RELEASED_SRC, Worktree};
use crate::report::Check;

/// The released revision, resolved.
pub struct Resolved {
    pub commit: String,
    /// The migrations-prefix check (absent when the revision has no `migrations/`).
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
}

/// Resolve `--released-tag` (after `git fetch --tags` when asked) and check that its migration
/// steps are an unchanged prefix of the working tree's.
pub fn resolve(run: &Run) -> Result<Resolved> {
    if run.build.fetch_tags {
        git::fetch_tags(&run.repo)?;
    }
    let commit = git::resolve(&run.repo, &run.tag)?;
    let mut resolved = Resolved {
        commit,
        checks: Vec::new(),
        notes: Vec::new(),
    };
    let working = Plan::from_dir(&run.repo.join("migrations"))
        .with_context(|| format!("loading {}/migrations", run.repo.display()))?;
    let tmp = tempfile::tempdir()?;
    match git::export(&run.repo, &resolved.commit, "migrations", tmp.path()) {
        Ok(()) => {
            let released = Plan::from_dir(&tmp.path().join("migrations"))
                .with_context(|| format!("loading the migrations of {}", run.tag))?;
            resolved.checks.push(Check::fail_on(
                format!("released steps of {} are an unchanged prefix", run.tag),
                prefix_problems(&released, &working),
            ));
        }
        Err(e) => resolved.notes.push(format!(
            "released revision has no migrations/ to check: {e}"
        )),
    }
    Ok(resolved)
}

/// The two collectors.
pub struct Binaries {
    pub released: PathBuf,
    pub new: PathBuf,
}

/// Build (or take) both collectors; they are copied to `<work>/bin/<side>/`.
pub async fn binaries(run: &Run, commit: &str) -> Result<Binaries> {
    let released = match &run.build.released_bin {
        Some(b) => std::path::absolute(b)?,
        None => {
            // A path of its own per run: concurrent runs never remove each other's worktree.
            git::remove_stale_worktrees(&run.repo, &run.target);
            let path = run
                .target
                .join(format!("{RELEASED_SRC}{}", std::process::id()));
            let wt = Worktree::add(&run.repo, &path, commit)?;
            let dest = run.work.join("bin/released");
            let bin = build(run, "released", &wt.path, &dest).await?;
            drop(wt);
            bin
        }
    };
    let new = match &run.build.new_bin {
        Some(b) => std::path::absolute(b)?,
        None => build(run, "new", &run.repo, &run.work.join("bin/new")).await?,
    };
    for b in [&released, &new] {
        if !b.exists() {
            bail!("collector binary {} does not exist", b.display());
        }
    }
    Ok(Binaries { released, new })
}

/// The cargo profile both sides are built with: the harness's own, inheriting the requested one.
///
/// Cargo fingerprints a workspace member by its path *relative to the workspace root* and by
/// file mtimes, so two checkouts of this project building into one target directory share
/// every member's artifacts: after the released worktree was built, the working tree's older
/// files look up to date and a plain `cargo build` would hand back the *released* collector.
/// So the harness builds in a profile (an output directory) of its own, never in the
/// operator's, and before building a tree other than the one its directory was last built from
/// it cleans the workspace members there (dependencies stay warm and are shared by both sides).
const HARNESS_PROFILE: &str = "harness";

/// The marker naming the source tree a side's profile directory was last built from.
const SOURCE_MARKER: &str = ".harness-source";

/// One cargo invocation's settings.
struct Cargo {
    program: std::ffi::OsString,
    /// `profile.harness.inherits="<profile>"`.
    inherit: String,
    target: PathBuf,
}

impl Cargo {
    fn command(&self, src: &Path, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(&self.program);
        c.current_dir(src)
            .args(["--config", &self.inherit])
            .args(args)
            .env("CARGO_TARGET_DIR", &self.target);
        c
    }
}

/// `cargo build` the collector in `src` into the shared target dir (in the harness's profile
/// directory); returns the copy in `dest`.
async fn build(run: &Run, side: &str, src: &Path, dest: &Path) -> Result<PathBuf> {
    let profile = &run.build.profile;
    let cargo = Cargo {
        program: std::env::var_os("CARGO").unwrap_or("cargo".into()),
        inherit: format!("profile.{HARNESS_PROFILE}.inherits={profile:?}"),
        target: run.target.clone(),
    };
    let out_dir = run.target.join(HARNESS_PROFILE);
    let source = std::fs::canonicalize(src)
        .with_context(|| format!("resolving {}", src.display()))?
        .display()
        .to_string();
    // One build at a time per target dir: the marker, the clean, the build and the copy below
    // must not interleave with another harness run's.
    let _lock = build_lock(side, &out_dir).await?;
    clean_other_tree(&cargo, side, src, &out_dir, &source).await?;
    std::fs::write(out_dir.join(SOURCE_MARKER), &source)?;
    let args = [
        "build",
        "--profile",
        HARNESS_PROFILE,
        "-p",
        "aveloxis-core",
        "--bin",
        "aveloxis",
    ];
    stream(side, cargo.command(src, &args), None, None)
        .await
        .with_context(|| format!("building the {side} binary in {}", src.display()))?;
    let built = out_dir.join("aveloxis");
    std::fs::create_dir_all(dest)?;
    let copy = dest.join("aveloxis");
    let _ = std::fs::remove_file(&copy);
    std::fs::copy(&built, &copy)
        .with_context(|| format!("copying {} to {}", built.display(), copy.display()))?;
    Ok(copy)
}

/// The build lock of `out_dir`, waited for when another harness run holds it (released when the
/// file is dropped).
async fn build_lock(side: &str, out_dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(out_dir)?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out_dir.join(".harness-lock"))
        .with_context(|| format!("opening the build lock in {}", out_dir.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            say!(
                "harness: [{side}] waiting for another harness build in {}",
                out_dir.display()
            );
            let waiting = lock.try_clone()?;
            tokio::task::spawn_blocking(move || waiting.lock())
                .await?
                .context("waiting for the build lock")?;
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).context("taking the build lock");
        }
    }
    Ok(lock)
}

/// Artifacts (`deps/`) from another tree, or from a tree nobody recorded, go first: the
/// workspace members are cleaned (dependencies stay).
async fn clean_other_tree(
    cargo: &Cargo,
    side: &str,
    src: &Path,
    out_dir: &Path,
    source: &str,
) -> Result<()> {
    let previous = std::fs::read_to_string(out_dir.join(SOURCE_MARKER)).ok();
    if !out_dir.join("deps").exists() || previous.as_deref() == Some(source) {
        return Ok(());
    }
    let members = workspace_members(&cargo.program, src).await?;
    say!(
        "harness: [{side}] {} was built from {}; cleaning the workspace members first",
        out_dir.display(),
        previous.as_deref().unwrap_or("an unknown tree")
    );
    let mut clean = cargo.command(src, &["clean", "--profile", HARNESS_PROFILE]);
    for m in &members {
        clean.args(["-p", m]);
    }
    stream(side, clean, None, None)
        .await
        .with_context(|| format!("cleaning the {side} build of {}", out_dir.display()))
}

/// Every package of the workspace at `src` (`cargo metadata --no-deps`).
async fn workspace_members(cargo: &std::ffi::OsStr, src: &Path) -> Result<Vec<String>> {
    let out = tokio::process::Command::new(cargo)
        .current_dir(src)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .stdin(Stdio::null())
        .output()
        .await
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata in {} failed: {}",
            src.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("parsing cargo metadata")?;
    Ok(meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect())
}
