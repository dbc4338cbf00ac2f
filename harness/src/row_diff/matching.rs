//! Pairing the rows of both sides by key, and one table's verdict with its examples.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use anyhow::Result;
use sqlx::PgConnection;

use super::query::{Details, TableQuery, read_buckets, read_details, read_hashes};
use super::{
    Category, ColumnCount, ContentCategory, ContentExample, EXAMPLE_CHARS, Key, TableDiff,
    ValueDiff,
};
use crate::report::Verdict;

fn clip(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| {
        if s.chars().count() > EXAMPLE_CHARS {
            let mut t: String = s.chars().take(EXAMPLE_CHARS).collect();
            t.push('…');
            t
        } else {
            s.clone()
        }
    })
}

/// Rows whose keys are looked up to choose examples from (the smallest key hashes: a
/// deterministic sample when a category is large).
const EXAMPLE_POOL: usize = 1000;

fn example_pool(keys: &[(&i64, usize)]) -> Vec<i64> {
    let mut v: Vec<i64> = keys.iter().map(|(k, _)| **k).collect();
    v.sort_unstable();
    v.truncate(EXAMPLE_POOL);
    v
}

/// Up to `n` example keys, in key order (NULLs first, then text order).
fn examples_of(pool: &[i64], details: &Details, n: usize) -> Vec<Key> {
    let mut keys: Vec<Key> = pool
        .iter()
        .filter_map(|kh| details.get(kh).map(|(k, _)| k.clone()))
        .collect();
    keys.sort();
    keys.truncate(n);
    keys
}

/// How the rows of two sides pair up by key.
#[derive(Debug)]
struct Matched<'a, K> {
    /// Keys with rows on released absent on new, and how many rows.
    missing: Vec<(&'a K, usize)>,
    /// Keys with rows only on new, and how many rows.
    extra: Vec<(&'a K, usize)>,
    /// Keys on both sides whose content differs.
    drifted: Vec<&'a K>,
    duplicate_keys: usize,
    /// Missing/extra row pairs with equal content (a key generated at insert time).
    rematched: usize,
}

/// Pair the rows of both sides by key. With `rematch`, rows missing on new and rows only on new
/// that carry the same content hash are taken for the same row under a different generated key.
fn match_rows<'a, K: Hash + Eq>(
    released: &'a HashMap<K, Vec<i64>>,
    new: &'a HashMap<K, Vec<i64>>,
    rematch: bool,
) -> Matched<'a, K> {
    let mut m = Matched {
        missing: Vec::new(),
        extra: Vec::new(),
        drifted: Vec::new(),
        duplicate_keys: 0,
        rematched: 0,
    };
    let mut lone_r: Vec<(&K, i64)> = Vec::new();
    let mut lone_n: Vec<(&K, i64)> = Vec::new();
    for (k, rh) in released {
        match new.get(k) {
            None => lone_r.extend(rh.iter().map(|h| (k, *h))),
            Some(nh) => {
                if rh.len() > 1 || nh.len() > 1 {
                    m.duplicate_keys += 1;
                }
                if rh.len() > nh.len() {
                    m.missing.push((k, rh.len() - nh.len()));
                } else if nh.len() > rh.len() {
                    m.extra.push((k, nh.len() - rh.len()));
                } else if rh.len() == 1 {
                    if rh[0] != nh[0] {
                        m.drifted.push(k);
                    }
                } else {
                    let (mut a, mut b) = (rh.clone(), nh.clone());
                    a.sort_unstable();
                    b.sort_unstable();
                    if a != b {
                        m.drifted.push(k);
                    }
                }
            }
        }
    }
    for (k, nh) in new {
        if !released.contains_key(k) {
            lone_n.extend(nh.iter().map(|h| (k, *h)));
        }
    }
    if rematch && !lone_r.is_empty() && !lone_n.is_empty() {
        let mut by_hash: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, (_, h)) in lone_n.iter().enumerate() {
            by_hash.entry(*h).or_default().push(i);
        }
        let mut taken = vec![false; lone_n.len()];
        lone_r.retain(|(_, h)| match by_hash.get_mut(h).and_then(Vec::pop) {
            Some(i) => {
                taken[i] = true;
                m.rematched += 1;
                false
            }
            None => true,
        });
        let mut i = 0;
        lone_n.retain(|_| {
            i += 1;
            !taken[i - 1]
        });
    }
    let group = |rows: Vec<(&'a K, i64)>, into: &mut Vec<(&'a K, usize)>| {
        let mut counts: HashMap<&'a K, usize> = HashMap::new();
        for (k, _) in rows {
            *counts.entry(k).or_default() += 1;
        }
        into.extend(counts);
    };
    group(lone_r, &mut m.missing);
    group(lone_n, &mut m.extra);
    m
}

/// Compare one table of both sides (`rows_read` counts the rows both sides hold).
pub(super) async fn compare_table(
    released: &mut PgConnection,
    new: &mut PgConnection,
    q: &TableQuery,
    repo: Option<&str>,
    examples: usize,
    rows_read: &mut usize,
) -> Result<TableDiff> {
    let (rb, nb) = tokio::try_join!(read_buckets(released, q, repo), read_buckets(new, q, repo))?;
    let rn: usize = rb.values().map(|(n, _)| *n as usize).sum();
    let nn: usize = nb.values().map(|(n, _)| *n as usize).sum();
    *rows_read += rn + nn;
    let mut differing: Vec<i64> = rb
        .iter()
        .filter(|(b, v)| nb.get(*b) != Some(*v))
        .map(|(b, _)| *b)
        .chain(nb.keys().filter(|b| !rb.contains_key(*b)).copied())
        .collect();
    differing.sort_unstable();
    let (rside, nside) = tokio::try_join!(
        read_hashes(released, q, repo, &differing),
        read_hashes(new, q, repo, &differing)
    )?;
    let m = match_rows(&rside, &nside, q.rematch());

    // The key values (and, for drifted rows, the comparable values) of the rows that differ.
    let missing_pool = example_pool(&m.missing);
    let extra_pool = example_pool(&m.extra);
    let drifted: Vec<i64> = m.drifted.iter().map(|k| **k).collect();
    let r_wanted: Vec<i64> = missing_pool.iter().chain(&drifted).copied().collect();
    let n_wanted: Vec<i64> = extra_pool.iter().chain(&drifted).copied().collect();
    let (rd, nd) = tokio::try_join!(
        read_details(released, q, repo, &r_wanted),
        read_details(new, q, repo, &n_wanted)
    )?;
    let fail_missing = Category {
        rows: m.missing.iter().map(|(_, n)| n).sum(),
        examples: examples_of(&missing_pool, &rd, examples),
    };
    let flag_extra = Category {
        rows: m.extra.iter().map(|(_, n)| n).sum(),
        examples: examples_of(&extra_pool, &nd, examples),
    };
    let fail_content = content_category(q, &drifted, &rd, &nd, examples);
    let verdict = if fail_missing.rows > 0 || fail_content.rows > 0 {
        Verdict::Fail
    } else if flag_extra.rows > 0 {
        Verdict::Flag
    } else {
        Verdict::Pass
    };
    Ok(TableDiff {
        table: q.table.clone(),
        verdict,
        key_columns: q.plan.labels(),
        key_index: q.plan.index.clone(),
        compared_columns: q.content.clone(),
        released_rows: rn,
        new_rows: nn,
        fail_missing,
        fail_content,
        flag_extra,
        notes: notes(&m),
    })
}

fn notes<K>(m: &Matched<'_, K>) -> Vec<String> {
    let mut notes = Vec::new();
    if m.duplicate_keys > 0 {
        notes.push(format!(
            "{} key(s) match more than one row (NULL in the key or an unresolved parent); \
             compared as multisets",
            m.duplicate_keys
        ));
    }
    if m.rematched > 0 {
        notes.push(format!(
            "{} row(s) whose key is generated at insert time differ only in that key; \
             matched by content",
            m.rematched
        ));
    }
    notes
}

/// The rows with the same key and different content: which columns differ, in how many rows,
/// and the first `examples` of them in key order.
fn content_category(
    q: &TableQuery,
    drifted: &[i64],
    rd: &Details,
    nd: &Details,
    examples: usize,
) -> ContentCategory {
    let mut per_column: BTreeMap<String, usize> = BTreeMap::new();
    let mut found: Vec<(&Key, Vec<ValueDiff>)> = Vec::new();
    for kh in drifted {
        let (Some((key, a)), Some((_, b))) = (rd.get(kh), nd.get(kh)) else {
            continue;
        };
        let diffs: Vec<ValueDiff> = q
            .content
            .iter()
            .enumerate()
            .filter(|(i, _)| a.get(*i) != b.get(*i))
            .map(|(i, c)| ValueDiff {
                column: c.clone(),
                released: clip(&a[i]),
                new: clip(&b[i]),
            })
            .collect();
        for d in &diffs {
            *per_column.entry(d.column.clone()).or_default() += 1;
        }
        if !diffs.is_empty() {
            found.push((key, diffs));
        }
    }
    found.sort_by(|a, b| a.0.cmp(b.0));
    ContentCategory {
        rows: drifted.len(),
        columns: per_column
            .into_iter()
            .map(|(column, rows)| ColumnCount { column, rows })
            .collect(),
        examples: found
            .into_iter()
            .take(examples)
            .map(|(k, differences)| ContentExample {
                key: k.clone(),
                differences,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(rows: &[(&str, i64)]) -> HashMap<Key, Vec<i64>> {
        let mut s = HashMap::new();
        for (k, h) in rows {
            s.entry(vec![Some(k.to_string())])
                .or_insert_with(Vec::new)
                .push(*h);
        }
        s
    }

    #[test]
    fn rows_pair_by_key_into_missing_changed_and_extra() {
        let r = side(&[("a", 1), ("b", 2), ("c", 3)]);
        let n = side(&[("a", 1), ("b", 9), ("d", 4)]);
        let m = match_rows(&r, &n, false);
        let key = |s: &str| vec![Some(s.to_string())];
        assert_eq!(m.missing, vec![(&key("c"), 1)]);
        assert_eq!(m.extra, vec![(&key("d"), 1)]);
        assert_eq!(m.drifted, vec![&key("b")]);
        assert_eq!(m.rematched, 0);
    }

    #[test]
    fn generated_keys_are_paired_by_content() {
        // Same content under different random ids: one pair matches, the rest stays.
        let r = side(&[("id-1", 10), ("id-2", 20)]);
        let n = side(&[("id-7", 10), ("id-8", 30)]);
        let m = match_rows(&r, &n, true);
        assert_eq!(m.rematched, 1);
        assert_eq!(m.missing.len(), 1);
        assert_eq!(m.missing[0].0[0].as_deref(), Some("id-2"));
        assert_eq!(m.extra[0].0[0].as_deref(), Some("id-8"));
        let m = match_rows(&r, &n, false);
        assert_eq!((m.missing.len(), m.extra.len(), m.rematched), (2, 2, 0));
    }

    #[test]
    fn duplicate_keys_compare_as_multisets() {
        let r = side(&[("k", 1), ("k", 2)]);
        let n = side(&[("k", 2), ("k", 1)]);
        let m = match_rows(&r, &n, false);
        assert!(m.missing.is_empty() && m.extra.is_empty() && m.drifted.is_empty());
        assert_eq!(m.duplicate_keys, 1);
        let n = side(&[("k", 2)]);
        let m = match_rows(&r, &n, false);
        assert_eq!(m.missing[0].1, 1);
    }
}
