//! Commit authors resolved to forge accounts, checked against the mock world's truth: every
//! e-mail the truth says is resolvable is resolved (recall: noreply addresses parsed, the rest
//! looked up through one of their commits), and every resolved e-mail names the right account
//! (precision).

use std::collections::BTreeMap;

use aveloxis_mock_forge::{MockForge, Preset, Scenario};

use crate::support::*;

#[tokio::test]
async fn commit_authors_resolve_to_their_accounts_by_noreply_address_then_by_lookup() {
    let scenario = Scenario::generate(Preset::Tiny, 1);
    let forge = MockForge::start(scenario.clone()).unwrap();
    let (db, url) = github_tiny(&forge).await;
    let out = db.run(&["collect", &url, "--full"]);
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
    // Logins the API collection met (the older noreply form names an account by login only;
    // accounts the commit lookup added came after the facade).
    let known: Vec<String> = sqlx::query_scalar(
        "SELECT lower(gh_login) FROM aveloxis_data.contributors
          WHERE gh_user_id IS NOT NULL AND data_source IS DISTINCT FROM 'commit lookup'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    // The truth: the account behind each commit e-mail (None for e-mails of no account).
    let repo = scenario
        .world
        .repos
        .iter()
        .find(|r| r.name == "tiny")
        .unwrap();
    let users = &scenario.world.users;
    let truth = |email: &str| {
        repo.commits
            .iter()
            .find(|c| c.author_email.eq_ignore_ascii_case(email))
            .map(|c| c.author_user.map(|u| users[u].id as i64))
            .expect("an e-mail of the world's commits")
    };
    let (mut resolvable, mut by_id, mut by_login, mut other) = (0, 0, 0, 0);
    for (email, account) in &got {
        let want = truth(email);
        let (local, domain) = email.split_once('@').unwrap();
        let noreply = domain == "users.noreply.github.com";
        match (want, noreply, local.contains('+')) {
            (Some(_), true, true) => by_id += 1,
            (Some(_), true, false) if known.contains(&local.to_string()) => by_login += 1,
            (Some(_), _, _) => other += 1,
            (None, _, _) => {}
        }
        if want.is_some() {
            resolvable += 1;
        }
        // Recall: every e-mail of an account resolves to it (noreply parsed, else looked up);
        // precision: no e-mail resolves to anyone else, and none of no account resolves.
        assert_eq!(*account, want, "{email}");
    }
    assert!(
        by_id > 0 && by_login > 0 && other > 0,
        "{by_id} {by_login} {other} of {got:?}"
    );
    assert!(
        got.values().any(|a| a.is_none()),
        "the world has e-mails of no account"
    );
    let resolved = got.values().filter(|a| a.is_some()).count();
    assert_eq!(resolved, resolvable, "{got:?}");
    // Cost order: a noreply address that names its account is never looked up.
    let looked: Vec<String> = sqlx::query_scalar(
        "SELECT email FROM aveloxis_data.unresolved_commit_emails WHERE looked_up_at IS NOT NULL",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(looked.iter().all(|e| !e.contains('+')), "{looked:?}");
    assert!(
        stdout(&out).contains(&format!("{other} linked to an account")),
        "{}",
        stdout(&out)
    );

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
