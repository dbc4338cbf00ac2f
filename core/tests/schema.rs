//! The data model against the live catalog of a freshly migrated database.

use aveloxis_core::contributor_id::contributor_id;
use aveloxis_migrations::catalog;
use sqlx::Row;

use crate::support::*;

#[tokio::test]
async fn fresh_install_has_the_documented_objects() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let data = catalog::count_relations(&mut conn, "aveloxis_data", 'r')
        .await
        .unwrap();
    let ops = catalog::count_relations(&mut conn, "aveloxis_ops", 'r')
        .await
        .unwrap();
    let matviews = catalog::count_relations(&mut conn, "aveloxis_data", 'm')
        .await
        .unwrap();
    let compat = catalog::count_relations(&mut conn, "aveloxis_augur_data", 'v')
        .await
        .unwrap();
    assert!(data >= 84, "aveloxis_data has {data} base tables");
    assert!(ops >= 24, "aveloxis_ops has {ops} base tables");
    assert_eq!(matviews, 23);
    assert!(compat >= 10, "aveloxis_augur_data has {compat} views");
    let platforms: Vec<(i16, String)> =
        sqlx::query_as("SELECT platform_id, platform_name FROM aveloxis_data.platforms ORDER BY 1")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        platforms,
        vec![
            (1, "GitHub".into()),
            (2, "GitLab".into()),
            (3, "Git".into())
        ]
    );
    for (name, unpopulated) in sqlx::query_as::<_, (String, bool)>(
        "SELECT relname::text, NOT relispopulated FROM pg_class WHERE relkind = 'm'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    {
        assert!(unpopulated, "{name} must be created WITH NO DATA");
    }
}

#[tokio::test]
async fn the_catalog_meets_every_convention() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let v = catalog::conventions(&mut conn).await.unwrap();
    assert!(v.is_empty(), "convention violations:\n{v:#?}");
    let fks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
          WHERE c.contype = 'f' AND n.nspname LIKE 'aveloxis%'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let cntrb_fks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f'
            AND confrelid = 'aveloxis_data.contributors'::regclass
            AND confupdtype = 'c' AND confdeltype = 'r'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(fks > 100, "{fks} foreign keys");
    assert!(
        cntrb_fks >= 15,
        "{cntrb_fks} FKs to contributors with cascade rules"
    );
}

#[tokio::test]
async fn the_convention_checks_catch_violations() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "CREATE TABLE aveloxis_data.bad_child (
             id BIGINT PRIMARY KEY,
             repo_id BIGINT,
             cntrb_id UUID,
             tool_source TEXT, tool_version TEXT, data_source TEXT, data_collection_date TIMESTAMPTZ,
             CONSTRAINT fk_bad_child_repo FOREIGN KEY (repo_id) REFERENCES aveloxis_data.repos (repo_id),
             CONSTRAINT fk_bad_child_cntrb FOREIGN KEY (cntrb_id)
                 REFERENCES aveloxis_data.contributors (cntrb_id) DEFERRABLE INITIALLY DEFERRED)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let v = catalog::conventions(&mut conn).await.unwrap();
    let hit = |check: &str, needle: &str| {
        v.iter()
            .any(|x| x.check == check && x.offender.contains(needle))
    };
    assert!(
        hit("fk_not_deferrable_initially_deferred", "fk_bad_child_repo"),
        "{v:#?}"
    );
    assert!(
        hit("fk_child_columns_not_indexed", "fk_bad_child_repo"),
        "{v:#?}"
    );
    assert!(
        hit("fk_child_columns_not_indexed", "fk_bad_child_cntrb"),
        "{v:#?}"
    );
    assert!(hit("contributor_fk_rules", "fk_bad_child_cntrb"), "{v:#?}");
}

#[tokio::test]
async fn messages_of_different_kinds_with_the_same_id_all_survive() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let upsert =
        "INSERT INTO aveloxis_data.messages (platform_id, platform_msg_id, msg_kind, msg_text)
                  VALUES (1, 123456, $1, $2)
                  ON CONFLICT (platform_id, platform_msg_id, msg_kind)
                  DO UPDATE SET msg_text = EXCLUDED.msg_text";
    for kind in ["issue_comment", "review_comment", "review_body"] {
        sqlx::query(upsert)
            .bind(kind)
            .bind(format!("{kind} text"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    sqlx::query(upsert)
        .bind("review_comment")
        .bind("edited")
        .execute(&mut conn)
        .await
        .unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT msg_kind, msg_text FROM aveloxis_data.messages WHERE platform_msg_id = 123456 ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("issue_comment".into(), "issue_comment text".into()),
            ("review_body".into(), "review_body text".into()),
            ("review_comment".into(), "edited".into()),
        ]
    );
    let err = sqlx::query(upsert)
        .bind("gossip")
        .bind("x")
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ck_messages_kind"), "{err}");
}

#[tokio::test]
async fn deferred_fks_allow_children_first_and_contributor_ids_cascade() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let old = contributor_id(1, 15);
    let new = contributor_id(1, 2_445_413);
    // A child alone fails when its (implicit) transaction commits…
    sqlx::query(
        "INSERT INTO aveloxis_data.messages (platform_id, platform_msg_id, msg_kind, cntrb_id)
         VALUES (1, 1, 'issue_comment', $1)",
    )
    .bind(old)
    .execute(&mut conn)
    .await
    .unwrap_err();
    // …but children before parents inside one transaction are fine: checked at COMMIT.
    let mut tx = sqlx::Connection::begin(&mut conn).await.unwrap();
    sqlx::query(
        "INSERT INTO aveloxis_data.messages (platform_id, platform_msg_id, msg_kind, cntrb_id)
         VALUES (1, 1, 'issue_comment', $1)",
    )
    .bind(old)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO aveloxis_data.contributors (cntrb_id, cntrb_login) VALUES ($1, 'octo')",
    )
    .bind(old)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    sqlx::query("UPDATE aveloxis_data.contributors SET cntrb_id = $2 WHERE cntrb_id = $1")
        .bind(old)
        .bind(new)
        .execute(&mut conn)
        .await
        .unwrap();
    let child: uuid::Uuid =
        sqlx::query_scalar("SELECT cntrb_id FROM aveloxis_data.messages WHERE platform_msg_id = 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(child, new, "cntrb_id rewrite cascades to children");
    let err = sqlx::query("DELETE FROM aveloxis_data.contributors WHERE cntrb_id = $1")
        .bind(new)
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("fk_messages_cntrb"), "{err}");
}

#[tokio::test]
async fn sql_github_uuid_agrees_with_the_rust_implementation() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    for (platform, id) in [
        (1u8, 15u64),
        (1, 2_445_413),
        (2, 4_294_967_295),
        (1, 4_294_967_296),
        (2, 1 << 40),
        (1, 1),
    ] {
        let row = sqlx::query("SELECT aveloxis_data.github_uuid($1, $2)")
            .bind(platform as i32)
            .bind(id as i64)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let sql: uuid::Uuid = row.get(0);
        assert_eq!(sql, contributor_id(platform, id), "({platform}, {id})");
    }
}

#[tokio::test]
async fn refresh_views_populates_all_twenty_three_and_the_rebuild_day_is_stored() {
    let db = empty_db().await;
    let cfg = db.config_path();
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    json["collection"] = serde_json::json!({"matview_rebuild_day": "disabled"});
    std::fs::write(&cfg, json.to_string()).unwrap();
    let out = db.aveloxis().arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut conn = db.connect().await;
    let day: String = sqlx::query_scalar(
        "SELECT value FROM aveloxis_ops.config
          WHERE section_name = 'collection' AND setting_name = 'matview_rebuild_day'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(day, "disabled");
    let out = db.aveloxis().arg("refresh-views").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).matches("refreshed ").count(),
        23,
        "{}",
        stdout(&out)
    );
    // A second refresh runs CONCURRENTLY (every matview has a unique index).
    let out = db.aveloxis().arg("refresh-views").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).matches("(concurrently)").count(),
        23,
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn skip_views_builds_no_views_and_a_later_migrate_adds_them() {
    let db = empty_db().await;
    let out = db
        .aveloxis()
        .args(["migrate", "--skip-views"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut conn = db.connect().await;
    assert_eq!(
        catalog::count_relations(&mut conn, "aveloxis_data", 'm')
            .await
            .unwrap(),
        0
    );
    let out = db.aveloxis().arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        catalog::count_relations(&mut conn, "aveloxis_data", 'm')
            .await
            .unwrap(),
        23
    );
    // A dropped view is noticed and rebuilt.
    sqlx::raw_sql("DROP MATERIALIZED VIEW aveloxis_data.explorer_entry_list_ext CASCADE")
        .execute(&mut conn)
        .await
        .unwrap();
    let out = db.aveloxis().arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        catalog::count_relations(&mut conn, "aveloxis_data", 'm')
            .await
            .unwrap(),
        23
    );
    let view: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('aveloxis_augur_data.explorer_entry_list')::text")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(
        view.is_some(),
        "the Augur view over the dropped matview is rebuilt"
    );
}
