//! The API key pool: round-robin, rate-limit aware, tokens never printed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use sqlx::PgConnection;

use super::Platform;
use crate::config::Secret;

/// One key as loaded from `worker_oauth`.
#[derive(Clone, Debug)]
pub struct ApiKey {
    /// `oauth_id` (negative for keys read from Augur's table, to keep the two apart in logs).
    pub id: i64,
    pub token: Secret,
}

#[derive(Debug)]
struct KeyState {
    key: ApiKey,
    remaining: Option<i64>,
    reset_at: Option<SystemTime>,
    invalid: bool,
}

/// What [`KeyPool::acquire`] hands out.
pub enum Acquire {
    Key(usize, Secret),
    /// Every valid key is at its floor; the earliest reset.
    WaitUntil(SystemTime),
    /// No valid key at all.
    None,
}

/// Public view of a key's health (for the dashboard and metrics; no token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHealth {
    pub id: i64,
    pub remaining: Option<i64>,
    pub invalid: bool,
}

pub struct KeyPool {
    platform: Platform,
    states: Mutex<Vec<KeyState>>,
    cursor: AtomicUsize,
    /// Keys with `remaining <= floor` are skipped while their window lasts.
    floor: i64,
}

impl std::fmt::Debug for KeyPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPool")
            .field("platform", &self.platform)
            .field("keys", &self.health())
            .finish()
    }
}

fn parse_reset(h: &HeaderMap) -> Option<SystemTime> {
    let v = h
        .get("x-ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(v))
}

fn parse_remaining(h: &HeaderMap) -> Option<i64> {
    h.get("x-ratelimit-remaining")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What a database without Augur's or CollectOSS's key table is told.
pub const NO_AUGUR_KEYS: &str = "this database has neither augur_operations.worker_oauth (Augur) nor operations.worker_oauth \
     (CollectOSS)";

/// The schema of Augur's key table: `augur_operations` (Augur; CollectOSS before its schema
/// rename) or `operations` (CollectOSS after it), found by probing; `None` when neither has one.
pub async fn augur_ops_schema(conn: &mut PgConnection) -> sqlx::Result<Option<&'static str>> {
    for schema in ["augur_operations", "operations"] {
        let found: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(format!("{schema}.worker_oauth"))
            .fetch_one(&mut *conn)
            .await?;
        if found {
            return Ok(Some(schema));
        }
    }
    Ok(None)
}

impl KeyPool {
    pub fn new(platform: Platform, keys: Vec<ApiKey>, floor: i64) -> KeyPool {
        KeyPool {
            platform,
            states: Mutex::new(
                keys.into_iter()
                    .map(|key| KeyState {
                        key,
                        remaining: None,
                        reset_at: None,
                        invalid: false,
                    })
                    .collect(),
            ),
            cursor: AtomicUsize::new(0),
            floor,
        }
    }

    /// Keys for `platform` from `aveloxis_ops.worker_oauth`, plus (read-only) Augur's
    /// `augur_operations.worker_oauth` (or CollectOSS's `operations.worker_oauth`) when
    /// `augur_keys` is set. Duplicates are dropped.
    pub async fn load(
        conn: &mut PgConnection,
        platform: Platform,
        augur_keys: bool,
    ) -> anyhow::Result<KeyPool> {
        let mut rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT oauth_id, access_token FROM aveloxis_ops.worker_oauth
              WHERE platform = $1 AND access_token <> '' ORDER BY oauth_id",
        )
        .bind(platform.key_name())
        .fetch_all(&mut *conn)
        .await?;
        if augur_keys {
            let schema = augur_ops_schema(conn)
                .await?
                .ok_or_else(|| anyhow::anyhow!("--augur-keys: {NO_AUGUR_KEYS}"))?;
            let augur: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT -oauth_id::bigint, access_token FROM {schema}.worker_oauth
                  WHERE coalesce(platform, 'github') = $1 AND access_token <> ''"
            )))
            .bind(platform.key_name())
            .fetch_all(&mut *conn)
            .await?;
            for (id, tok) in augur {
                if !rows.iter().any(|(_, t)| *t == tok) {
                    rows.push((id, tok));
                }
            }
        }
        Ok(KeyPool::new(
            platform,
            rows.into_iter()
                .map(|(id, t)| ApiKey {
                    id,
                    token: Secret::new(t),
                })
                .collect(),
            10,
        ))
    }

    pub fn len(&self) -> usize {
        self.states.lock().map(|s| s.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn key_id(&self, idx: usize) -> i64 {
        self.states
            .lock()
            .ok()
            .and_then(|s| s.get(idx).map(|k| k.key.id))
            .unwrap_or(0)
    }

    pub fn health(&self) -> Vec<KeyHealth> {
        self.states
            .lock()
            .map(|s| {
                s.iter()
                    .map(|k| KeyHealth {
                        id: k.key.id,
                        remaining: k.remaining,
                        invalid: k.invalid,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The next usable key, round-robin.
    pub fn acquire(&self) -> Acquire {
        self.acquire_above(self.floor)
    }

    /// The next key with more than `floor` requests left in its window (or not known to have
    /// fewer), round-robin: what a phase that must leave each key a reserve asks for.
    pub fn acquire_above(&self, floor: i64) -> Acquire {
        let floor = floor.max(self.floor);
        let Ok(mut states) = self.states.lock() else {
            return Acquire::None;
        };
        let n = states.len();
        let now = SystemTime::now();
        let mut earliest: Option<SystemTime> = None;
        let start = self.cursor.load(Ordering::Relaxed);
        for off in 0..n {
            let i = (start + off) % n;
            let k = &mut states[i];
            if k.invalid {
                continue;
            }
            let low = k.remaining.is_some_and(|r| r <= floor);
            match (low, k.reset_at) {
                (true, Some(reset)) if reset > now => {
                    earliest = Some(earliest.map_or(reset, |e| e.min(reset)));
                    continue;
                }
                (true, _) => {
                    // The window has passed (or no reset known): assume refilled.
                    k.remaining = None;
                    k.reset_at = None;
                }
                _ => {}
            }
            // The next search starts after the key just handed out: fair even with gaps.
            self.cursor.store(i + 1, Ordering::Relaxed);
            return Acquire::Key(i, k.key.token.clone());
        }
        match earliest {
            Some(at) => Acquire::WaitUntil(at),
            None => Acquire::None,
        }
    }

    /// A valid key to lend to git for one repository's clone or fetch (a clone of its id and
    /// secret; the pool keeps the key). The API's rate limits do not apply to git, so a key at its
    /// floor is lent too; the cursor is left where it is. `None` when no key is valid.
    pub fn lend(&self) -> Option<ApiKey> {
        let states = self.states.lock().ok()?;
        let n = states.len();
        let start = self.cursor.load(Ordering::Relaxed);
        (0..n)
            .map(|off| &states[(start + off) % n])
            .find(|k| !k.invalid)
            .map(|k| k.key.clone())
    }

    /// Record the rate-limit headers of a response made with key `idx`.
    pub fn observe(&self, idx: usize, h: &HeaderMap) {
        if let Ok(mut s) = self.states.lock()
            && let Some(k) = s.get_mut(idx)
        {
            if let Some(r) = parse_remaining(h) {
                k.remaining = Some(r);
            }
            if let Some(t) = parse_reset(h) {
                k.reset_at = Some(t);
            }
        }
    }

    /// The key hit its limit (403/429): unusable until its reset, or for one minute when the
    /// reset is unknown or not in the future (clock skew, a stale proxy) — never "usable again
    /// at once", which would loop on the same refusal. `true` when the forge's reset was usable.
    pub fn exhaust(&self, idx: usize, h: &HeaderMap) -> bool {
        let now = SystemTime::now();
        let reset = parse_reset(h).filter(|t| *t > now);
        if let Ok(mut s) = self.states.lock()
            && let Some(k) = s.get_mut(idx)
        {
            k.remaining = Some(0);
            k.reset_at = Some(reset.unwrap_or(now + Duration::from_secs(60)));
        }
        reset.is_some()
    }

    /// The forge rejected the key (401): never use it again in this process.
    pub fn invalidate(&self, idx: usize) {
        if let Ok(mut s) = self.states.lock()
            && let Some(k) = s.get_mut(idx)
        {
            k.invalid = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> KeyPool {
        KeyPool::new(
            Platform::GitHub,
            (0..n)
                .map(|i| ApiKey {
                    id: i as i64 + 1,
                    token: Secret::new(format!("tok{i}")),
                })
                .collect(),
            10,
        )
    }

    fn take(p: &KeyPool) -> usize {
        match p.acquire() {
            Acquire::Key(i, _) => i,
            _ => panic!("no key"),
        }
    }

    #[test]
    fn round_robin_skips_low_and_invalid_keys() {
        let p = pool(3);
        assert_eq!([take(&p), take(&p), take(&p), take(&p)], [0, 1, 2, 0]);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", "5".parse().unwrap());
        let reset = SystemTime::now() + Duration::from_secs(600);
        let secs = reset
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        h.insert("x-ratelimit-reset", secs.to_string().parse().unwrap());
        p.observe(1, &h);
        p.invalidate(2);
        for _ in 0..5 {
            assert_eq!(take(&p), 0);
        }
        p.exhaust(0, &h);
        match p.acquire() {
            Acquire::WaitUntil(t) => {
                assert_eq!(
                    t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
                    secs
                )
            }
            _ => panic!("expected a wait"),
        }
        let shown = format!("{p:?}");
        assert!(!shown.contains("tok"), "{shown}");
    }

    #[test]
    fn a_passed_reset_refills_the_key_and_no_keys_is_none() {
        let p = pool(1);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", "1".parse().unwrap());
        p.observe(0, &h);
        assert_eq!(take(&p), 0);
        p.invalidate(0);
        assert!(matches!(p.acquire(), Acquire::None));
        assert!(matches!(pool(0).acquire(), Acquire::None));
    }

    #[test]
    fn lend_gives_any_valid_key_even_one_at_its_floor() {
        let p = pool(2);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", "99999999999".parse().unwrap());
        p.exhaust(0, &h);
        p.exhaust(1, &h);
        assert!(matches!(p.acquire(), Acquire::WaitUntil(_)));
        assert_eq!(p.lend().unwrap().token.expose(), "tok0");
        p.invalidate(0);
        assert_eq!(p.lend().unwrap().id, 2);
        p.invalidate(1);
        assert!(p.lend().is_none());
        assert!(pool(0).lend().is_none());
    }
}
