//! The one verdict model of every command, its escaping, and the only mapping to exit codes.
//!
//! Every finding of the harness is a [`Verdict`]: PASS, FLAG (worth a look, not a failure) or
//! FAIL. A command ends with the worst verdict it found, or with an error when it could not
//! compare at all; [`exit_code`] turns that into the contract with CI: **0** PASS (FLAGs
//! allowed), **1** a FAIL was found, **2** the harness could not run.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    #[default]
    Pass,
    Flag,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Flag => "FLAG",
            Verdict::Fail => "FAIL",
        }
    }

    /// The worst of `verdicts` (PASS when there are none).
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Pass)
    }
}

/// A named check with its findings.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub verdict: Verdict,
    pub details: Vec<String>,
}

impl Check {
    /// PASS when there are no findings, else FAIL with them.
    pub fn fail_on(name: impl Into<String>, details: Vec<String>) -> Check {
        Check {
            name: name.into(),
            verdict: if details.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            details,
        }
    }

    /// A FAIL with one finding.
    pub fn fail(name: impl Into<String>, detail: String) -> Check {
        Check {
            name: name.into(),
            verdict: Verdict::Fail,
            details: vec![detail],
        }
    }
}

/// How many of `verdicts` are `v`.
pub fn count(verdicts: impl IntoIterator<Item = Verdict>, v: Verdict) -> usize {
    verdicts.into_iter().filter(|x| *x == v).count()
}

/// The exit code of a command: 0 PASS or FLAG, 1 FAIL, 2 when it could not run (`Err`, whose
/// message is printed with the command's name).
pub fn exit_code(command: &str, outcome: anyhow::Result<Verdict>) -> u8 {
    match outcome {
        Ok(Verdict::Fail) => 1,
        Ok(Verdict::Pass | Verdict::Flag) => 0,
        Err(e) => {
            crate::progress::end("stopped");
            crate::progress::line(&format!("harness: {command} could not run: {e:#}"));
            2
        }
    }
}

/// Escape text for markdown (a table cell or a line of prose).
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text as a markdown code span: escapes do not work inside one, so a backtick becomes `'` and
/// a line break `⏎`.
pub fn md_code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'").replace(['\n', '\r'], "⏎"))
}

/// Escape text for XML attributes and content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// What output may show of a URL: everything but the credentials (`scheme://***@host…`).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

/// `**Verdict: PASS**` or `**Verdict: FAIL**` (FLAGs pass).
pub fn verdict_line(v: Verdict) -> String {
    let shown = if v == Verdict::Fail { "FAIL" } else { "PASS" };
    format!("**Verdict: {shown}**")
}

/// Findings of the FAIL checks, one section each, at most `limit` lines per check.
pub fn failed_sections(checks: &[Check], limit: usize) -> String {
    let mut s = String::new();
    for c in checks.iter().filter(|c| c.verdict == Verdict::Fail) {
        let _ = writeln!(s, "\n## FAIL: {}\n", md_escape(&c.name));
        for d in c.details.iter().take(limit) {
            let _ = writeln!(s, "- {}", md_code(d));
        }
        if c.details.len() > limit {
            let _ = writeln!(s, "- … and {} more", c.details.len() - limit);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_xml_are_escaped() {
        assert_eq!(md_escape("a|b_c*<x>\n`d`"), "a\\|b\\_c\\*&lt;x&gt; \\`d\\`");
        assert_eq!(xml_escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn verdicts_map_onto_the_three_exit_codes() {
        assert_eq!(md_code("a`b\nc"), "`a'b⏎c`");
        assert_eq!(exit_code("t", Ok(Verdict::Pass)), 0);
        assert_eq!(exit_code("t", Ok(Verdict::Flag)), 0);
        assert_eq!(exit_code("t", Ok(Verdict::Fail)), 1);
        assert_eq!(exit_code("t", Err(anyhow::anyhow!("no"))), 2);
        assert_eq!(
            Verdict::worst([Verdict::Flag, Verdict::Pass]),
            Verdict::Flag
        );
        assert!(!redact("postgres://u:pw@h:1").contains("pw"));
    }
}
