//! What to fetch from GitHub: every listing of a repository changed in the window, staged raw
//! page by page; and the expansion of an owner URL into its repositories.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{PR_FETCH_CONCURRENCY, parse_time};
use crate::collect::Stager;
use crate::collect::optional::{Answer, Optional};
use crate::forge::client::{ForgeClient, ForgeError};

const ISSUES_DISABLED: &[Answer] = &[Answer {
    status: 410,
    says: None,
    why: "issues are disabled for this repository",
}];

/// Listings of the issues feature (410 when it is switched off).
const ISSUES: Optional = Optional {
    endpoint: "issues",
    answers: ISSUES_DISABLED,
};
const ISSUE_EVENTS: Optional = Optional {
    endpoint: "issues/events",
    answers: ISSUES_DISABLED,
};
const ISSUE_COMMENTS: Optional = Optional {
    endpoint: "issues/comments",
    answers: ISSUES_DISABLED,
};

/// Contributors: an empty repository has none (204, or 409 as its git endpoints answer), and a
/// very large history is refused with 403 "too large to list".
const CONTRIBUTORS: Optional = Optional {
    endpoint: "contributors",
    answers: &[
        Answer {
            status: 204,
            says: None,
            why: "the repository is empty",
        },
        Answer {
            status: 409,
            says: Some("empty"),
            why: "the git repository is empty",
        },
        Answer {
            status: 403,
            says: Some("too large to list"),
            why: "the contributor list is too large for the API",
        },
    ],
};

/// Clone traffic needs push access.
const TRAFFIC: Optional = Optional {
    endpoint: "traffic/clones",
    answers: &[
        Answer {
            status: 403,
            says: None,
            why: "traffic needs push access, which these keys do not have",
        },
        Answer {
            status: 404,
            says: None,
            why: "traffic is not visible to these keys",
        },
    ],
};

/// Fetch everything changed since `since` (None = everything) into staging.
pub async fn fetch(
    client: &ForgeClient,
    api: &str,
    owner: &str,
    name: &str,
    since: Option<DateTime<Utc>>,
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let base = format!("{}/repos/{owner}/{name}", api.trim_end_matches('/'));
    let since_q = since
        .map(|s| format!("&since={}", s.format("%Y-%m-%dT%H:%M:%SZ")))
        .unwrap_or_default();
    let info = client.get(&base).await?;
    stage.put("repo", Value::Null, info.body).await?;
    for page in client
        .get_all(&format!("{base}/releases?per_page=100"), keep_all)
        .await?
    {
        stage.put("releases", Value::Null, page.body).await?;
    }
    for (entity, opt, url) in [
        (
            "contributors",
            &CONTRIBUTORS,
            format!("{base}/contributors?per_page=100"),
        ),
        (
            "issues",
            &ISSUES,
            format!("{base}/issues?state=all&sort=updated&direction=asc&per_page=100{since_q}"),
        ),
    ] {
        for page in opt
            .get_all(client, &url, keep_all, &mut stage.notes)
            .await?
        {
            stage.put(entity, Value::Null, page.body).await?;
        }
    }
    let pr_numbers = fetch_pulls(client, &base, since, stage).await?;
    fetch_pr_listings(client, &base, &pr_numbers, stage).await?;
    fetch_conversation(client, &base, since, &since_q, stage).await?;
    let traffic = format!("{base}/traffic/clones");
    if let Some(p) = TRAFFIC.get(client, &traffic, &mut stage.notes).await? {
        stage.put("clones", Value::Null, p.body).await?;
    }
    Ok(())
}

/// Repository events (newest first, up to the window), issue comments and review comments.
async fn fetch_conversation(
    client: &ForgeClient,
    base: &str,
    since: Option<DateTime<Utc>>,
    since_q: &str,
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let in_window = |page: &Value| {
        let Some(since) = since else { return true };
        page.as_array()
            .and_then(|a| a.last())
            .and_then(|e| parse_time(&e["created_at"]))
            .is_none_or(|t| t >= since)
    };
    let events_url = format!("{base}/issues/events?per_page=100");
    for page in ISSUE_EVENTS
        .get_all(client, &events_url, in_window, &mut stage.notes)
        .await?
    {
        stage.put("events", Value::Null, page.body).await?;
    }
    let comments_url = format!("{base}/issues/comments?per_page=100{since_q}");
    for page in ISSUE_COMMENTS
        .get_all(client, &comments_url, keep_all, &mut stage.notes)
        .await?
    {
        stage.put("issue_comments", Value::Null, page.body).await?;
    }
    let review_url = format!("{base}/pulls/comments?per_page=100{since_q}");
    for page in client.get_all(&review_url, keep_all).await? {
        stage.put("review_comments", Value::Null, page.body).await?;
    }
    Ok(())
}

/// Pull requests, staged; returns the numbers of those changed in the window.
async fn fetch_pulls(
    client: &ForgeClient,
    base: &str,
    since: Option<DateTime<Utc>>,
    stage: &mut Stager<'_>,
) -> anyhow::Result<Vec<i64>> {
    // Pulls have no server-side `since`: newest-updated first, stop past the window.
    let older_than_window = |page: &Value| -> bool {
        let Some(since) = since else { return false };
        page.as_array()
            .and_then(|a| a.last())
            .and_then(|p| parse_time(&p["updated_at"]))
            .is_some_and(|t| t < since)
    };
    let mut pr_numbers = Vec::new();
    let pulls = client
        .get_all(
            &format!("{base}/pulls?state=all&sort=updated&direction=desc&per_page=100"),
            |page| !older_than_window(page),
        )
        .await?;
    for page in pulls {
        for pr in page.body.as_array().into_iter().flatten() {
            let fresh = match since {
                Some(s) => parse_time(&pr["updated_at"]).is_none_or(|t| t >= s),
                None => true,
            };
            if fresh && let Some(n) = pr["number"].as_i64() {
                pr_numbers.push(n);
            }
        }
        stage.put("pulls", Value::Null, page.body).await?;
    }
    Ok(pr_numbers)
}

/// Reviews, commits and files of each pull request.
async fn fetch_pr_listings(
    client: &ForgeClient,
    base: &str,
    pr_numbers: &[i64],
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    // The per-PR listings are independent: fetch a few at once, stage them in order.
    let base_ref = base;
    let requests: Vec<(i64, &'static str, String)> = pr_numbers
        .iter()
        .flat_map(|n| {
            [
                ("pull_reviews", "reviews"),
                ("pull_commits", "commits"),
                ("pull_files", "files"),
            ]
            .into_iter()
            .map(move |(entity, sub)| {
                (
                    *n,
                    entity,
                    format!("{base_ref}/pulls/{n}/{sub}?per_page=100"),
                )
            })
        })
        .collect();
    for chunk in requests.chunks(PR_FETCH_CONCURRENCY) {
        let mut batch = Vec::with_capacity(chunk.len());
        for (n, entity, url) in chunk {
            batch.push(listing(client, *n, entity, url.clone()));
        }
        for (n, entity, pages) in futures_util::future::join_all(batch).await {
            for page in pages? {
                stage
                    .put(entity, json!({"pr_number": n}), page.body)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Every page of one per-PR listing (a named future, so the stream of them is `Send`).
async fn listing(
    client: &ForgeClient,
    n: i64,
    entity: &'static str,
    url: String,
) -> (
    i64,
    &'static str,
    Result<Vec<crate::forge::client::Page>, ForgeError>,
) {
    (n, entity, client.get_all(&url, keep_all).await)
}

fn keep_all(_: &Value) -> bool {
    true
}

/// Owner URL expansion: every repository of a GitHub organisation or user.
pub async fn owner_repos(
    client: &ForgeClient,
    api: &str,
    owner: &str,
) -> Result<Vec<String>, ForgeError> {
    let url = format!(
        "{}/orgs/{owner}/repos?per_page=100&type=all",
        api.trim_end_matches('/')
    );
    let pages = match client.get_all(&url, |_| true).await {
        Err(ForgeError::NotFound { .. }) => {
            client
                .get_all(
                    &format!(
                        "{}/users/{owner}/repos?per_page=100&type=all",
                        api.trim_end_matches('/')
                    ),
                    |_| true,
                )
                .await?
        }
        other => other?,
    };
    let mut names = BTreeSet::new();
    for p in pages {
        for r in p.body.as_array().into_iter().flatten() {
            if let Some(n) = r["html_url"].as_str() {
                names.insert(n.to_owned());
            }
        }
    }
    Ok(names.into_iter().collect())
}
