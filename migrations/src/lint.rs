//! Static lint of upgrade steps for the incident classes of the migration guide.
//!
//! What the text of a step can tell (the live catalog tells the rest — non-deferrable or
//! unindexed FKs are caught by [`crate::catalog::conventions`] on the upgraded database):
//!
//! * `plain-create-index`: `CREATE INDEX` without `CONCURRENTLY` on a table the step did not
//!   create — blocks every write to a populated table for the whole build.
//! * `not-null-without-default`: `ADD COLUMN … NOT NULL` without `DEFAULT` — fails on a populated
//!   table, or rejects the collector's inserts that do not name the column.
//! * `unbounded-update`: `UPDATE`/`DELETE` without `WHERE` — a backfill with no idempotency gate.
//! * `swallowed-error`: `EXCEPTION WHEN OTHERS THEN NULL` — a failure that migrate cannot report.
//! * `concurrently-in-transaction`: `CONCURRENTLY` in a step not marked `concurrent-index` or
//!   `no-transaction` — it would fail inside the step's transaction.

use crate::plan::{Step, StepMode};

/// One lint finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub step: String,
    pub rule: &'static str,
    pub message: String,
}

/// Split SQL into statements, honouring quotes, dollar quotes and comments. Comments are
/// dropped; the returned statements are trimmed and never empty.
pub fn statements(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            cur.push(' ');
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
            cur.push(' ');
            continue;
        }
        if c == b'\'' || c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() {
                if b[i] == c {
                    if b.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            cur.push_str(&sql[start..i]);
            continue;
        }
        if c == b'$' {
            // $tag$ … $tag$
            let rest = &sql[i + 1..];
            if let Some(end) = rest.find('$') {
                let tag = &rest[..end];
                if tag
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                {
                    let delim = format!("${tag}$");
                    let body_start = i + delim.len();
                    if let Some(close) = sql[body_start..].find(&delim) {
                        let stop = body_start + close + delim.len();
                        cur.push_str(&sql[i..stop]);
                        i = stop;
                        continue;
                    }
                }
            }
        }
        if c == b';' {
            let s = cur.trim();
            if !s.is_empty() {
                out.push(s.to_owned());
            }
            cur.clear();
            i += 1;
            continue;
        }
        let ch = sql[i..].chars().next().unwrap_or(' ');
        cur.push(ch);
        i += ch.len_utf8();
    }
    let s = cur.trim();
    if !s.is_empty() {
        out.push(s.to_owned());
    }
    out
}

fn words(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

/// The relation a `CREATE [UNIQUE] INDEX … ON [ONLY] rel` statement targets, lower-cased.
fn index_target(upper: &str) -> Option<String> {
    let on = upper.find(" ON ")?;
    let rest = upper[on + 4..].trim_start();
    let rest = rest.strip_prefix("ONLY ").unwrap_or(rest);
    let name: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '(')
        .collect();
    Some(name.trim_matches('"').to_ascii_lowercase())
}

fn created_tables(stmts: &[String]) -> Vec<String> {
    stmts
        .iter()
        .filter_map(|s| {
            let u = words(s);
            let rest = u.strip_prefix("CREATE TABLE ")?;
            let rest = rest.strip_prefix("IF NOT EXISTS ").unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '(')
                .collect();
            Some(name.trim_matches('"').to_ascii_lowercase())
        })
        .collect()
}

/// Lint one step.
pub fn lint_step(step: &Step) -> Vec<Finding> {
    let stmts = statements(&step.sql);
    let created = created_tables(&stmts);
    let mut out = Vec::new();
    let mut push = |rule: &'static str, message: String| {
        out.push(Finding {
            step: step.label.clone(),
            rule,
            message,
        })
    };
    let may_be_concurrent = !matches!(step.mode, StepMode::Transaction);
    for s in &stmts {
        let u = words(s);
        let short: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let short = if short.len() > 120 {
            format!("{}…", &short[..short.floor_char_boundary(120)])
        } else {
            short
        };
        if (u.starts_with("CREATE INDEX") || u.starts_with("CREATE UNIQUE INDEX"))
            && !u.contains(" CONCURRENTLY ")
        {
            let target = index_target(&u).unwrap_or_default();
            if !created.contains(&target) {
                push(
                    "plain-create-index",
                    format!(
                        "`{short}` locks out writes to {target} for the whole build; use a \
                         concurrent-index step"
                    ),
                );
            }
        }
        if u.contains(" CONCURRENTLY ") && !may_be_concurrent {
            push(
                "concurrently-in-transaction",
                format!(
                    "`{short}` cannot run inside the step's transaction; mark the step \
                         `-- mode: concurrent-index SCHEMA.INDEX`"
                ),
            );
        }
        if u.starts_with("ALTER TABLE") {
            for clause in u.split(" ADD COLUMN ").skip(1) {
                let clause = clause.split(", ADD ").next().unwrap_or(clause);
                if clause.contains("NOT NULL") && !clause.contains("DEFAULT") {
                    push(
                        "not-null-without-default",
                        format!(
                            "`{short}` adds a NOT NULL column without a DEFAULT: it fails on a \
                             populated table and rejects inserts that do not name it"
                        ),
                    );
                }
            }
        }
        if (u.starts_with("UPDATE ") || u.starts_with("DELETE ")) && !u.contains(" WHERE ") {
            push(
                "unbounded-update",
                format!(
                    "`{short}` has no WHERE: a backfill needs an idempotency gate so a re-run \
                     touches nothing"
                ),
            );
        }
        if u.contains("WHEN OTHERS THEN NULL") {
            push(
                "swallowed-error",
                format!("`{short}` swallows every error; migrate could not report a failure"),
            );
        }
    }
    out
}

/// Lint every step of `steps`.
pub fn lint(steps: &[Step]) -> Vec<Finding> {
    steps.iter().flat_map(lint_step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(sql: &str) -> Vec<&'static str> {
        lint_step(&Step::parse("0009_x.sql", sql).unwrap())
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn splitter_respects_quotes_dollar_bodies_and_comments() {
        let s = statements(
            "SELECT 'a;b'; -- c;d\nDO $$ BEGIN PERFORM 1; END $$; /* x; */ SELECT \"q;\"",
        );
        assert_eq!(
            s,
            vec![
                "SELECT 'a;b'".to_string(),
                "DO $$ BEGIN PERFORM 1; END $$".to_string(),
                "SELECT \"q;\"".to_string()
            ]
        );
    }

    #[test]
    fn each_incident_class_is_found() {
        assert_eq!(
            rules("CREATE INDEX idx ON aveloxis_data.issues (repo_id);"),
            ["plain-create-index"]
        );
        assert_eq!(
            rules("ALTER TABLE aveloxis_data.issues ADD COLUMN severity TEXT NOT NULL;"),
            ["not-null-without-default"]
        );
        assert_eq!(
            rules("UPDATE aveloxis_data.repos SET repo_name = lower(repo_name);"),
            ["unbounded-update"]
        );
        assert_eq!(
            rules(
                "DO $$ BEGIN ALTER TABLE t ADD COLUMN x INT; EXCEPTION WHEN others THEN null; END $$;"
            ),
            ["swallowed-error"]
        );
        assert_eq!(
            rules("CREATE INDEX CONCURRENTLY i ON aveloxis_data.t (a);"),
            ["concurrently-in-transaction"]
        );
    }

    #[test]
    fn safe_patterns_pass() {
        assert!(
            rules(
                "CREATE TABLE IF NOT EXISTS aveloxis_data.t (a INT);
             CREATE INDEX IF NOT EXISTS t_a ON aveloxis_data.t (a);
             ALTER TABLE aveloxis_data.repos ADD COLUMN IF NOT EXISTS n INT NOT NULL DEFAULT 0;
             UPDATE aveloxis_data.repos SET n = 1 WHERE n = 0;"
            )
            .is_empty()
        );
        assert!(rules(
            "-- mode: concurrent-index aveloxis_data.i\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON aveloxis_data.t (a);"
        )
        .is_empty());
    }

    #[test]
    fn the_shipped_steps_are_clean() {
        let f = lint(&crate::Plan::embedded().steps);
        assert!(f.is_empty(), "{f:#?}");
    }
}
