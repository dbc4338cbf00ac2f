//! The user pool: the owning organisation, two bots and generated people
//! (names, public and commit emails, companies, places), and the skewed
//! picks that make a few people do most of the work.

use super::{DAY, OWNER, T0};
use crate::model::{User, UserKind};
use crate::rng::Rng;

/// Index of the first ordinary (non-org, non-bot) user.
pub(super) const FIRST_PERSON: usize = 3;

const FIRST: &[&str] = &[
    "ada", "brook", "cyrus", "dana", "emil", "fatima", "gus", "hana", "ivan", "jun", "kofi",
    "lena", "mateo", "nia", "omar", "priya", "quinn", "rosa", "sven", "tara", "uma", "viktor",
    "wen", "ximena", "yusuf", "zoe",
];
const LAST: &[&str] = &[
    "abbott", "bianchi", "chen", "diallo", "eriksen", "fischer", "garcia", "haddad", "ito",
    "jansen", "kowalski", "larsen", "moreau", "nakamura", "okafor", "petrov", "quispe", "rossi",
    "silva", "tanaka", "urban", "vargas", "weber", "xu", "yilmaz", "zhang",
];
const COMPANIES: &[&str] = &[
    "@chaoss",
    "University of Missouri",
    "Red Hat",
    "Microsoft",
    "VMware",
    "Acme Corp",
];
const PLACES: &[&str] = &[
    "Columbia, MO",
    "Berlin",
    "Nairobi",
    "São Paulo",
    "Pune",
    "Toronto",
    "Lyon",
];
/// Mail domains of generated people (and of contractors' commit emails).
pub(super) const DOMAINS: &[&str] = &[
    "mail.example.org",
    "corp.example.com",
    "dept.example.edu",
    "lab.example.net",
];

/// GitHub's bots and their account ids.
const BOTS: [(&str, u64); 2] = [
    ("dependabot[bot]", 49_699_333),
    ("github-actions[bot]", 41_898_282),
];

/// The pool: the organisation (index 0), two bots (1 and 2), then `n` people.
pub(super) fn gen_users(rng: &mut Rng, n: usize) -> Vec<User> {
    let mut users = vec![User {
        id: 5_000_000 + rng.range(0, 999),
        login: OWNER.to_string(),
        name: "Mock Organisation".to_string(),
        email: None,
        commit_email: format!("{OWNER}@example.org"),
        company: None,
        location: None,
        created_at: T0 - 400 * DAY,
        kind: UserKind::Organization,
    }];
    let mut id = 10_000 + rng.range(0, 99);
    // The bots have their real ids: a noreply address names its account's id.
    for (bot, bot_id) in BOTS {
        id += rng.range(1, 50_000);
        users.push(User {
            id: bot_id,
            login: bot.to_string(),
            name: bot.trim_end_matches("[bot]").to_string(),
            email: None,
            commit_email: format!("{bot_id}+{bot}@users.noreply.github.com"),
            company: None,
            location: None,
            created_at: T0 - 300 * DAY,
            kind: UserKind::Bot,
        });
    }
    for i in 0..n {
        id += rng.range(1, 50_000);
        if BOTS.iter().any(|(_, b)| *b == id) {
            id += 1;
        }
        let first = rng.pick(FIRST);
        let last = rng.pick(LAST);
        let login = format!("{first}-{last}{i}");
        let public = rng.chance(0.3);
        let email = format!("{first}.{last}{i}@{}", rng.pick(DOMAINS));
        // Real-world shapes: GitHub's noreply address in its current (`id+login@`) and its
        // older (`login@`) form, or a personal address (not always the public one).
        let commit_email = if rng.chance(0.35) {
            format!("{id}+{login}@users.noreply.github.com")
        } else if i % 5 == 4 {
            format!("{login}@users.noreply.github.com")
        } else {
            email.clone()
        };
        users.push(User {
            id,
            name: format!(
                "{}{} {}{}",
                &first[..1].to_uppercase(),
                &first[1..],
                &last[..1].to_uppercase(),
                &last[1..]
            ),
            email: public.then_some(email),
            commit_email,
            company: rng.chance(0.5).then(|| rng.pick(COMPANIES).to_string()),
            location: rng.chance(0.6).then(|| rng.pick(PLACES).to_string()),
            created_at: T0 - rng.range(10, 3000) as i64 * DAY,
            login,
            kind: UserKind::User,
        });
    }
    users
}

/// Picks a user index, skewed towards the low end of `lo..hi` (a few people
/// do most of the work, as in real projects).
pub(super) fn skewed(rng: &mut Rng, lo: usize, hi: usize) -> usize {
    let n = hi - lo;
    let a = rng.index(n);
    let b = rng.index(n);
    lo + a.min(b)
}

/// Up to `count` distinct skewed picks from `lo..hi` (never `avoid`), sorted.
pub(super) fn distinct(
    rng: &mut Rng,
    count: usize,
    lo: usize,
    hi: usize,
    avoid: Option<usize>,
) -> Vec<usize> {
    let mut out = Vec::new();
    if hi <= lo {
        return out;
    }
    let mut tries = 0;
    while out.len() < count && tries < count * 8 {
        tries += 1;
        let v = skewed(rng, lo, hi);
        if Some(v) != avoid && !out.contains(&v) {
            out.push(v);
        }
    }
    out.sort_unstable();
    out
}
