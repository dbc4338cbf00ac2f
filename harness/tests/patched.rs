//! Planted regressions: each one a patched worktree of this project, built by the harness as
//! the "new" side against HEAD as the released side.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::support::*;

/// A detached `git worktree` of this project at HEAD that takes one planted regression at a
/// time. The path stays the same from patch to patch, so every build after the first is
/// incremental; the worktree is removed on drop.
struct Patched {
    project: PathBuf,
    path: PathBuf,
}

impl Patched {
    fn new() -> Patched {
        Patched::at("harness-planted-src")
    }

    /// A patched worktree in `target/<dir>` (tests running at once use different dirs).
    fn at(dir: &str) -> Patched {
        let project = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf();
        let path = target_dir().join(dir);
        aveloxis_harness::git::remove_worktree(&project, &path);
        git(
            &project,
            &[
                "worktree",
                "add",
                "-q",
                "--detach",
                path.to_str().unwrap(),
                "HEAD",
            ],
        );
        Patched { project, path }
    }

    /// Back to HEAD exactly: edits undone, new files gone.
    fn reset(&self) {
        git(&self.path, &["checkout", "-q", "-f", "HEAD", "--", "."]);
        git(&self.path, &["clean", "-q", "-f", "-d"]);
    }

    /// Replace the single occurrence of `old` in `file` (the patch must still apply).
    fn edit(&self, file: &str, old: &str, new: &str) {
        let p = self.path.join(file);
        let s = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            s.matches(old).count(),
            1,
            "{file}: the planted patch no longer applies: {old}"
        );
        std::fs::write(&p, s.replacen(old, new, 1)).unwrap();
    }

    /// A new migration step, mirrored at the end of `schema.sql` as the project's rules ask.
    fn step(&self, label: &str, sql: &str) {
        let steps = self.path.join("migrations/steps");
        let next = next_step(&self.path);
        std::fs::write(
            steps.join(format!("{next:04}_planted.sql")),
            format!("-- label: {label}\n{sql}\n"),
        )
        .unwrap();
        let schema = self.path.join("migrations/schema.sql");
        let mut s = std::fs::read_to_string(&schema).unwrap();
        s.push_str(&format!("\n-- {label}\n{sql}\n"));
        std::fs::write(&schema, s).unwrap();
    }

    /// `harness data-test` from inside the patched worktree (so it is the working tree that
    /// gets built), with `released` as the released side once it has been built.
    fn data_test(&self, released: Option<&Path>) -> (tempfile::TempDir, Output, serde_json::Value) {
        let work = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_harness"));
        cmd.args([
            "data-test",
            "--released-tag",
            "HEAD",
            "--repo",
            "https://github.com/augurlabs/tiny",
            "--work-dir",
            work.path().to_str().unwrap(),
            "--target-dir",
            target_dir().to_str().unwrap(),
        ]);
        if let Some(b) = released {
            cmd.arg("--released-bin").arg(b);
        }
        let out = cmd
            .current_dir(&self.path)
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .unwrap();
        let report = if work.path().join("report.json").exists() {
            report_json(work.path())
        } else {
            serde_json::Value::Null
        };
        (work, out, report)
    }
}

impl Patched {
    /// HEAD with one planted `(file, old, new)` edit, run against `released`: exit 1 (the
    /// gate caught it); the output and the report.
    fn caught(
        &self,
        label: &str,
        (file, old, new): (&str, &str, &str),
        released: Option<&Path>,
    ) -> (String, serde_json::Value) {
        self.reset();
        self.edit(file, old, new);
        let (_w, out, r) = self.data_test(released);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{label}: {t}");
        (t, r)
    }
}

impl Drop for Patched {
    fn drop(&mut self) {
        aveloxis_harness::git::remove_worktree(&self.project, &self.path);
    }
}

/// The "new collector completes" check of a report, if it failed.
fn collector_failure(r: &serde_json::Value) -> Option<String> {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "new collector completes" && c["verdict"] == "FAIL")
        .map(|c| c["details"].to_string())
}

fn verdicts_other_than_pass(r: &serde_json::Value) -> Vec<String> {
    r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["verdict"] != "PASS")
        .map(|t| {
            format!(
                "{}.{} {}",
                t["schema"].as_str().unwrap(),
                t["table"].as_str().unwrap(),
                t["verdict"].as_str().unwrap()
            )
        })
        .collect()
}

/// Writing contributors after the rows that reference them — legal while the FKs are deferred.
const WRITE_CONTRIBUTORS_LAST: (&str, &str, &str) = (
    "core/src/collect/github/map.rs",
    "    counts.contributors += m.users.write(conn).await?;\n    if let Some(info) = &info {\n        write_repo_info(conn, repo_id, info).await?;\n    }\n    crate::collect::write_rows(conn, m.rows, counts).await?;\n",
    "    if let Some(info) = &info {\n        write_repo_info(conn, repo_id, info).await?;\n    }\n    crate::collect::write_rows(conn, m.rows, counts).await?;\n    counts.contributors += m.users.write(conn).await?;\n",
);

#[test]
fn data_test_catches_regressions_planted_in_patched_worktrees_of_the_project() {
    let p = Patched::new();

    // The control: HEAD against HEAD, both built by the harness from git.
    let (work, out, r) = p.data_test(None);
    assert_eq!(out.status.code(), Some(0), "control: {}", text(&out));
    assert!(verdicts_other_than_pass(&r).is_empty(), "{r}");
    let released = tempfile::tempdir().unwrap();
    let released_bin = released.path().join("aveloxis");
    std::fs::copy(work.path().join("bin/released/aveloxis"), &released_bin).unwrap();
    let released_bin = Some(released_bin.as_path());

    // Collector-breaking schema changes: the new side fails where the released one succeeded;
    // the FAIL names the table and the offending column or constraint, and the rows the failed
    // transaction would have written are missing from the named table.
    let breaking: [(&str, &str, &str, &[&str]); 3] = [
        (
            "new NOT NULL column without a default",
            "add issues.severity",
            "ALTER TABLE aveloxis_data.issues ADD COLUMN severity TEXT NOT NULL;",
            &["\\\"issues\\\"", "severity"],
        ),
        (
            "a CHECK the collected data violates",
            "only open pull requests",
            "ALTER TABLE aveloxis_data.pull_requests\n    ADD CONSTRAINT ck_pr_state_open CHECK (pr_state = 'open');",
            &["\\\"pull_requests\\\"", "ck_pr_state_open"],
        ),
        (
            "a column renamed while the collector writes the old name",
            "rename messages.msg_text to msg_body",
            "ALTER TABLE aveloxis_data.messages RENAME COLUMN msg_text TO msg_body;",
            &["msg_text"],
        ),
    ];
    let lost = [
        "aveloxis_data.issues",
        "aveloxis_data.pull_requests",
        "aveloxis_data.messages",
    ];
    for ((name, label, sql, named), lost) in breaking.into_iter().zip(lost) {
        p.reset();
        p.step(label, sql);
        let (_w, out, r) = p.data_test(released_bin);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {t}");
        let failure =
            collector_failure(&r).unwrap_or_else(|| panic!("{name}: no collector FAIL: {r}"));
        for n in named {
            assert!(failure.contains(n), "{name}: {n} not named in {failure}");
        }
        let tb = table(&r, lost);
        assert_eq!(tb["verdict"], "FAIL", "{name}: {tb}");
        assert!(tb.to_string().contains("row loss"), "{name}: {tb}");
        assert!(t.contains(&format!("FAIL {lost}")), "{name}: {t}");
        if label.starts_with("rename") {
            // The Augur views still read the old name: `migrate` itself fails on views.sql
            // (seen since the gate builds the views), so nothing is written on new.
            assert!(failure.contains("views.sql"), "{name}: {failure}");
        } else {
            let meta = table(&r, "aveloxis_ops.schema_meta");
            assert_eq!(meta["verdict"], "PASS", "{name}: {meta}");
        }
        // A step that cannot run on a table holding rows (a fresh install applies it to an
        // empty one) fails the upgraded side's in-place migration, naming it; that pair is not
        // compared.
        if label == "add issues.severity" {
            let migrates = r["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| {
                    c["name"] == "upgraded: new binary migrates the populated database in place"
                })
                .unwrap_or_else(|| panic!("{}", r["checks"]));
            assert_eq!(migrates["verdict"], "FAIL", "{migrates}");
            assert!(migrates.to_string().contains("severity"), "{migrates}");
            assert!(r.get("upgraded").is_none(), "{r}");
        }
    }
    // Child-before-parent inserts pass while the FKs stay deferred …
    p.reset();
    let (file, old, new) = WRITE_CONTRIBUTORS_LAST;
    p.edit(file, old, new);
    let (_w, out, r) = p.data_test(released_bin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "reordered writes: {}",
        text(&out)
    );
    assert!(verdicts_other_than_pass(&r).is_empty(), "{r}");
    // … and a non-deferrable FK rejects them.
    p.step(
        "fk_issues_reporter with ON UPDATE CASCADE",
        "ALTER TABLE aveloxis_data.issues DROP CONSTRAINT fk_issues_reporter;\n\
         ALTER TABLE aveloxis_data.issues ADD CONSTRAINT fk_issues_reporter\n    \
         FOREIGN KEY (reporter_id) REFERENCES aveloxis_data.contributors (cntrb_id)\n    \
         ON UPDATE CASCADE ON DELETE RESTRICT;",
    );
    let (_w, out, r) = p.data_test(released_bin);
    assert_eq!(
        out.status.code(),
        Some(1),
        "non-deferrable FK: {}",
        text(&out)
    );
    let failure = collector_failure(&r).expect("the FK rejects the collector");
    assert!(
        failure.contains("fk_issues_reporter") && failure.contains("\\\"issues\\\""),
        "{failure}"
    );
    assert_eq!(table(&r, "aveloxis_data.issues")["verdict"], "FAIL");

    // A dropped column that carried data (the collector no longer writes it either, and the
    // Augur view that showed it says NULL).
    p.reset();
    p.edit(
        "core/src/collect/specs/people.rs",
        "        (\"release_description\", \"x.release_description\"),\n",
        "",
    );
    p.edit(
        "migrations/views.sql",
        "       rl.release_description,\n",
        "       NULL::text AS release_description,\n",
    );
    p.step(
        "drop releases.release_description",
        "ALTER TABLE aveloxis_data.releases DROP COLUMN release_description;",
    );
    let (_w, out, r) = p.data_test(released_bin);
    assert_eq!(out.status.code(), Some(1), "dropped column: {}", text(&out));
    assert_eq!(collector_failure(&r), None, "{r}");
    let releases = table(&r, "aveloxis_data.releases");
    assert_eq!(releases["verdict"], "FAIL", "{releases}");
    assert_eq!(releases["released_rows"], releases["new_rows"]);
    assert!(
        releases
            .to_string()
            .contains("column release_description dropped on new (carried"),
        "{releases}"
    );

    // Same row counts, different content. Both sides are built here: the patched file is older
    // than the released build's artifacts in the shared target dir, which must not make cargo
    // take the released collector for the new one.
    p.reset();
    p.edit(
        "core/src/collect/github/map.rs",
        "\"issue_state\": i[\"state\"],",
        "\"issue_state\": i[\"state\"].as_str().map(str::to_uppercase),",
    );
    let (_w, out, r) = p.data_test(None);
    assert_eq!(out.status.code(), Some(1), "content drift: {}", text(&out));
    assert_eq!(collector_failure(&r), None, "{r}");
    let issues = table(&r, "aveloxis_data.issues");
    assert_eq!(issues["verdict"], "FAIL", "{issues}");
    assert_eq!(issues["released_rows"], issues["new_rows"]);
    assert!(
        issues
            .to_string()
            // The closers follow from the state (the latest `closed` event of a closed issue):
            // compared since contributor ids are, they are lost too.
            .contains("content drift in column(s) closed_by_id, issue_state (same row count"),
        "{issues}"
    );

    // Added coverage: a new column the new side fills is a FLAG, and the gate passes.
    p.reset();
    p.step(
        "add issues.severity with a default",
        "ALTER TABLE aveloxis_data.issues ADD COLUMN severity TEXT NOT NULL DEFAULT 'normal';",
    );
    let (_w, out, r) = p.data_test(released_bin);
    assert_eq!(out.status.code(), Some(0), "coverage: {}", text(&out));
    let issues = table(&r, "aveloxis_data.issues");
    assert_eq!(issues["verdict"], "FLAG", "{issues}");
    assert!(
        issues.to_string().contains(&format!(
            "column severity only on new ({} value(s))",
            issues["new_rows"]
        )),
        "{issues}"
    );
    // The only other difference is the new step in the migration ledger.
    assert_eq!(
        verdicts_other_than_pass(&r),
        [
            "aveloxis_data.issues FLAG",
            "aveloxis_ops.schema_migrations FLAG"
        ],
        "{r}"
    );
}

/// Every reference of the GitHub mapper re-pointed to one contributor (the contributors
/// themselves unchanged): ids of accounts are deterministic, so the gate compares them.
const REPOINT_ATTRIBUTION: (&str, &str, &str) = (
    "core/src/collect/github/map.rs",
    "        Value::String(cid)\n    }\n",
    "        let first = self.rows.values().next().map(|r| r[\"cntrb_id\"].clone());\n        \
     first.unwrap_or(Value::String(cid))\n    }\n",
);

/// The Augur `issues` view loses its titles (the table underneath is intact).
const BREAK_AUGUR_VIEW: (&str, &str, &str) = (
    "migrations/views.sql",
    "       i.issue_title,\n       i.issue_body,\n",
    "       NULL::text AS issue_title,\n       i.issue_body,\n",
);

/// FAIL tables of a report.
fn failing(r: &serde_json::Value) -> Vec<String> {
    verdicts_other_than_pass(r)
        .into_iter()
        .filter_map(|v| v.strip_suffix(" FAIL").map(str::to_string))
        .collect()
}

#[test]
fn data_test_sees_attribution_and_the_augur_views_in_patched_worktrees() {
    let p = Patched::at("harness-planted-views");
    let released = Some(aveloxis_bin());

    let (t, r) = p.caught("re-pointed attribution", REPOINT_ATTRIBUTION, released);
    assert_eq!(collector_failure(&r), None, "{r}");
    let fails = failing(&r);
    for (name, column) in [
        ("aveloxis_data.issues", "reporter_id"),
        ("aveloxis_data.pull_requests", "author_id"),
        ("aveloxis_data.messages", "cntrb_id"),
    ] {
        let tb = table(&r, name);
        assert_eq!(tb["verdict"], "FAIL", "{name}: {tb}");
        assert!(tb.to_string().contains(column), "{name}: {tb}");
        assert!(t.contains(&format!("FAIL {name}")), "{t}");
    }
    assert!(
        fails.contains(&"aveloxis_augur_data.issues".to_string()),
        "{fails:?}"
    );
    assert_eq!(table(&r, "aveloxis_data.contributors")["verdict"], "PASS");

    let (t, r) = p.caught("broken Augur view", BREAK_AUGUR_VIEW, released);
    let view = table(&r, "aveloxis_augur_data.issues");
    assert_eq!(view["kind"], "view", "{view}");
    assert!(
        view.to_string().contains("column issue_title went dark"),
        "{view}"
    );
    assert!(t.contains("FAIL aveloxis_augur_data.issues"), "{t}");
    // Only the view and what is built on it differ; the tables underneath pass.
    let fails = failing(&r);
    assert!(
        fails.iter().all(|f| f.starts_with("aveloxis_augur_data.")),
        "{fails:?}"
    );
    assert_eq!(table(&r, "aveloxis_data.issues")["verdict"], "PASS");

    // A collector change that breaks only incremental runs: a pull request updated since its
    // listings were fetched is not asked again, so the reviews of day 1 never arrive. Both
    // full collections (released→new) agree; the upgraded side, collecting day 1
    // incrementally (`--days` defaults to 1), misses them.
    let (t, r) = p.caught("incremental-only loss", INCREMENTAL_ONLY, released);
    assert!(failing(&r).is_empty(), "released→new: {:?}", failing(&r));
    let reviews = table_in(
        &r["upgraded"]["tables"],
        "aveloxis_data.pull_request_reviews",
    );
    assert_eq!(reviews["verdict"], "FAIL", "{reviews}");
    assert!(reviews.to_string().contains("row loss"), "{reviews}");
    assert!(
        t.contains("FAIL upgraded→new aveloxis_data.pull_request_reviews"),
        "{t}"
    );
}

/// Pull requests whose `updated_at` moved are no longer asked for their listings again.
const INCREMENTAL_ONLY: (&str, &str, &str) = (
    "core/src/collect/listing.rs",
    "             OR max(p.updated_at) > c.parent_updated_at\n",
    "",
);
