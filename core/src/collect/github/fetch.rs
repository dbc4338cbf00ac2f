//! What to fetch from GitHub: every listing of a repository changed in the window, staged raw
//! page by page; and the expansion of an owner URL into its repositories.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{PR_FETCH_CONCURRENCY, parse_time};
use crate::collect::optional::{Answer, Optional};
use crate::collect::{Listing, Stager};
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

/// Fetch every listing of the repository changed since `since` (None = everything) into
/// staging, but for the per-pull-request listings ([`fetch_pr_children`]), which are asked
/// once the pull requests are written.
pub async fn fetch(
    client: &ForgeClient,
    api: &str,
    owner: &str,
    name: &str,
    since: Option<DateTime<Utc>>,
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let base = repo_base(api, owner, name);
    let since_q = since
        .map(|s| format!("&since={}", s.format("%Y-%m-%dT%H:%M:%SZ")))
        .unwrap_or_default();
    let info = client.get(&base).await?;
    stage.put("repo", Value::Null, info.body).await?;
    let releases = Listing::new("releases", format!("{base}/releases?per_page=100"));
    stage.stream(client, releases, keep_all).await?;
    let contributors = Listing::new("contributors", format!("{base}/contributors?per_page=100"))
        .optional(&CONTRIBUTORS);
    stage.stream(client, contributors, keep_all).await?;
    // Oldest update first: an item updated while the listing is read moves to its end.
    let issues =
        format!("{base}/issues?state=all&sort=updated&direction=asc&per_page=100{since_q}");
    let issues = Listing::new("issues", issues).optional(&ISSUES).resumable();
    stage.stream(client, issues, keep_all).await?;
    fetch_pulls(client, &base, since, stage).await?;
    fetch_conversation(client, &base, since, &since_q, stage).await?;
    let traffic = format!("{base}/traffic/clones");
    if let Some(p) = TRAFFIC.get(client, &traffic, &mut stage.notes).await? {
        stage.put("clones", Value::Null, p.body).await?;
    }
    Ok(())
}

fn repo_base(api: &str, owner: &str, name: &str) -> String {
    format!("{}/repos/{owner}/{name}", api.trim_end_matches('/'))
}

/// Stream a newest-first listing that stops past `since` (by the time `at` of its last item);
/// when it continued a cursor, read its head again down to when that cursor started, since
/// what was updated meanwhile went to the front.
async fn newest_first(
    client: &ForgeClient,
    listing: Listing<'_>,
    at: &str,
    since: Option<DateTime<Utc>>,
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let (entity, url, optional) = (listing.entity, listing.url.clone(), listing.optional);
    let reached = |page: &Value, since: Option<DateTime<Utc>>| -> bool {
        let Some(since) = since else { return false };
        page.as_array()
            .and_then(|a| a.last())
            .and_then(|e| parse_time(&e[at]))
            .is_some_and(|t| t < since)
    };
    let done = stage
        .stream(client, listing.resumable(), |p| !reached(p, since))
        .await?;
    if let Some(started) = done.resumed_since {
        let head_since = Some(started - chrono::Duration::minutes(5));
        let mut head = Listing::new(entity, url);
        head.optional = optional;
        stage
            .stream(client, head, |p| !reached(p, head_since))
            .await?;
    }
    Ok(())
}

/// Repository events (newest first, up to the window), issue comments and review comments
/// (oldest update first, so what is edited while they are read moves to the end).
async fn fetch_conversation(
    client: &ForgeClient,
    base: &str,
    since: Option<DateTime<Utc>>,
    since_q: &str,
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let events = Listing::new("events", format!("{base}/issues/events?per_page=100"))
        .optional(&ISSUE_EVENTS);
    newest_first(client, events, "created_at", since, stage).await?;
    let order = "sort=updated&direction=asc&per_page=100";
    let comments = format!("{base}/issues/comments?{order}{since_q}");
    let comments = Listing::new("issue_comments", comments)
        .optional(&ISSUE_COMMENTS)
        .resumable();
    stage.stream(client, comments, keep_all).await?;
    let review = format!("{base}/pulls/comments?{order}{since_q}");
    let review = Listing::new("review_comments", review).resumable();
    stage.stream(client, review, keep_all).await?;
    Ok(())
}

/// Pull requests (no server-side `since`: newest-updated first, stopping past the window).
async fn fetch_pulls(
    client: &ForgeClient,
    base: &str,
    since: Option<DateTime<Utc>>,
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let url = format!("{base}/pulls?state=all&sort=updated&direction=desc&per_page=100");
    newest_first(
        client,
        Listing::new("pulls", url),
        "updated_at",
        since,
        stage,
    )
    .await
}

/// Reviews, commits and files of each pull request of `work` (number, and the update time of
/// the pull request they are fetched for); each pull request is recorded as fetched once its
/// three listings are staged, so a run that stops half-way is continued, not repeated.
pub async fn fetch_pr_children(
    client: &ForgeClient,
    api: &str,
    owner: &str,
    name: &str,
    work: &[(i64, Option<DateTime<Utc>>)],
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let base = repo_base(api, owner, name);
    const LISTINGS: [(&str, &str); 3] = [
        ("pull_reviews", "reviews"),
        ("pull_commits", "commits"),
        ("pull_files", "files"),
    ];
    // The listings are independent: a few pull requests at once, staged in order. A pull
    // request's pages are held until its listings end (bounded by one pull request's size).
    for chunk in work.chunks(PR_FETCH_CONCURRENCY) {
        let batch = chunk.iter().map(|&(n, _)| {
            let urls = LISTINGS.map(|(e, sub)| (e, format!("{base}/pulls/{n}/{sub}?per_page=100")));
            pr_listings(client, urls)
        });
        let fetched = futures_util::future::join_all(batch).await;
        for (&(n, updated), listings) in chunk.iter().zip(fetched) {
            for (entity, pages) in listings? {
                for page in pages {
                    stage
                        .put(entity, json!({"pr_number": n}), page.body)
                        .await?;
                }
            }
            stage.children_done("pull", n, updated).await?;
        }
    }
    Ok(())
}

/// The complete comment listing of each issue or pull request of `numbers`, staged as one
/// page per item (`item_comments`, with its number): processing removes the item's comments
/// the listing no longer holds.
pub async fn fetch_item_comments(
    client: &ForgeClient,
    api: &str,
    owner: &str,
    name: &str,
    numbers: &[i64],
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let base = repo_base(api, owner, name);
    for &n in numbers {
        let url = format!("{base}/issues/{n}/comments?per_page=100");
        let mut all = Vec::new();
        for page in client.get_all(&url, keep_all).await? {
            all.extend(page.body.as_array().into_iter().flatten().cloned());
        }
        stage
            .put("item_comments", json!({"number": n}), Value::Array(all))
            .await?;
    }
    Ok(())
}

type PrPages = Vec<(&'static str, Vec<crate::forge::client::Page>)>;

/// Every page of one pull request's listings (a named future, so the batch of them is `Send`).
async fn pr_listings(
    client: &ForgeClient,
    urls: [(&'static str, String); 3],
) -> Result<PrPages, ForgeError> {
    let mut out = Vec::with_capacity(3);
    for (entity, url) in urls {
        out.push((entity, client.get_all(&url, keep_all).await?));
    }
    Ok(out)
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
