//! The days of a forge whose world moves: one [`Forge`] per day, the day every caller sees
//! (the global day), and days pinned to API keys, so two clients of one URL can see two
//! days at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use super::Forge;

/// Every day of one forge and who sees which.
pub struct Days {
    forges: Vec<Arc<Forge>>,
    global: AtomicUsize,
    pinned: RwLock<HashMap<String, usize>>,
}

impl Days {
    /// `forges` (day 0 first; at least one), serving day `day` to every caller.
    pub fn new(forges: Vec<Forge>, day: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(!forges.is_empty(), "a forge has at least day 0");
        let days = Self {
            forges: forges.into_iter().map(Arc::new).collect(),
            global: AtomicUsize::new(0),
            pinned: RwLock::new(HashMap::new()),
        };
        days.set_global(day)?;
        Ok(days)
    }

    /// How many days the world has (day 0 included).
    pub fn count(&self) -> usize {
        self.forges.len()
    }

    /// The day of every caller whose key is not pinned.
    pub fn global(&self) -> usize {
        self.global.load(Ordering::SeqCst)
    }

    fn check(&self, day: usize) -> anyhow::Result<()> {
        anyhow::ensure!(
            day < self.count(),
            "day {day} does not exist: the world has days 0..={}",
            self.count() - 1
        );
        Ok(())
    }

    /// Moves every caller whose key is not pinned to `day`.
    pub fn set_global(&self, day: usize) -> anyhow::Result<()> {
        self.check(day)?;
        self.global.store(day, Ordering::SeqCst);
        Ok(())
    }

    /// Pins the callers presenting `key` (an API key, also as the password of a git clone)
    /// to `day`, whatever the global day.
    pub fn pin(&self, key: &str, day: usize) -> anyhow::Result<()> {
        self.check(day)?;
        self.pinned
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string(), day);
        Ok(())
    }

    /// The day a caller presenting `key` (`None`: anonymous) sees.
    pub fn day_of(&self, key: Option<&str>) -> usize {
        key.and_then(|k| {
            self.pinned
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(k)
                .copied()
        })
        .unwrap_or_else(|| self.global())
    }

    /// The forge a caller presenting `key` sees.
    pub fn forge_for(&self, key: Option<&str>) -> &Arc<Forge> {
        &self.forges[self.day_of(key)]
    }

    /// The forge of `day`.
    pub fn on(&self, day: usize) -> Option<&Arc<Forge>> {
        self.forges.get(day)
    }

    /// The forge of the global day.
    pub fn current(&self) -> &Arc<Forge> {
        &self.forges[self.global()]
    }
}
