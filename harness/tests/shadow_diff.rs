//! `harness shadow-diff`: rows compared by platform-stable keys.

use std::path::{Path, PathBuf};
use std::process::Output;

use sqlx::Connection;

use super::support::*;

/// A wrapper around the real collector that runs `sql` (with psql, on the side's database)
/// before `add-repo` — the side's serial ids then start elsewhere than on the other side.
fn wrapper_before_add_repo(dir: &Path, sql: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("aveloxis-shifted");
    let script = format!(
        "#!/bin/sh\ncase \" $* \" in *\" add-repo \"*)\n  psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || exit 3\n{sql}\nSQL\n;;\nesac\nexec \"{real}\" \"$@\"\n",
        real = aveloxis_bin().display()
    );
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// Collect the tiny world into two kept databases on `cluster` (the new side through
/// `new_bin`); returns their URLs.
fn kept_pair(cluster: &aveloxis_pg::Cluster, new_bin: &Path, work: &Path) -> (String, String) {
    let server = server_url(cluster);
    let out = data_test(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        work,
        new_bin,
        &[
            "--provisioner",
            "server",
            "--server-url",
            &server,
            "--keep-dbs",
            // The pair shadow-diff reads is released and new; the new collector here adds a
            // repository of its own, which the upgraded side (added by the released one) lacks.
            "--no-upgraded",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("state.json")).unwrap()).unwrap();
    (
        format!("{server}/{}", state["released_db"].as_str().unwrap()),
        format!("{server}/{}", state["new_db"].as_str().unwrap()),
    )
}

fn shadow_diff(released: &str, new: &str, extra: &[&str]) -> Output {
    let mut args = vec!["shadow-diff", "--released-dsn", released, "--new-dsn", new];
    args.extend_from_slice(extra);
    harness(&args, Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn shadow_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("shadow-diff --json: {e}: {}", text(out)))
}

fn shadow_table<'a>(r: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("{name} not in the shadow-diff report: {r}"))
}

async fn query_one(url: &str, sql: &str) -> Vec<Option<String>> {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    use sqlx::Row;
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut c)
        .await
        .unwrap();
    (0..row.len()).map(|i| row.get(i)).collect()
}

#[test]
fn shadow_diff_compares_rows_by_platform_keys_and_names_missing_changed_and_extra_rows() {
    let rt = runtime();
    let cluster = aveloxis_pg::Cluster::start().unwrap();
    let work = tempfile::tempdir().unwrap();
    let bin_dir = tempfile::tempdir().unwrap();
    // On the new side a dummy repository comes first and the serial ids of issues, pull
    // requests, reviews and messages start far away: no local id agrees between the sides.
    let shifted = wrapper_before_add_repo(
        bin_dir.path(),
        "INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type) VALUES ('harness', '') \
           ON CONFLICT DO NOTHING;\n\
         INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_name, repo_owner, repo_group_id) \
           SELECT 1, 'https://github.com/harness/dummy', 'dummy', 'harness', repo_group_id \
             FROM aveloxis_data.repo_groups WHERE rg_name = 'harness' AND rg_type = '' \
           ON CONFLICT DO NOTHING;\n\
         SELECT setval(pg_get_serial_sequence('aveloxis_data.issues', 'issue_id'), 5000);\n\
         SELECT setval(pg_get_serial_sequence('aveloxis_data.pull_requests', 'pull_request_id'), 6000);\n\
         SELECT setval(pg_get_serial_sequence('aveloxis_data.pull_request_reviews', 'pr_review_id'), 7000);\n\
         SELECT setval(pg_get_serial_sequence('aveloxis_data.messages', 'msg_id'), 8000);",
    );
    let (rel, new) = kept_pair(&cluster, &shifted, work.path());

    let repo_q = "SELECT repo_git, repo_id::text FROM aveloxis_data.repos \
                  WHERE repo_git LIKE '%/mock-org/tiny'";
    let (r_repo, n_repo) =
        rt.block_on(async { (query_one(&rel, repo_q).await, query_one(&new, repo_q).await) });
    let repo_git = r_repo[0].clone().unwrap();
    let released_repo_id = r_repo[1].clone().unwrap();
    assert_eq!(n_repo[0].as_deref(), Some(repo_git.as_str()));
    assert_ne!(
        r_repo[1], n_repo[1],
        "repo ids should differ between the sides"
    );

    // Same collector on both sides: no FAIL; the dummy repository is the one extra row.
    let out = shadow_diff(&rel, &new, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = shadow_json(&out);
    for t in r["tables"].as_array().unwrap() {
        assert_ne!(t["verdict"], "FAIL", "{t}");
    }
    assert!(r["tables"].as_array().unwrap().len() > 40, "{r}");
    let repos = shadow_table(&r, "repos");
    assert_eq!(repos["verdict"], "FLAG", "{repos}");
    assert_eq!(repos["key_columns"], serde_json::json!(["repo_git"]));
    assert_eq!(
        repos["flag_extra"]["examples"],
        serde_json::json!([["https://github.com/harness/dummy"]])
    );
    let issues = shadow_table(&r, "issues");
    assert_eq!(issues["verdict"], "PASS", "{issues}");
    assert!(issues["released_rows"].as_u64().unwrap() > 0);
    assert_eq!(
        issues["key_columns"],
        serde_json::json!(["repo_git", "platform_issue_id"])
    );
    assert_eq!(
        shadow_table(&r, "issue_labels")["key_columns"],
        serde_json::json!(["repo_git", "platform_issue_id", "label_text"])
    );
    assert_eq!(
        shadow_table(&r, "pull_request_review_message_ref")["key_columns"],
        serde_json::json!([
            "repo_git",
            "platform_pr_id",
            "platform_review_id",
            "platform_id",
            "platform_msg_id",
            "msg_kind"
        ])
    );
    // Tables without a stable key are named, not silently dropped.
    assert!(
        r["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["table"] == "utility_log"),
        "{r}"
    );

    // Restricted to the repository (by URL, or by its id on the released side): all PASS.
    for scope in [
        ["--repo", repo_git.as_str()],
        ["--repo-id", released_repo_id.as_str()],
    ] {
        let out = shadow_diff(&rel, &new, &[scope[0], scope[1], "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let r = shadow_json(&out);
        assert_eq!(r["repo"], repo_git.as_str());
        for t in r["tables"].as_array().unwrap() {
            assert_eq!(t["verdict"], "PASS", "{scope:?}: {t}");
        }
    }

    // Plant regressions on the new side.
    let shared = "SELECT platform_id::text, platform_msg_id::text, min(msg_kind), max(msg_kind) \
                  FROM aveloxis_data.messages GROUP BY 1, 2 \
                  HAVING count(DISTINCT msg_kind) >= 2 ORDER BY 2 LIMIT 1";
    let msg = rt.block_on(query_one(&rel, shared));
    let (pid, mid) = (msg[0].clone().unwrap(), msg[1].clone().unwrap());
    let (k1, k2) = (msg[2].clone().unwrap(), msg[3].clone().unwrap());
    let issue = rt.block_on(query_one(
        &rel,
        "SELECT platform_issue_id::text, issue_title FROM aveloxis_data.issues \
         ORDER BY platform_issue_id LIMIT 1",
    ));
    let (issue_pid, title) = (issue[0].clone().unwrap(), issue[1].clone().unwrap());
    rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(&new).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "BEGIN;
             CREATE TEMP TABLE gone AS SELECT msg_id FROM aveloxis_data.messages
              WHERE platform_id = {pid} AND platform_msg_id = {mid} AND msg_kind IN ('{k1}', '{k2}');
             DELETE FROM aveloxis_data.issue_message_ref WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.pull_request_message_ref WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.pull_request_review_message_ref WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.review_comments WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.commit_comment_ref WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.messages WHERE msg_id IN (SELECT msg_id FROM gone);
             UPDATE aveloxis_data.issues SET issue_title = issue_title || ' (edited)'
              WHERE platform_issue_id = {issue_pid};
             INSERT INTO aveloxis_data.releases (repo_id, release_id, release_name)
              SELECT repo_id, 'harness-extra', 'extra' FROM aveloxis_data.repos
               WHERE repo_git LIKE '%/mock-org/tiny';
             COMMIT;"
        )))
        .execute(&mut c)
        .await
        .unwrap();
    });

    let out = shadow_diff(&rel, &new, &["--json", "--examples", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = shadow_json(&out);
    let messages = shadow_table(&r, "messages");
    assert_eq!(messages["verdict"], "FAIL", "{messages}");
    assert_eq!(
        messages["key_columns"],
        serde_json::json!(["platform_id", "platform_msg_id", "msg_kind"])
    );
    assert_eq!(messages["fail_missing"]["rows"], 2, "{messages}");
    assert_eq!(
        messages["fail_missing"]["examples"],
        serde_json::json!([[pid, mid, k1], [pid, mid, k2]]),
        "{messages}"
    );
    assert_eq!(messages["fail_content"]["rows"], 0, "{messages}");
    assert_eq!(messages["flag_extra"]["rows"], 0, "{messages}");

    let issues = shadow_table(&r, "issues");
    assert_eq!(issues["verdict"], "FAIL", "{issues}");
    assert_eq!(issues["fail_missing"]["rows"], 0);
    assert_eq!(issues["fail_content"]["rows"], 1, "{issues}");
    assert_eq!(
        issues["fail_content"]["columns"],
        serde_json::json!([{"column": "issue_title", "rows": 1}])
    );
    let ex = &issues["fail_content"]["examples"][0];
    assert_eq!(ex["key"], serde_json::json!([repo_git, issue_pid]));
    assert_eq!(
        ex["differences"],
        serde_json::json!([{"column": "issue_title", "released": title,
                            "new": format!("{title} (edited)")}])
    );

    let releases = shadow_table(&r, "releases");
    assert_eq!(releases["verdict"], "FLAG", "{releases}");
    assert_eq!(releases["flag_extra"]["rows"], 1);
    assert_eq!(
        releases["flag_extra"]["examples"],
        serde_json::json!([[repo_git, "harness-extra"]])
    );
    assert!(r["summary"]["tables_with_fails"].as_u64().unwrap() >= 2);

    // The markdown report, restricted to the repository by its released id.
    let out = shadow_diff(&rel, &new, &["--repo-id", &released_repo_id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let md = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(md.contains("**Verdict: FAIL**"), "{md}");
    assert!(
        md.contains(
            "**FAIL missing**: 2 row(s) on released absent on new; key (platform\\_id, \
             platform\\_msg\\_id, msg\\_kind)"
        ),
        "{md}"
    );
    assert!(md.contains(&format!("(`{pid}`, `{mid}`, `{k1}`)")), "{md}");
    assert!(md.contains("column(s) issue\\_title (1 row(s))"), "{md}");
    assert!(
        md.contains(&format!("issue\\_title: `{title}` → `{title} (edited)`")),
        "{md}"
    );
    assert!(md.contains("**FLAG extra**: 1 row(s) only on new"), "{md}");
}

#[test]
fn shadow_diff_that_cannot_connect_is_exit_2() {
    let out = shadow_diff(
        "postgres://nobody@127.0.0.1:1/none",
        "postgres://nobody@127.0.0.1:1/none",
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("shadow-diff could not run"),
        "{}",
        text(&out)
    );
}
