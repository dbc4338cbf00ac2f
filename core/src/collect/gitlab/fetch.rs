//! What to fetch from GitLab: every listing of a project changed in the window, staged raw
//! page by page; and the expansion of a group URL into its projects.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{Value, json};

use super::{encode, parse_time};
use crate::collect::optional::{Answer, Optional};
use crate::collect::{Listing, Stager};
use crate::forge::client::{ForgeClient, ForgeError};

/// GitLab answers 403 for a feature that is switched off for a project (or not visible to the
/// key's role).
const FEATURE_OFF: &[Answer] = &[Answer {
    status: 403,
    says: None,
    why: "the feature is disabled for this project or not visible to these keys",
}];
/// Endpoints that exist only in some tiers or need a role: 403 or 404.
const TIERED: &[Answer] = &[
    Answer {
        status: 403,
        says: None,
        why: "not available to these keys",
    },
    Answer {
        status: 404,
        says: None,
        why: "not available on this GitLab (tier or version)",
    },
];
const ISSUES_STATISTICS: Optional = Optional {
    endpoint: "issues_statistics",
    answers: TIERED,
};
const APPROVALS: Optional = Optional {
    endpoint: "merge_requests/approvals",
    answers: TIERED,
};
const ISSUES: Optional = Optional {
    endpoint: "issues",
    answers: FEATURE_OFF,
};
const MERGE_REQUESTS: Optional = Optional {
    endpoint: "merge_requests",
    answers: FEATURE_OFF,
};
const RELEASES: Optional = Optional {
    endpoint: "releases",
    answers: FEATURE_OFF,
};

/// The items of a listing that are newer than the window (all of them without one).
fn fresh(item: &Value, since: Option<DateTime<Utc>>) -> bool {
    match since {
        Some(s) => parse_time(&item["updated_at"]).is_none_or(|t| t >= s),
        None => true,
    }
}

/// Fetch everything changed since `since` (None = everything) into staging.
pub async fn fetch(
    client: &ForgeClient,
    api: &str,
    owner: &str,
    name: &str,
    since: Option<DateTime<Utc>>,
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let root = api.trim_end_matches('/');
    let info = client
        .get(&format!(
            "{root}/projects/{}?statistics=true",
            encode(&format!("{owner}/{name}"))
        ))
        .await?;
    let base = match info.body["id"].as_i64() {
        Some(id) => format!("{root}/projects/{id}"),
        None => format!("{root}/projects/{}", encode(&format!("{owner}/{name}"))),
    };
    stage.put("project", Value::Null, info.body).await?;
    let stats_url = format!("{base}/issues_statistics");
    if let Some(stats) = ISSUES_STATISTICS
        .get(client, &stats_url, &mut stage.notes)
        .await?
    {
        stage
            .put("issues_statistics", Value::Null, stats.body)
            .await?;
    }
    let updated_after = since
        .map(|s| format!("&updated_after={}", s.format("%Y-%m-%dT%H:%M:%SZ")))
        .unwrap_or_default();
    let releases = format!("{base}/releases?order_by=released_at&sort=desc&per_page=100");
    let releases = Listing::new("releases", releases).optional(&RELEASES);
    stage.stream(client, releases, |_| true).await?;
    for (entity, url) in [
        ("labels", format!("{base}/labels?per_page=100")),
        ("members", format!("{base}/members/all?per_page=100")),
    ] {
        stage
            .stream(client, Listing::new(entity, url), |_| true)
            .await?;
    }

    let (issues, mrs) = fetch_items(client, &base, since, &updated_after, stage).await?;
    fetch_item_children(client, &base, &issues, &mrs, stage).await?;
    // Project events (opened/closed/reopened/merged). `after` is a date and exclusive.
    let after = since
        .map(|s| {
            format!(
                "&after={}",
                (s - ChronoDuration::days(1)).format("%Y-%m-%d")
            )
        })
        .unwrap_or_default();
    for target in ["issue", "merge_request"] {
        let url = format!("{base}/events?target_type={target}&sort=asc&per_page=100{after}");
        stage
            .stream(client, Listing::new("events", url), |_| true)
            .await?;
    }
    Ok(())
}

/// Issues and merge requests changed in the window, staged; returns the context of each
/// (`iid`, `id`, `web_url`) for its children.
async fn fetch_items(
    client: &ForgeClient,
    base: &str,
    since: Option<DateTime<Utc>>,
    updated_after: &str,
    stage: &mut Stager<'_>,
) -> anyhow::Result<(Vec<Value>, Vec<Value>)> {
    // Issues and merge requests changed in the window; their children are fetched per item.
    let mut issues = Vec::new();
    let mut mrs = Vec::new();
    for (entity, opt, out) in [
        ("issues", &ISSUES, &mut issues),
        ("merge_requests", &MERGE_REQUESTS, &mut mrs),
    ] {
        let url = format!(
            "{base}/{entity}?state=all&order_by=updated_at&sort=asc&per_page=100{updated_after}"
        );
        // Not resumable: the children to fetch are those of the items this listing reads.
        let listing = Listing::new(entity, url).optional(opt);
        let note_children = |page: &Value| {
            for it in page.as_array().into_iter().flatten() {
                if fresh(it, since)
                    && let (Some(iid), Some(id)) = (it["iid"].as_i64(), it["id"].as_i64())
                {
                    out.push(json!({"iid": iid, "id": id, "web_url": it["web_url"]}));
                }
            }
            true
        };
        stage.stream(client, listing, note_children).await?;
    }
    Ok((issues, mrs))
}

/// Notes and label events of each issue; notes, label events, commits, diffs and approvals of
/// each merge request.
async fn fetch_item_children(
    client: &ForgeClient,
    base: &str,
    issues: &[Value],
    mrs: &[Value],
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    for ctx in issues {
        let iid = &ctx["iid"];
        for (entity, sub) in [
            (
                "issue_notes",
                "notes?sort=asc&order_by=created_at&per_page=100",
            ),
            ("issue_label_events", "resource_label_events?per_page=100"),
        ] {
            let url = format!("{base}/issues/{iid}/{sub}");
            stream_child(client, stage, entity, url, ctx).await?;
        }
    }
    for ctx in mrs {
        let iid = &ctx["iid"];
        for (entity, sub) in [
            (
                "mr_notes",
                "notes?sort=asc&order_by=created_at&per_page=100",
            ),
            ("mr_label_events", "resource_label_events?per_page=100"),
            ("mr_commits", "commits?per_page=100"),
            ("mr_diffs", "diffs?per_page=100"),
        ] {
            let url = format!("{base}/merge_requests/{iid}/{sub}");
            stream_child(client, stage, entity, url, ctx).await?;
        }
        let url = format!("{base}/merge_requests/{iid}/approvals");
        if let Some(a) = APPROVALS.get(client, &url, &mut stage.notes).await? {
            stage.put("mr_approvals", ctx.clone(), a.body).await?;
        }
    }

    Ok(())
}

/// One child listing of an item. A notes listing read to its end is followed by the ids it
/// held (entity `{entity}_listed`), so that processing removes the item's notes deleted on the
/// forge; a listing that failed part-way stages no such list and removes nothing.
async fn stream_child(
    client: &ForgeClient,
    stage: &mut Stager<'_>,
    entity: &'static str,
    url: String,
    ctx: &Value,
) -> anyhow::Result<()> {
    let listing = Listing::new(entity, url).ctx(ctx.clone());
    let mut ids = Vec::new();
    stage
        .stream(client, listing, |page| {
            let listed = page.as_array().into_iter().flatten();
            ids.extend(listed.map(|n| json!({"id": n["id"]})));
            true
        })
        .await?;
    if let Some(listed) = NOTE_LISTS.iter().find(|(e, _)| *e == entity) {
        stage.put(listed.1, ctx.clone(), Value::Array(ids)).await?;
    }
    Ok(())
}

/// The notes listings, and the entity of the ids each one held when read to its end.
pub(super) const NOTE_LISTS: [(&str, &str); 2] = [
    ("issue_notes", "issue_notes_listed"),
    ("mr_notes", "mr_notes_listed"),
];

/// Group URL expansion: every project of a GitLab group and its subgroups (web URLs).
pub async fn owner_repos(
    client: &ForgeClient,
    api: &str,
    group: &str,
) -> Result<Vec<String>, ForgeError> {
    let url = format!(
        "{}/groups/{}/projects?include_subgroups=true&per_page=100",
        api.trim_end_matches('/'),
        encode(group)
    );
    let mut urls = BTreeSet::new();
    for p in client.get_all(&url, |_| true).await? {
        for r in p.body.as_array().into_iter().flatten() {
            if let Some(u) = r["web_url"].as_str() {
                urls.insert(u.to_owned());
            }
        }
    }
    Ok(urls.into_iter().collect())
}
