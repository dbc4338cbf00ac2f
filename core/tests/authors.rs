//! Commit authors resolved to forge accounts, checked against the mock world's truth: every
//! e-mail the truth says is resolvable is resolved (recall), and every resolved e-mail names
//! the right account (precision).

use std::collections::BTreeMap;

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};

use crate::support::*;

#[tokio::test]
async fn commit_authors_resolve_to_the_accounts_their_noreply_addresses_name() {
    let scenario = Scenario::generate(Preset::Tiny, 1);
    let forge = MockForge::start(scenario.clone()).unwrap();
    let db = migrated_db().await;
    db.configure(serde_json::json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()}
    }));
    db.run(&["add-key", DEFAULT_TOKENS[0]]);
    let url = forge.web_url("mock-org", "tiny");
    db.run(&["add-repo", &url]);
    db.run(&["collect", &url, "--full"]);
    let mut conn = db.connect().await;

    // e-mail → GitHub user id of the contributor each commit e-mail was given (None: no account).
    let got: BTreeMap<String, Option<i64>> = sqlx::query_as::<_, (String, Option<i64>)>(
        "SELECT DISTINCT m.cmt_author_email, c.gh_user_id FROM aveloxis_data.commits m
           LEFT JOIN aveloxis_data.contributors c ON c.cntrb_id = m.cmt_ght_author_id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .collect();
    // Logins the API collection met (the older noreply form names an account by login only).
    let known: Vec<String> = sqlx::query_scalar(
        "SELECT lower(gh_login) FROM aveloxis_data.contributors WHERE gh_user_id IS NOT NULL",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    let w = &scenario.world;
    let (mut resolvable, mut by_id, mut by_login) = (0, 0, 0);
    for (email, account) in &got {
        let owner = w
            .users
            .iter()
            .find(|u| u.commit_email.eq_ignore_ascii_case(email));
        let noreply = email.ends_with("@users.noreply.github.com");
        let (local, _) = email.split_once('@').unwrap();
        let want = match owner {
            Some(u) if noreply && local.contains('+') => {
                by_id += 1;
                Some(u.id as i64)
            }
            Some(u) if noreply && known.contains(&u.login.to_lowercase()) => {
                by_login += 1;
                Some(u.id as i64)
            }
            _ => None,
        };
        if want.is_some() {
            resolvable += 1;
            assert_eq!(*account, want, "recall: {email} names account {want:?}");
        }
        if let Some(id) = account {
            // Precision: an e-mail given an account was given the right one.
            assert_eq!(
                owner.map(|u| u.id as i64),
                Some(*id),
                "precision: {email} → {id}"
            );
        }
    }
    assert!(by_id > 0 && by_login > 0, "{by_id} {by_login} of {got:?}");
    let resolved = got.values().filter(|a| a.is_some()).count();
    assert_eq!(resolved, resolvable, "{got:?}");

    // The collection also counted the default branch's files (one labor row per file).
    let (rows, scanned): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM aveloxis_data.repo_labor),
                (SELECT files FROM aveloxis_ops.labor_scans)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(rows > 0 && rows == scanned, "{rows} {scanned}");
}
