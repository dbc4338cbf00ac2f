//! Who may use a cluster: its owner only. A random password per cluster for TCP (set over the
//! unix socket, never in a command line), and the socket in the cluster's 0700 directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// 32 hex digits from the kernel's random source.
pub(crate) fn random_secret() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading /dev/urandom for the cluster password")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The cluster directory (the socket's) 0700, and a `pg_hba.conf` that trusts only that socket
/// and asks every TCP connection for the password.
pub(crate) fn restrict_to_owner(dir: &Path, data: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("chmod 700 {}", dir.display()))?;
    std::fs::write(
        data.join("pg_hba.conf"),
        "# aveloxis-pg: the unix socket (in a 0700 directory) is trusted; TCP needs the password\n\
         local all all trust\n\
         host all all 127.0.0.1/32 scram-sha-256\n\
         host all all ::1/128 scram-sha-256\n",
    )
    .context("writing pg_hba.conf")
}

/// Set the superuser's password over the unix socket; the statement goes to `psql` on stdin, so
/// the secret never appears in a command line.
pub(crate) fn set_password(bin: &Path, dir: &Path, port: u16, password: &str) -> Result<()> {
    use std::io::Write;
    let psql = if bin.join("psql").exists() {
        bin.join("psql")
    } else {
        PathBuf::from("psql")
    };
    let mut child = Command::new(psql)
        .arg("-X")
        .arg("-q")
        .args([
            "-v",
            "ON_ERROR_STOP=1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-h",
        ])
        .arg(dir)
        .arg("-p")
        .arg(port.to_string())
        .env_remove("PGPASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("running psql to set the cluster password")?;
    let mut stdin = child.stdin.take().context("psql stdin")?;
    stdin
        .write_all(format!("ALTER ROLE postgres PASSWORD '{password}';\n").as_bytes())
        .context("writing to psql")?;
    drop(stdin);
    let out = child.wait_with_output().context("waiting for psql")?;
    if !out.status.success() {
        bail!(
            "setting the cluster password failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
