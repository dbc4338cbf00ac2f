//! Timestamps: everything is stored as Unix seconds and printed the way
//! GitHub and GitLab print them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// `2019-05-01T12:00:00Z` (GitHub style).
pub fn iso(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `2019-05-01T12:00:00.000Z` (GitLab style).
pub fn iso_millis(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `2019-05-01` (date only).
pub fn date(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// Parses the timestamp forms clients send in `since`/`updated_after`:
/// RFC 3339, a naive `YYYY-MM-DDTHH:MM:SS` (taken as UTC), or a bare date.
pub fn parse(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc().timestamp());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp());
    }
    None
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(iso(1_483_228_800), "2017-01-01T00:00:00Z");
        assert_eq!(parse("2017-01-01T00:00:00Z"), Some(1_483_228_800));
        assert_eq!(parse("2017-01-01T01:00:00+01:00"), Some(1_483_228_800));
        assert_eq!(parse("2017-01-01"), Some(1_483_228_800));
        assert_eq!(parse("yesterday"), None);
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
    }
}
