//! The marked-scratch-database policy every command follows.

use aveloxis_harness::scratch::{self, SCRATCH_MARKER, SCRATCH_PREFIX};
use sqlx::Connection;

use super::support::*;

async fn comment(url: &str, db: &str) -> Option<Option<String>> {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
    )
    .bind(db)
    .fetch_optional(&mut c)
    .await
    .unwrap()
}

#[test]
fn scratch_databases_are_marked_and_only_marked_ones_are_dropped() {
    let cluster = aveloxis_pg::Cluster::start().unwrap();
    let admin = cluster.url("postgres");
    runtime().block_on(async {
        let ours = format!("{SCRATCH_PREFIX}t_marked");
        scratch::create(&admin, &ours).await.unwrap();
        assert_eq!(
            comment(&admin, &ours).await,
            Some(Some(SCRATCH_MARKER.to_string()))
        );
        // It never adopts a database that already exists, nor creates one without the prefix.
        assert!(scratch::create(&admin, &ours).await.is_err());
        assert!(scratch::create(&admin, "someone_elses").await.is_err());

        let prefix_only = format!("{SCRATCH_PREFIX}t_unmarked");
        aveloxis_pg::create_database(&admin, &prefix_only, None)
            .await
            .unwrap();
        aveloxis_pg::create_database(&admin, "operator_primary", None)
            .await
            .unwrap();
        assert!(!scratch::drop(&admin, &prefix_only).await.unwrap());
        assert!(!scratch::drop(&admin, "operator_primary").await.unwrap());
        assert!(scratch::drop(&admin, &ours).await.unwrap());
        assert!(!scratch::drop(&admin, &ours).await.unwrap(), "already gone");
    });
    let left = runtime().block_on(databases(&cluster));
    assert!(
        left.contains(&format!("{SCRATCH_PREFIX}t_unmarked")),
        "{left:?}"
    );
    assert!(left.contains(&"operator_primary".to_string()), "{left:?}");
    assert!(
        !left.contains(&format!("{SCRATCH_PREFIX}t_marked")),
        "{left:?}"
    );
}
