//! Augur's result shapes, checked in the live catalog of a migrated database.
//!
//! `fixtures/augur/columns.tsv` lists, for every Augur table and materialized view whose name
//! we expose, Augur's columns in physical order with their types. A consumer (8Knot and other
//! Augur clients) runs with `search_path = aveloxis_augur_data, aveloxis_data`, so each name is
//! resolved exactly as it would resolve it: through that search_path, with `to_regclass`.
//! The object found there must have Augur's column names, in Augur's order, each with a type
//! of a compatible family (rule in `family`). Anything richer we carry lives under `<name>_ext`.

use sqlx::{PgConnection, Row};

use crate::support::*;

const COLUMNS: &str = include_str!("fixtures/augur/columns.tsv");

/// Objects of `columns.tsv` that we do not expose under Augur's name at all, with the reason.
/// Empty: every object of the fixture is exposed.
const KNOWN_GAPS: &[(&str, &str)] = &[];

/// Columns whose type deliberately differs from Augur's published one, with the reason.
const TYPE_EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "issue_reporter_created_at",
    "reporter_id",
    "Augur's last shape predates uuid contributor ids (int8 then); the id joins uuid cntrb_id",
)];

/// One Augur object of the fixture: name, kind, and (column, udt type without modifier).
struct Expected {
    name: String,
    kind: String,
    columns: Vec<(String, String)>,
}

fn expected_objects() -> Vec<Expected> {
    let mut out: Vec<Expected> = Vec::new();
    for line in COLUMNS.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 5, "malformed fixture line {line:?}");
        let (name, kind, pos, col) = (f[0], f[1], f[2], f[3]);
        let ty = f[4].split('(').next().unwrap().to_string();
        if out.last().map(|e| e.name != name).unwrap_or(true) {
            out.push(Expected {
                name: name.into(),
                kind: kind.into(),
                columns: Vec::new(),
            });
        }
        let e = out.last_mut().unwrap();
        assert_eq!(
            e.columns.len() + 1,
            pos.parse::<usize>().unwrap(),
            "{line:?}"
        );
        e.columns.push((col.into(), ty));
    }
    out
}

/// Type compatibility: two types are compatible when they fall in the same family.
/// - integers: int2, int4, int8 (a client reading an integer reads any width);
/// - strings: text, varchar, bpchar, name;
/// - timestamps: timestamp and timestamptz (with or without time zone);
/// - decimals: numeric, float4, float8;
/// - every other type (uuid, bool, date, interval, json, ...) is only compatible with itself.
fn family(udt: &str) -> &str {
    match udt {
        "int2" | "int4" | "int8" => "integer",
        "text" | "varchar" | "bpchar" | "name" => "string",
        "timestamp" | "timestamptz" => "timestamp",
        "numeric" | "float4" | "float8" => "decimal",
        other => other,
    }
}

/// What a consumer sees under `name`: the schema it resolves to, its relkind, and its columns
/// (name, udt) in order. None when the name does not resolve.
async fn resolve(
    conn: &mut PgConnection,
    name: &str,
) -> Option<(String, String, Vec<(String, String)>)> {
    let row = sqlx::query(
        "SELECT n.nspname::text AS nsp, c.relkind::text AS kind, c.oid::bigint AS oid
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = to_regclass($1)",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await
    .unwrap()?;
    let oid: i64 = row.get("oid");
    let cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.attname::text, t.typname::text
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = $1::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    Some((row.get("nsp"), row.get("kind"), cols))
}

/// Differences between Augur's shape and ours, as readable lines (empty when they match).
fn shape_diff(e: &Expected, have: &[(String, String)]) -> Vec<String> {
    let want: Vec<&str> = e.columns.iter().map(|c| c.0.as_str()).collect();
    let got: Vec<&str> = have.iter().map(|c| c.0.as_str()).collect();
    let mut out = Vec::new();
    if want != got {
        let missing: Vec<_> = want.iter().filter(|c| !got.contains(c)).collect();
        let extra: Vec<_> = got.iter().filter(|c| !want.contains(c)).collect();
        out.push(format!(
            "{}: columns differ; missing {missing:?}, extra {extra:?}\n    want {want:?}\n    got  {got:?}",
            e.name
        ));
        return out;
    }
    for ((col, want_ty), (_, got_ty)) in e.columns.iter().zip(have) {
        let excepted = TYPE_EXCEPTIONS
            .iter()
            .any(|(o, c, _)| *o == e.name && c == col);
        if family(want_ty) != family(got_ty) && !excepted {
            out.push(format!(
                "{}.{col}: Augur type {want_ty}, ours {got_ty} (not the same family)",
                e.name
            ));
        }
    }
    out
}

/// Every shape problem a consumer with `search_path` meets; with `only_in`, also every name
/// that resolves to another schema.
async fn shape_problems(
    conn: &mut PgConnection,
    search_path: &str,
    only_in: Option<&str>,
) -> Vec<String> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET search_path = {search_path}"
    )))
    .execute(&mut *conn)
    .await
    .unwrap();
    let objects = expected_objects();
    assert!(objects.len() >= 49, "fixture has {} objects", objects.len());
    let mut problems = Vec::new();
    for e in &objects {
        let gap = KNOWN_GAPS.iter().any(|(n, _)| *n == e.name);
        let Some((nsp, kind, have)) = resolve(conn, &e.name).await else {
            if !gap {
                problems.push(format!("{} ({}): not exposed", e.name, e.kind));
            }
            continue;
        };
        assert!(!gap, "{} is listed as a gap but is exposed", e.name);
        assert!(
            ["r", "v", "m"].contains(&kind.as_str()),
            "{} resolves to relkind {kind}",
            e.name
        );
        if only_in.is_some_and(|s| s != nsp) {
            problems.push(format!("{} resolves to {nsp}", e.name));
        }
        for p in shape_diff(e, &have) {
            problems.push(format!("[{nsp}] {p}"));
        }
    }
    problems
}

#[tokio::test]
async fn every_augur_object_has_augurs_columns_in_order() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let problems = shape_problems(&mut conn, "aveloxis_augur_data, aveloxis_data", None).await;
    assert!(
        problems.is_empty(),
        "{} shape problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// `database.collectoss_schema`: CollectOSS's own search path, unchanged, finds every Augur
/// name in `data`, with Augur's shape.
#[tokio::test]
async fn collectoss_search_path_finds_augurs_shapes_in_data() {
    let db = migrated_db().await;
    db.configure(serde_json::json!({"database": {"collectoss_schema": true}}));
    db.run(&["migrate"]);
    let mut conn = db.connect().await;
    let problems = shape_problems(&mut conn, "public, data, operations, spdx", Some("data")).await;
    assert!(
        problems.is_empty(),
        "{} shape problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_type_rule_groups_only_like_types() {
    assert_eq!(family("int2"), family("int8"));
    assert_eq!(family("varchar"), family("text"));
    assert_eq!(family("timestamp"), family("timestamptz"));
    assert_eq!(family("float8"), family("numeric"));
    assert_ne!(family("int8"), family("numeric"));
    assert_ne!(family("uuid"), family("text"));
    assert_ne!(family("date"), family("timestamp"));
    assert_ne!(family("bool"), family("int4"));
}
