//! Commit dates as git prints them (`%aI`: strict ISO 8601 in the author's offset), turned into
//! what the commit tables hold: the local date as text (`cmt_author_date`, as Augur keeps it) and
//! the instant in UTC (`cmt_author_timestamp`).
//!
//! git stores a date as seconds and an offset of any four digits, so a commit can carry an offset
//! no clock has (`+9959`: 99 hours 59 minutes) and `git clone` takes it without complaint;
//! PostgreSQL refuses such an offset. The instant is still exact (local time minus offset), so
//! the commit is written with its UTC timestamp and — the local date of an impossible offset
//! meaning nothing — its UTC date, and the repair is noted ([`GitDate::note`]).

use chrono::{Duration, NaiveDateTime};

/// Offsets real time zones use: UTC−12:00 to UTC+14:00 (anything within ±14:00 is accepted).
const MAX_OFFSET_MINUTES: i64 = 14 * 60;

/// One commit date, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct GitDate {
    /// `YYYY-MM-DD` (local to the commit's offset; UTC when the offset is impossible), or `""`.
    pub(super) date: String,
    /// The instant in UTC (`YYYY-MM-DDTHH:MM:SSZ`), or `None` when git's text is not a date.
    pub(super) utc: Option<String>,
    /// Why the date was not stored as git gave it, if it was not.
    pub(super) note: Option<String>,
}

/// Minutes east of UTC of an ISO-8601 offset (`Z`, `+HH:MM`, `-HH:MM`, `+HHMM`).
fn offset_minutes(s: &str) -> Option<i64> {
    if s == "Z" {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    Some(sign * (h * 60 + m))
}

impl GitDate {
    /// Parse `iso` (git's `%aI`); never fails: what cannot be read is stored empty and noted.
    pub(super) fn parse(iso: &str) -> GitDate {
        let unreadable = |why: &str| GitDate {
            date: String::new(),
            utc: None,
            note: Some(format!("{iso:?} {why}; stored without a date")),
        };
        if iso.is_empty() {
            return GitDate {
                date: String::new(),
                utc: None,
                note: None,
            };
        }
        let (Some(local), Some(offset)) = (iso.get(..19), iso.get(19..)) else {
            return unreadable("is not an ISO-8601 date");
        };
        let Ok(local) = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S") else {
            return unreadable("is not an ISO-8601 date");
        };
        let Some(minutes) = offset_minutes(offset) else {
            return unreadable("has no readable time-zone offset");
        };
        if local.date().format("%Y").to_string() == "0000" {
            return unreadable("is in year 0");
        }
        let Some(utc) = local.checked_sub_signed(Duration::minutes(minutes)) else {
            return unreadable("is out of range");
        };
        let utc_text = utc.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        if minutes.abs() > MAX_OFFSET_MINUTES {
            return GitDate {
                date: utc.format("%Y-%m-%d").to_string(),
                note: Some(format!(
                    "{iso}: time-zone offset {offset} is out of range; stored in UTC as {utc_text}"
                )),
                utc: Some(utc_text),
            };
        }
        GitDate {
            date: iso[..10].to_string(),
            utc: Some(utc_text),
            note: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_stored_in_utc_and_impossible_offsets_are_noted() {
        let d = GitDate::parse("2023-11-14T23:13:20+01:00");
        assert_eq!(d.date, "2023-11-14");
        assert_eq!(d.utc.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(d.note, None);
        assert_eq!(
            GitDate::parse("2023-11-14T22:13:20Z").utc.as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        // The local date is the author's, even when UTC is another day.
        let d = GitDate::parse("2023-11-15T01:00:00+05:30");
        assert_eq!(
            (d.date.as_str(), d.utc.as_deref()),
            ("2023-11-15", Some("2023-11-14T19:30:00Z"))
        );
        // git's own rendering of `1700000000 +9959`.
        let d = GitDate::parse("2023-11-19T02:12:20+99:59");
        assert_eq!(d.date, "2023-11-14");
        assert_eq!(d.utc.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert!(d.note.unwrap().contains("+99:59"));
        let d = GitDate::parse("2023-13-40T00:00:00+00:00");
        assert_eq!((d.date.as_str(), d.utc), ("", None));
        assert!(d.note.is_some());
        assert_eq!(GitDate::parse("").note, None);
    }
}
