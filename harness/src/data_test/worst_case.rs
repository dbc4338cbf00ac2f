//! The size bound of `report.md` against a synthetic worst case: every table of a large
//! catalog failing in every column, every check failing with long output, row-level examples
//! for every table — without collecting anything.

use super::digest::budget;
use super::render::{Report, markdown};
use crate::report::{Check, Verdict};
use crate::row_diff::{self, Category, ColumnCount, ContentCategory, ContentExample, TableDiff};
use crate::table_diff::{Finding, TableResult};

const TABLES: usize = 240;
const COLUMNS: usize = 90;

fn failing_table(i: usize) -> TableResult {
    let mut findings: Vec<Finding> = (0..COLUMNS)
        .map(|c| Finding {
            verdict: Verdict::Fail,
            message: format!(
                "column a_rather_long_column_name_{c} went dark: 123456 value(s) on released, none on new"
            ),
        })
        .collect();
    let drifted: Vec<String> = (0..COLUMNS).map(|c| format!("column_{c}")).collect();
    findings.push(Finding {
        verdict: Verdict::Fail,
        message: format!(
            "content drift in column(s) {} (same row count, different values)",
            drifted.join(", ")
        ),
    });
    TableResult {
        schema: "aveloxis_data".into(),
        table: format!("a_table_with_a_long_name_number_{i}"),
        kind: "table".into(),
        released_rows: Some(100_000),
        // Every third table is empty on new: said once, not once per column.
        new_rows: Some(if i.is_multiple_of(3) { 0 } else { 100_000 }),
        verdict: Verdict::Fail,
        findings,
        compared_columns: drifted,
    }
}

fn row_level() -> row_diff::Report {
    let long = "x".repeat(160);
    let key = || vec![Some(long.clone()), Some(long.clone())];
    let tables = (0..TABLES)
        .map(|i| TableDiff {
            table: format!("a_table_with_a_long_name_number_{i}"),
            verdict: Verdict::Fail,
            key_columns: vec!["repo_git".into(), "platform_issue_id".into()],
            key_index: "uq".into(),
            compared_columns: Vec::new(),
            released_rows: 100_000,
            new_rows: 100_000,
            fail_missing: Category {
                rows: 5_000,
                examples: (0..5).map(|_| key()).collect(),
            },
            fail_content: ContentCategory {
                rows: 5_000,
                columns: (0..COLUMNS)
                    .map(|c| ColumnCount {
                        column: format!("column_{c}"),
                        rows: 5_000,
                    })
                    .collect(),
                examples: (0..5)
                    .map(|_| ContentExample {
                        key: key(),
                        differences: (0..COLUMNS)
                            .map(|c| row_diff::ValueDiff {
                                column: format!("column_{c}"),
                                released: Some(long.clone()),
                                new: None,
                            })
                            .collect(),
                    })
                    .collect(),
            },
            flag_extra: Category::default(),
            notes: vec![long.clone()],
        })
        .collect();
    row_diff::Report {
        generated_at: String::new(),
        released: "r".into(),
        new: "n".into(),
        repo: None,
        tables,
        skipped: Vec::new(),
        summary: row_diff::Summary::default(),
        rows_read: 0,
        seconds: 0.0,
    }
}

fn worst_case() -> Report {
    let output: Vec<String> = (0..400)
        .map(|l| {
            format!(
                "[new] line {l} of a collector's output that goes on and on {}",
                "y".repeat(200)
            )
        })
        .collect();
    let checks = (0..6)
        .map(|i| Check {
            name: format!("check {i} completes"),
            verdict: Verdict::Fail,
            details: vec![format!(
                "[new] aveloxis collect failed (exit status: 1); last output:\n{}",
                output.join("\n")
            )],
        })
        .collect();
    Report {
        released_tag: "v1".into(),
        released_commit: "0123456789abcdef".into(),
        released_db: "r".into(),
        new_db: "n".into(),
        repos: (0..20)
            .map(|i| format!("https://github.com/org/repo-{i}"))
            .collect(),
        forge: "mock".into(),
        schemas: vec!["aveloxis_data".into()],
        generated: String::new(),
        checks,
        tables: (0..TABLES).map(failing_table).collect(),
        phases: Vec::new(),
        notes: (0..100)
            .map(|i| format!("note {i} {}", "z".repeat(400)))
            .collect(),
        row_level: Some(row_level()),
        upgraded: None,
        days: 1,
        sides: Vec::new(),
    }
}

#[test]
fn report_md_stays_well_under_a_pr_comment_with_everything_failing() {
    let r = worst_case();
    let md = markdown(&r);
    let json = serde_json::to_string(&r).unwrap();
    eprintln!(
        "worst case: report.md {} characters, report.json {}",
        md.len(),
        json.len()
    );
    assert!(
        md.len() < budget::TOTAL,
        "report.md is {} characters",
        md.len()
    );
    assert!(md.len() < 65_536 - 5_000, "{}", md.len());
    // The root cause comes first, before any table finding.
    let root = md.find("## Root cause").expect("root cause section");
    assert!(root < md.find("## FAIL").unwrap());
    assert!(md.contains("check 0 completes"), "{}", &md[..2000]);
    // A table empty on one side says so once.
    assert!(md.contains("empty on new (100000 row(s) on released)"));
    assert!(!md.contains("a_table_with_a_long_name_number_0 | 100000 | 0 | -100000 | column"));
    // Cut sections point to the full detail.
    assert!(md.contains("full detail in `report.json`"));
    assert!(md.contains("more finding(s)"));
    // … which keeps every finding.
    assert!(json.len() > 2_000_000, "{}", json.len());
    assert!(json.contains("a_rather_long_column_name_89 went dark"));
}
