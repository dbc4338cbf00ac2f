//! The `initdb` cache: the first `initdb` per PostgreSQL version is kept (in a private directory
//! of the running user) and later clusters start from a copy of it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{DirGuard, INITDB_ARGS, chown_postgres, euid, make_temp_dir, run_checked, server_cmd};

/// Create `dir` (mode 0700) if missing, and refuse it unless it is a real directory owned by us
/// with no access for group or others: a cache in a shared temporary directory that another
/// user made, or could write to, could hand us a planted data directory whose configuration runs
/// code as `postgres`.
fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
    }
    let m = std::fs::symlink_metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mode = m.permissions().mode() & 0o777;
    if !m.is_dir() || m.file_type().is_symlink() {
        bail!(
            "initdb cache {} is not a directory; remove it",
            dir.display()
        );
    }
    if m.uid() != euid() {
        bail!(
            "initdb cache {} belongs to uid {}, not to us (uid {}); refusing to use it — remove it \
             or pass another cache directory",
            dir.display(),
            m.uid(),
            euid()
        );
    }
    if mode & 0o077 != 0 {
        bail!(
            "initdb cache {} has mode {mode:o}: others could plant a data directory in it; \
             refusing to use it (chmod 700 it after checking its contents, or remove it)",
            dir.display()
        );
    }
    Ok(())
}

/// The cached `initdb` output for this PostgreSQL version, created atomically on first use.
pub(crate) fn cached_initdb(bin: &Path, as_postgres: bool, root: &Path) -> Result<PathBuf> {
    let version = Command::new(bin.join("postgres"))
        .arg("--version")
        .output()
        .context("running postgres --version")?;
    let version = String::from_utf8_lossy(&version.stdout);
    let key: String = version
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    private_dir(root)?;
    let cached = root.join(format!("{key}-{}", if as_postgres { "pg" } else { "me" }));
    if cached.join("PG_VERSION").exists() {
        return Ok(cached);
    }
    let staging = make_temp_dir("aveloxis-initdb-")?;
    let _guard = DirGuard(Some(staging.clone()));
    if as_postgres {
        chown_postgres(&staging)?;
    }
    let data = staging.join("data");
    let mut c = server_cmd(&bin.join("initdb"), as_postgres);
    c.arg("-D").arg(&data).args(INITDB_ARGS);
    run_checked(c, "initdb")?;
    // rename is atomic; if another process won the race, use theirs.
    match std::fs::rename(&data, &cached) {
        Ok(()) => {}
        Err(_) if cached.join("PG_VERSION").exists() => {}
        Err(e) => return Err(e).context("storing the initdb cache"),
    }
    Ok(cached)
}
