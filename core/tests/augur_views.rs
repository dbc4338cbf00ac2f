//! What Augur's heat-map and response views and the review-comment location columns hold,
//! read the way a consumer reads them (`search_path = aveloxis_augur_data, aveloxis_data`)
//! after `aveloxis refresh-views` (the second refresh runs CONCURRENTLY).

use sqlx::PgConnection;

use crate::support::*;

const AUTHOR: &str = "01000000-0000-0000-0000-00000000000a";
const REVIEWER: &str = "01000000-0000-0000-0000-00000000000b";

/// One repository; PR 1 (two files, a review, an inline review comment and a conversation
/// comment by the reviewer at the same instant), PR 2 (nothing); two scc analyses.
async fn seed(conn: &mut PgConnection) {
    let group = test_group(conn).await;
    let sql = format!(
        "INSERT INTO aveloxis_data.repos (repo_id, platform_id, repo_git, repo_owner, repo_name,
                                          repo_path, repo_group_id)
         VALUES (900, 1, 'https://github.com/o/r', 'o', 'r', 'github.com/o', {group});
         INSERT INTO aveloxis_data.contributors (cntrb_id, cntrb_login)
         VALUES ('{AUTHOR}', 'author'), ('{REVIEWER}', 'reviewer');
         INSERT INTO aveloxis_data.pull_requests (pull_request_id, repo_id, platform_pr_id,
                                                  pr_number, author_id, created_at, pr_url)
         VALUES (901, 900, 1, 1, '{AUTHOR}', '2024-01-01Z', 'https://api/pulls/1'),
                (902, 900, 2, 2, '{AUTHOR}', '2024-01-02Z', 'https://api/pulls/2');
         UPDATE aveloxis_data.pull_requests SET merged_at = '2024-01-05Z', closed_at = '2024-01-05Z'
          WHERE pull_request_id = 901;
         INSERT INTO aveloxis_data.pull_request_events (pull_request_id, repo_id, platform_event_id,
                                                        action, cntrb_id, created_at)
         VALUES (901, 900, 1, 'closed', '{REVIEWER}', '2024-01-05Z'),
                (901, 900, 2, 'merged', '{REVIEWER}', '2024-01-05Z');
         INSERT INTO aveloxis_data.pull_request_files (pull_request_id, repo_id, pr_file_path)
         VALUES (901, 900, 'src/a.rs'), (901, 900, 'src/b.rs');
         INSERT INTO aveloxis_data.pull_request_reviews (pr_review_id, pull_request_id, repo_id,
                                                         platform_review_id, cntrb_id)
         VALUES (903, 901, 900, 1, '{REVIEWER}');
         INSERT INTO aveloxis_data.messages (msg_id, platform_id, platform_msg_id, msg_kind,
                                             cntrb_id, msg_timestamp)
         VALUES (904, 1, 10, 'review_comment', '{REVIEWER}', '2024-01-03Z'),
                (905, 1, 11, 'issue_comment', '{REVIEWER}', '2024-01-03Z');
         INSERT INTO aveloxis_data.pull_request_review_message_ref (pr_review_id, repo_id, msg_id)
         VALUES (903, 900, 904);
         INSERT INTO aveloxis_data.pull_request_message_ref (pull_request_id, repo_id, msg_id)
         VALUES (901, 900, 905);
         INSERT INTO aveloxis_data.review_comments (repo_id, pull_request_id, pr_review_id,
             msg_id, cntrb_id, platform_src_id, diff_hunk, path, position, original_position,
             line, original_line, side, commit_id, original_commit_id, author_association,
             url, html_url, updated_at)
         VALUES (900, 901, 903, 904, '{REVIEWER}', 10, '@@ -1 +1 @@', 'src/a.rs', 3, 4,
                 12, 11, 'RIGHT', 'c0ffee', 'beef', 'MEMBER', 'https://api/c/10',
                 'https://html/c/10', '2024-01-04Z');
         INSERT INTO aveloxis_data.repo_labor (repo_id, rl_analysis_date, file_path, file_name)
         VALUES (900, '2024-01-01Z', '/c/old.rs', 'old.rs'),
                (900, '2024-02-01Z', '/c/src/a.rs', 'a.rs'),
                (900, '2024-02-01Z', '/c/src/b.rs', 'b.rs');"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await
        .unwrap();
}

async fn rows(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    let sql = format!("SELECT t::text FROM ({sql}) t");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn heat_map_response_and_review_location_views_hold_augurs_rows() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    seed(&mut conn).await;
    db.run(&["refresh-views"]);
    let out = db.run(&["refresh-views"]);
    assert!(stdout(&out).contains("explorer_pr_response (concurrently)"));
    sqlx::query("SET search_path = aveloxis_augur_data, aveloxis_data")
        .execute(&mut conn)
        .await
        .unwrap();
    // Augur ranks each contributor's actions per repository newest first.
    for view in [
        "explorer_contributor_actions",
        "augur_new_contributors",
        "explorer_new_contributors",
    ] {
        assert_eq!(
            rows(
                &mut conn,
                &format!(
                    "SELECT created_at AT TIME ZONE 'UTC', rank FROM {view}
                     WHERE cntrb_id = '{AUTHOR}' ORDER BY rank"
                )
            )
            .await,
            vec!["(\"2024-01-02 00:00:00\",1)", "(\"2024-01-01 00:00:00\",2)"],
            "{view}"
        );
    }
    // As in Augur, closing a merged PR is not an action of its own: the merge is.
    assert_eq!(
        rows(
            &mut conn,
            &format!(
                "SELECT action FROM explorer_contributor_actions
                 WHERE cntrb_id = '{REVIEWER}' AND action LIKE 'pull_request_%' ORDER BY 1"
            )
        )
        .await,
        vec!["(pull_request_comment)", "(pull_request_merged)"]
    );
    // The inline and the conversation comment collapse into one response; PR 2 appears once.
    assert_eq!(
        rows(
            &mut conn,
            "SELECT pull_request_id, id, cntrb_id, msg_timestamp AT TIME ZONE 'UTC', msg_cntrb_id
             FROM explorer_pr_response ORDER BY 1"
        )
        .await,
        vec![
            format!("(901,900,{AUTHOR},\"2024-01-03 00:00:00\",{REVIEWER})"),
            format!("(902,900,{AUTHOR},,)"),
        ]
    );
    assert_eq!(
        rows(&mut conn, "SELECT * FROM explorer_pr_files ORDER BY 1").await,
        vec!["(src/a.rs,901,900)", "(src/b.rs,901,900)"]
    );
    assert_eq!(
        rows(
            &mut conn,
            "SELECT * FROM explorer_cntrb_per_file ORDER BY 2"
        )
        .await,
        vec![
            format!("(900,src/a.rs,{AUTHOR},{REVIEWER})"),
            format!("(900,src/b.rs,{AUTHOR},{REVIEWER})"),
        ]
    );
    assert_eq!(
        rows(
            &mut conn,
            "SELECT repo_name, repo_path, file_path, file_name FROM explorer_repo_files ORDER BY 3"
        )
        .await,
        vec![
            "(r,github.com/o,/c/src/a.rs,a.rs)",
            "(r,github.com/o,/c/src/b.rs,b.rs)"
        ]
    );
    assert_eq!(
        rows(
            &mut conn,
            "SELECT pr_review_msg_diff_hunk, pr_review_msg_path, pr_review_msg_position,
                    pr_review_msg_original_position, pr_review_msg_commit_id,
                    pr_review_msg_original_commit_id, pr_review_msg_author_association,
                    pr_review_msg_start_line, pr_review_msg_original_start_line,
                    pr_review_msg_start_side, pr_review_msg_line, pr_review_msg_original_line,
                    pr_review_msg_side, pr_review_msg_url, pr_review_msg_html_url, pr_url,
                    pr_review_msg_updated_at AT TIME ZONE 'UTC'
             FROM pull_request_review_message_ref"
        )
        .await,
        vec![
            "(\"@@ -1 +1 @@\",src/a.rs,3,4,c0ffee,beef,MEMBER,,,,12,11,RIGHT,https://api/c/10,\
             https://html/c/10,https://api/pulls/1,\"2024-01-04 00:00:00\")"
        ]
    );
}
