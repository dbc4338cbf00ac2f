//! Response bodies and headers read at the forge boundary: JSON sanitised on the way in, and
//! `Retry-After` in either of its forms.

use serde_json::Value;

/// A `Retry-After` value in seconds from now: delay-seconds, or an HTTP date (RFC 9110's
/// IMF-fixdate, `Wed, 21 Oct 2015 07:28:00 GMT`; a date in the past is 0).
pub fn retry_after_secs(v: &str) -> Option<u64> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs);
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    Some(secs.max(0) as u64)
}

/// Parse a body as JSON, sanitising at the boundary: invalid UTF-8 is replaced (lossily) and
/// NUL characters, which PostgreSQL text cannot hold, are removed from every string.
pub fn parse_json(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut v: Value = match std::str::from_utf8(bytes) {
        Ok(s) => serde_json::from_str(s)?,
        Err(_) => serde_json::from_str(&String::from_utf8_lossy(bytes))?,
    };
    strip_nul(&mut v);
    Ok(v)
}

fn strip_nul(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('\0') => s.retain(|c| c != '\0'),
        Value::Array(a) => a.iter_mut().for_each(strip_nul),
        Value::Object(o) => o.values_mut().for_each(strip_nul),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_sanitised() {
        let v = parse_json(b"{\"a\": \"x\\u0000y\", \"b\": [\"\\u0000\"]}").unwrap();
        assert_eq!(v, serde_json::json!({"a": "xy", "b": [""]}));
        let mut raw = b"{\"a\": \"caf".to_vec();
        raw.extend([0xff, b'"', b'}']);
        let v = parse_json(&raw).unwrap();
        assert_eq!(v["a"], "caf\u{fffd}");
        assert!(parse_json(b"{\"a\": ").is_err());
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_an_http_date() {
        assert_eq!(retry_after_secs(" 7 "), Some(7));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let secs = retry_after_secs(&soon).unwrap();
        assert!((28..=30).contains(&secs), "{soon}: {secs}");
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:28:00 GMT"), Some(0));
        assert_eq!(retry_after_secs("soon"), None);
    }
}
