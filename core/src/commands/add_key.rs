//! `aveloxis add-key`: a forge key into `aveloxis_ops.worker_oauth` (argument or stdin), or
//! every key of Augur's `worker_oauth` (or CollectOSS's) with `--from-augur`.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use sqlx::PgConnection;

use crate::cli::AddKeyArgs;
use crate::forge::Platform;
use crate::forge::keys::{NO_AUGUR_KEYS, augur_ops_schema};

async fn copy_from_augur(conn: &mut PgConnection) -> Result<()> {
    let Some(schema) = augur_ops_schema(conn).await? else {
        bail!("--from-augur: {NO_AUGUR_KEYS}");
    };
    let n = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO aveloxis_ops.worker_oauth (name, access_token, platform)
         SELECT coalesce(name, ''), access_token, coalesce(platform, 'github')
           FROM {schema}.worker_oauth WHERE coalesce(access_token, '') <> ''
         ON CONFLICT (access_token, platform) DO NOTHING"
    )))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    println!("copied {n} key(s) from Augur ({schema}.worker_oauth; duplicates skipped)");
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
