//! Generated bodies validate against GitHub's official OpenAPI schemas
//! (`@octokit/openapi`, the schemas subset under `fixtures/openapi/`).
//!
//! The validator covers the OpenAPI 3.0 keywords these schemas use:
//! `$ref`, `type`, `nullable`, `required`, `properties`, `items`, `enum`,
//! `allOf`, `anyOf`, `oneOf` (any branch; GitHub's branches overlap).

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use serde_json::Value;

use crate::support::get;

struct Schemas(Value);

impl Schemas {
    fn load() -> Self {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/openapi/github-components.json");
        Self(serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
    }

    fn named(&self, name: &str) -> &Value {
        self.0["components"]["schemas"]
            .get(name)
            .unwrap_or_else(|| panic!("no schema {name}"))
    }

    fn check(&self, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap();
            return self.check(self.named(name), v, at, errs);
        }
        if v.is_null() {
            let nullable = schema.get("nullable") == Some(&Value::Bool(true));
            let typed = schema.get("type").is_some() || schema.get("properties").is_some();
            let branch_ok = ["anyOf", "oneOf"].iter().any(|k| {
                schema
                    .get(*k)
                    .and_then(Value::as_array)
                    .is_some_and(|bs| bs.iter().any(|b| self.ok(b, v)))
            });
            if !nullable && typed && !branch_ok {
                errs.push(format!("{at}: null is not allowed"));
            }
            return;
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.check(s, v, at, errs);
            }
        }
        for k in ["anyOf", "oneOf"] {
            if let Some(bs) = schema.get(k).and_then(Value::as_array)
                && !bs.iter().any(|b| self.ok(b, v))
            {
                errs.push(format!("{at}: matches no branch of {k}"));
            }
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            errs.push(format!("{at}: {v} not in enum {e:?}"));
        }
        if let Some(t) = schema.get("type").and_then(Value::as_str) {
            let ok = match t {
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                "array" => v.is_array(),
                "object" => v.is_object(),
                _ => true,
            };
            if !ok {
                errs.push(format!("{at}: expected {t}, got {v}"));
                return;
            }
        }
        if let Some(o) = v.as_object() {
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().unwrap();
                if !o.contains_key(r) {
                    errs.push(format!("{at}: missing required {r}"));
                }
            }
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, s) in props {
                    if let Some(x) = o.get(k) {
                        self.check(s, x, &format!("{at}.{k}"), errs);
                    }
                }
            }
        }
        if let (Some(a), Some(items)) = (v.as_array(), schema.get("items")) {
            for (i, x) in a.iter().enumerate() {
                self.check(items, x, &format!("{at}[{i}]"), errs);
            }
        }
    }

    fn ok(&self, schema: &Value, v: &Value) -> bool {
        let mut e = Vec::new();
        self.check(schema, v, "", &mut e);
        e.is_empty()
    }

    fn assert_valid(&self, name: &str, list: bool, v: &Value, what: &str) {
        let mut errs = Vec::new();
        let item = serde_json::json!({"$ref": format!("#/components/schemas/{name}")});
        let schema = if list {
            serde_json::json!({"type": "array", "items": item})
        } else {
            item
        };
        self.check(&schema, v, what, &mut errs);
        assert!(
            errs.is_empty(),
            "{what} does not validate against {name}:\n{}",
            errs[..errs.len().min(20)].join("\n")
        );
        if list {
            assert!(
                !v.as_array().unwrap().is_empty(),
                "{what}: empty list proves nothing"
            );
        }
    }
}

#[test]
fn validator_rejects_what_it_should() {
    let s = Schemas::load();
    let mut label = serde_json::json!({"id": 1, "node_id": "x", "url": "u", "name": "bug", "description": null, "color": "fff", "default": true});
    assert!(s.ok(s.named("label"), &label));
    label.as_object_mut().unwrap().remove("color");
    assert!(!s.ok(s.named("label"), &label), "missing required property");
    label["color"] = serde_json::json!(7);
    assert!(!s.ok(s.named("label"), &label), "wrong type");
}

#[test]
fn served_bodies_match_githubs_openapi_schemas() {
    let s = Schemas::load();
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let t = DEFAULT_TOKENS[0];
    let api = f.github_api_url();
    let r = format!("{api}/repos/mock-org/tiny");
    let j = |url: &str| {
        let resp = get(url, Some(t));
        assert_eq!(resp.status, 200, "{url}");
        resp.json()
    };
    let pulls = j(&format!("{r}/pulls?state=all&per_page=100"));
    let n = pulls[0]["number"].as_u64().unwrap();
    let with_reviews = (1..=f.world().repos[0].issues.len() as u64)
        .find(|k| f.world().repos[0].reviews.iter().any(|x| x.number == *k))
        .unwrap();
    let user = &f.world().users[4].login;
    let sha = f.world().repos[0].commits[2].sha.clone();
    let cases: Vec<(&str, bool, String)> = vec![
        ("full-repository", false, r.clone()),
        ("issue", true, format!("{r}/issues?state=all&per_page=100")),
        ("issue", false, format!("{r}/issues/{n}")),
        (
            "pull-request-simple",
            true,
            format!("{r}/pulls?state=all&per_page=100"),
        ),
        ("pull-request", false, format!("{r}/pulls/{n}")),
        (
            "issue-event",
            true,
            format!("{r}/issues/events?per_page=100"),
        ),
        (
            "issue-comment",
            true,
            format!("{r}/issues/comments?per_page=100"),
        ),
        (
            "pull-request-review-comment",
            true,
            format!("{r}/pulls/comments?per_page=100"),
        ),
        ("commit", true, format!("{r}/pulls/{n}/commits")),
        ("commit", false, format!("{r}/commits/{sha}")),
        ("diff-entry", true, format!("{r}/pulls/{n}/files")),
        (
            "pull-request-review",
            true,
            format!("{r}/pulls/{with_reviews}/reviews"),
        ),
        (
            "pull-request-review-request",
            false,
            format!("{r}/pulls/{n}/requested_reviewers"),
        ),
        ("release", true, format!("{r}/releases")),
        ("contributor", true, format!("{r}/contributors")),
        ("clone-traffic", false, format!("{r}/traffic/clones")),
        ("label", true, format!("{r}/labels")),
        ("public-user", false, format!("{api}/users/{user}")),
        (
            "minimal-repository",
            true,
            format!("{api}/orgs/mock-org/repos"),
        ),
        ("rate-limit-overview", false, format!("{api}/rate_limit")),
    ];
    for (schema, list, url) in cases {
        s.assert_valid(schema, list, &j(&url), &url);
    }
    let search = j(&format!("{api}/search/users?q={user}"));
    s.assert_valid(
        "user-search-result-item",
        true,
        &search["items"],
        "search/users items",
    );
}
