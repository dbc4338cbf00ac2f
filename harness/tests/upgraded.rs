//! The upgraded side of `harness data-test` and the rollback check: migration steps planted
//! in a working tree that damage rows already in a database are invisible to the released and
//! new sides (both start empty; a fresh install never runs steps) and are a FAIL naming the
//! table through the upgraded→new pair.
//!
//! The new collector of each case is the real one with the working tree's plan
//! (`--migrations-dir`: the plan is the only thing a migration step changes in a binary), so no
//! case needs a build.

use std::path::PathBuf;

use super::support::*;

/// A working tree whose released revision (HEAD, tagged v1) is a copy of our migrations, and
/// the "new" collector: the real one with the working tree's plan.
struct Tree {
    repo: tempfile::TempDir,
    bins: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        Tree {
            repo: released_repo(),
            bins: tempfile::tempdir().unwrap(),
        }
    }

    /// The working tree at HEAD again, plus the step `sql` (mirrored at the end of schema.sql,
    /// as the project's rules ask).
    fn plant(&self, label: &str, sql: &str) {
        git(
            self.repo.path(),
            &["checkout", "-q", "-f", "HEAD", "--", "."],
        );
        git(self.repo.path(), &["clean", "-q", "-f", "-d"]);
        let next = next_step(self.repo.path());
        let m = self.repo.path().join("migrations");
        std::fs::write(
            m.join(format!("steps/{next:04}_planted.sql")),
            format!("-- label: {label}\n{sql}\n"),
        )
        .unwrap();
        let mut s = std::fs::read_to_string(m.join("schema.sql")).unwrap();
        s.push_str(&format!("\n-- {label}\n{sql}\n"));
        std::fs::write(m.join("schema.sql"), s).unwrap();
    }

    fn new_bin(&self) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.bins.path().join("aveloxis-new");
        let script = format!(
            "#!/bin/sh\nexec \"{}\" --migrations-dir \"{}\" \"$@\"\n",
            aveloxis_bin().display(),
            self.repo.path().join("migrations").display()
        );
        std::fs::write(&p, script).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// `harness data-test` of the working tree: its work dir, output, exit code and report.
    fn run(&self, extra: &[&str]) -> (tempfile::TempDir, String, Option<i32>, serde_json::Value) {
        let work = tempfile::tempdir().unwrap();
        let out = data_test(self.repo.path(), work.path(), &self.new_bin(), extra);
        let r = report_json(work.path());
        (work, text(&out), out.status.code(), r)
    }
}

/// A table of the upgraded→new pair.
fn upgraded<'a>(r: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    table_in(&r["upgraded"]["tables"], name)
}

/// The FAILs of the upgraded→new pair: (base tables, views and matviews).
fn upgraded_fails(r: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let mut tables = Vec::new();
    let mut views = Vec::new();
    for t in r["upgraded"]["tables"].as_array().into_iter().flatten() {
        if t["verdict"] != "FAIL" {
            continue;
        }
        let name = format!(
            "{}.{}",
            t["schema"].as_str().unwrap(),
            t["table"].as_str().unwrap()
        );
        if t["kind"] == "table" {
            &mut tables
        } else {
            &mut views
        }
        .push(name);
    }
    (tables, views)
}

fn check<'a>(r: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name:?}: {}", r["checks"]))
}

const ROLLBACK: &str = "rollback: released collector collects against the upgraded schema";

/// Steps that damage rows already in a database.
const DAMAGING: [(&str, &str, &str, &str); 3] = [
    (
        "backfill that truncates comment bodies",
        "UPDATE aveloxis_data.messages SET msg_text = left(msg_text, 10) WHERE length(msg_text) > 10;",
        "aveloxis_data.messages",
        "content drift in column(s) msg_text",
    ),
    (
        "dedupe issue_labels keyed on the issue only",
        "DELETE FROM aveloxis_data.issue_labels a USING aveloxis_data.issue_labels b\n    \
         WHERE a.issue_id = b.issue_id AND a.ctid > b.ctid;",
        "aveloxis_data.issue_labels",
        "row loss: new has",
    ),
    (
        "pull request file changes in bytes (40 per line)",
        "UPDATE aveloxis_data.pull_request_files\n    \
         SET pr_file_additions = pr_file_additions * 40, pr_file_deletions = pr_file_deletions * 40;",
        "aveloxis_data.pull_request_files",
        "content drift in column(s) pr_file_additions, pr_file_deletions",
    ),
];

#[test]
fn data_test_upgraded_side_catches_steps_that_damage_rows_already_in_a_database() {
    let tree = Tree::new();

    // The two-side gate (what data-test was before the upgraded side) passes all three.
    let all: Vec<&str> = DAMAGING.iter().map(|d| d.1).collect();
    tree.plant("three damaging steps in one", &all.join("\n"));
    let (_w, t, code, r) = tree.run(&["--no-upgraded"]);
    assert_eq!(code, Some(0), "two sides: {t}");
    assert!(r.get("upgraded").is_none(), "{r}");
    assert!(
        !r["checks"].to_string().contains("upgraded"),
        "{}",
        r["checks"]
    );

    for (label, sql, table, finding) in DAMAGING {
        tree.plant(label, sql);
        // On day 0: a day of the tiny world touches every pull request, and the incremental
        // run that re-lists them rewrites the damaged files (healing, not hiding, the damage).
        let (_w, t, code, r) = tree.run(&["--days", "0"]);
        assert_eq!(code, Some(1), "{label}: {t}");
        // The damaged table, and the Augur views that show it (if any read the damage).
        let (tables, views) = upgraded_fails(&r);
        assert_eq!(tables, [table], "{label}: {}", r["upgraded"]);
        let view = table.replace("aveloxis_data.", "aveloxis_augur_data.");
        let view = view.replace(".messages", ".message");
        assert!(views.contains(&view), "{label}: {view} not in {views:?}");
        let tb = upgraded(&r, table);
        assert!(tb.to_string().contains(finding), "{label}: {tb}");
        assert!(
            t.contains(&format!("FAIL upgraded→new {table}")),
            "{label}: {t}"
        );
        // The released→new tables see nothing but the new step.
        for tb in r["tables"].as_array().unwrap() {
            assert_ne!(tb["verdict"], "FAIL", "{label}: {tb}");
        }
    }

    // A harmless backfill (the data already is what it asks for) passes; the released binary
    // refuses the newer schema by design and, with its version check given the new plan,
    // still collects into it.
    tree.plant(
        "normalise issue states",
        "UPDATE aveloxis_data.issues SET issue_state = lower(issue_state)\n    \
         WHERE issue_state <> lower(issue_state);",
    );
    let (w, t, code, r) = tree.run(&[]);
    assert_eq!(code, Some(0), "harmless backfill: {t}");
    assert_eq!(upgraded_fails(&r), (vec![], vec![]), "{}", r["upgraded"]);
    // … ten runs in a row (each a new forge, new databases, the moving world's day 1).
    for round in 1..10 {
        let (_w, t, code, r) = tree.run(&[]);
        assert_eq!(code, Some(0), "harmless backfill, run {}: {t}", round + 1);
        assert_eq!(upgraded_fails(&r), (vec![], vec![]), "{}", r["upgraded"]);
    }
    let rb = check(&r, ROLLBACK);
    assert_eq!(rb["verdict"], "PASS", "{rb}");
    assert!(
        rb.to_string()
            .contains("refuses the upgraded schema by design")
            && rb.to_string().contains("it collects"),
        "{rb}"
    );
    for name in [
        "upgraded: released collector completes (day 0)",
        "upgraded: new binary migrates the populated database in place",
        "upgraded: new collector collects incrementally",
    ] {
        assert_eq!(check(&r, name)["verdict"], "PASS", "{name}");
    }
    // Per-side step timings, with the day asked for and the day served.
    let sides = r["sides"].as_array().unwrap();
    let names: Vec<&str> = sides.iter().map(|s| s["side"].as_str().unwrap()).collect();
    assert_eq!(names, ["released", "new", "upgraded"]);
    let steps: Vec<String> = sides[2]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["binary"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            "released migrate",
            "released add-key",
            "released add-repo",
            "released collect --full",
            "new migrate (in place)",
            "new collect",
            "new refresh-views",
            "harness rollback: copy database",
            "released rollback: collect",
            "released rollback: collect --migrations-dir",
        ],
        "{}",
        sides[2]
    );
    let collect = &sides[2]["steps"][5];
    // `--days` defaults to 1: the upgraded side collects day 0, then day 1 incrementally.
    assert_eq!(collect["day_requested"], 1, "{collect}");
    assert_eq!(collect["day_served"], 1, "{collect}");
    assert_eq!(sides[2]["steps"][3]["day_served"], 0, "{}", sides[2]);
    assert!(sides[2]["seconds"].as_f64().unwrap() > 0.0);
    let md = std::fs::read_to_string(w.path().join("report.md")).unwrap();
    assert!(
        md.contains("- Side pairs: released→new, upgraded→new"),
        "{md}"
    );
    assert!(
        md.contains("- Days: --days 1; day asked → served: "),
        "{md}"
    );
    assert!(md.contains("| upgraded | collect | new | 1 → 1 |"), "{md}");
}

#[test]
fn data_test_rollback_check_fails_when_the_released_collector_cannot_write_the_upgraded_schema() {
    let tree = Tree::new();
    // A column no Augur view reads (so the in-place migration, which rebuilds the views,
    // succeeds) and every collection writes.
    tree.plant(
        "rename staging.payload",
        "ALTER TABLE aveloxis_ops.staging RENAME COLUMN payload TO page;",
    );
    let (w, t, code, r) = tree.run(&[]);
    assert_eq!(code, Some(1), "{t}");
    let rb = check(&r, ROLLBACK);
    assert_eq!(rb["verdict"], "FAIL", "{rb}");
    let details = rb["details"].to_string();
    assert!(
        details.contains("refuses the upgraded schema by design"),
        "{details}"
    );
    assert!(
        details.contains("it fails on the upgraded schema") && details.contains("payload"),
        "{details}"
    );
    let md = std::fs::read_to_string(w.path().join("report.md")).unwrap();
    assert!(
        md.contains("| rollback: released collector collects against the upgraded schema | FAIL |"),
        "{md}"
    );
    assert!(md.contains("## upgraded→new"), "{md}");
    assert!(md.contains("## Sides"), "{md}");
}
