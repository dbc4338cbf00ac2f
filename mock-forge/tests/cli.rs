//! The `mock-forge` binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::get;

const BIN: &str = env!("CARGO_BIN_EXE_mock-forge");

#[test]
fn generate_then_serve_then_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("scn");
    let g = Command::new(BIN)
        .args(["generate", "--preset", "tiny", "--seed", "4", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));
    assert!(String::from_utf8_lossy(&g.stdout).contains("mock-org/tiny:"));
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("ground-truth.json")).unwrap()).unwrap();

    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--print-url", "--scenario"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let all = crate::support::github_all(
        &format!("{base}/repos/mock-org/tiny/issues?state=all&per_page=100"),
        "mock-token-0",
    );
    assert_eq!(
        all.len() as u64,
        truth["repos"]["mock-org/tiny"]["issues_listing"]
            .as_u64()
            .unwrap()
    );
    assert_eq!(
        get(&format!("{base}/repos/mock-org/tiny"), Some("bad")).status,
        401
    );

    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM, got {status:?}");
}

#[test]
fn serve_rejects_a_missing_scenario() {
    let out = Command::new(BIN)
        .args(["serve", "--scenario", "/nonexistent/scenario.yaml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error:"));
}
