//! `aveloxis add-key`: a forge key into `aveloxis_ops.worker_oauth` (argument or stdin), or
//! every key of Augur's `worker_oauth` with `--from-augur`.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use sqlx::PgConnection;

use crate::cli::AddKeyArgs;
use crate::forge::Platform;

async fn copy_from_augur(conn: &mut PgConnection) -> Result<()> {
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('augur_operations.worker_oauth') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        bail!("--from-augur: this database has no augur_operations.worker_oauth");
    }
    let n = sqlx::query(
        "INSERT INTO aveloxis_ops.worker_oauth (name, access_token, platform)
         SELECT coalesce(name, ''), access_token, coalesce(platform, 'github')
           FROM augur_operations.worker_oauth WHERE coalesce(access_token, '') <> ''
         ON CONFLICT (access_token, platform) DO NOTHING",
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    println!("copied {n} key(s) from Augur (duplicates skipped)");
    Ok(())
}

pub(super) async fn run(conn: &mut PgConnection, args: &AddKeyArgs) -> Result<()> {
    if args.from_augur {
        return copy_from_augur(conn).await;
    }
    let platform = Platform::parse(&args.platform)?;
    let token = match args.token.as_deref() {
        Some(t) if t != "-" => t.trim().to_owned(),
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the token from stdin")?;
            line.trim().to_owned()
        }
    };
    if let Some(problem) = crate::config::token_problem(&token) {
        bail!("{problem}");
    }
    let n = sqlx::query(
        "INSERT INTO aveloxis_ops.worker_oauth (name, access_token, platform) VALUES ($1, $2, $3)
         ON CONFLICT (access_token, platform) DO NOTHING",
    )
    .bind(&args.name)
    .bind(&token)
    .bind(platform.key_name())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        println!("that {} key is already present", platform.name());
    } else {
        println!("added a {} key", platform.name());
    }
    Ok(())
}
