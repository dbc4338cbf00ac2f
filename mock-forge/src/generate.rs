//! The seeded generator that builds a synthetic [`World`].
//!
//! Every random choice comes from [`Rng`] streams derived from the seed, so
//! the same seed yields a byte-identical world. The shapes mimic what
//! collectors meet on GitHub: pull requests share the issue number space and
//! appear in `/issues`; issue comments, review comments and reviews draw
//! their ids from overlapping ranges (GitHub reuses numbers across the three
//! kinds, which bit upstream Aveloxis); commits are real git objects.

use serde::{Deserialize, Serialize};

use crate::git::{WorkTree, commit_object, hex, object_id};
use crate::model::*;
use crate::rng::{Rng, mix};

/// Size presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// A few of everything: unit and integration tests.
    Tiny,
    /// Shaped like augurlabs/augur: thousands of issues and PRs, tens of
    /// thousands of events and comments, thousands of commits.
    Augur,
    /// Benchmarks.
    Large,
}

impl std::str::FromStr for Preset {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "tiny" => Ok(Self::Tiny),
            "augur" => Ok(Self::Augur),
            "large" => Ok(Self::Large),
            _ => anyhow::bail!("unknown preset {s:?} (expected tiny, augur or large)"),
        }
    }
}

impl Preset {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tiny => "tiny",
            Self::Augur => "augur",
            Self::Large => "large",
        }
    }

    /// Entity counts and densities for this preset.
    pub fn params(self) -> Params {
        match self {
            Self::Tiny => Params {
                users: 12,
                labels: 6,
                issues: 9,
                pulls: 7,
                commits: 30,
                comments_per_item: 2.0,
                reviews_per_pull: 1.5,
                review_comments_per_review: 1.0,
                extra_events_per_item: 1.5,
                releases: 3,
            },
            Self::Augur => Params {
                users: 350,
                labels: 30,
                issues: 1300,
                pulls: 1700,
                commits: 4200,
                comments_per_item: 4.0,
                reviews_per_pull: 1.5,
                review_comments_per_review: 1.5,
                extra_events_per_item: 5.0,
                releases: 40,
            },
            Self::Large => Params {
                users: 2000,
                labels: 60,
                issues: 8000,
                pulls: 8000,
                commits: 20000,
                comments_per_item: 5.0,
                reviews_per_pull: 2.0,
                review_comments_per_review: 2.0,
                extra_events_per_item: 6.0,
                releases: 120,
            },
        }
    }
}

/// Knobs of one generated repository.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Size of the user pool.
    pub users: usize,
    /// Repository labels.
    pub labels: usize,
    /// Plain issues.
    pub issues: usize,
    /// Pull requests.
    pub pulls: usize,
    /// Commits on `main`; should be at least `3 * pulls + 1`.
    pub commits: usize,
    /// Mean conversation comments per issue/PR.
    pub comments_per_item: f64,
    /// Mean reviews per PR.
    pub reviews_per_pull: f64,
    /// Mean review comments per review.
    pub review_comments_per_review: f64,
    /// Mean events per item beyond labeled/assigned/closed/merged.
    pub extra_events_per_item: f64,
    /// Releases.
    pub releases: usize,
}

/// Start of generated history: 2017-01-01T00:00:00Z.
pub const T0: i64 = 1_483_228_800;
/// End of commit history: 2025-06-01T00:00:00Z.
pub const T1: i64 = 1_748_736_000;
/// Nothing generated is later than this: 2025-09-01T00:00:00Z.
pub const T_END: i64 = 1_756_684_800;

/// Owner of every generated repository.
pub const OWNER: &str = "mock-org";

const DAY: i64 = 86_400;

/// Builds the world of a preset: the main repository (named after the
/// preset), a tiny `sidecar` repository, a rename (`sidecar-old` → `sidecar`),
/// a rename onto the main repository (`<main>-legacy`, the duplicate case),
/// a deleted (`deleted-repo`, 404) and a gone (`gone-repo`, 410) repository.
pub fn world(preset: Preset, seed: u64) -> World {
    let main = preset.params();
    let side = Preset::Tiny.params();
    let mut rng = Rng::derive(seed, "users");
    let users = gen_users(&mut rng, main.users.max(side.users));
    let mut ids = Ids::new(seed);
    let mut repos = vec![gen_repo(
        seed,
        "main",
        &users,
        &main,
        preset.name(),
        1,
        &mut ids,
    )];
    repos.push(gen_repo(
        seed, "sidecar", &users, &side, "sidecar", 2, &mut ids,
    ));
    let m = preset.name();
    World {
        users,
        redirects: vec![
            Redirect {
                from: format!("{OWNER}/sidecar-old"),
                to: format!("{OWNER}/sidecar"),
            },
            Redirect {
                from: format!("{OWNER}/{m}-legacy"),
                to: format!("{OWNER}/{m}"),
            },
        ],
        deleted: vec![format!("{OWNER}/deleted-repo")],
        gone: vec![format!("{OWNER}/gone-repo")],
        repos,
    }
}

/// A fleet of `count` small repositories (`fleet-00000`, …), for daemon and queue tests:
/// each has a couple of issues and a PR, a few comments and events, and a short history.
pub fn fleet(count: usize, seed: u64) -> World {
    let p = Params {
        users: 6,
        labels: 2,
        issues: 2,
        pulls: 1,
        commits: 4,
        comments_per_item: 1.0,
        reviews_per_pull: 1.0,
        review_comments_per_review: 0.5,
        extra_events_per_item: 0.5,
        releases: 1,
    };
    let mut rng = Rng::derive(seed, "users");
    let users = gen_users(&mut rng, Preset::Tiny.params().users);
    let mut ids = Ids::new(seed);
    let repos = (0..count)
        .map(|i| {
            let name = format!("fleet-{i:05}");
            gen_repo(seed, &name, &users, &p, &name, 10 + i as u64, &mut ids)
        })
        .collect();
    World {
        users,
        redirects: Vec::new(),
        deleted: Vec::new(),
        gone: Vec::new(),
        repos,
    }
}

struct Ids {
    issue: u64,
    pull: u64,
    message: u64,
    event: u64,
    label: u64,
    release: u64,
    repo: u64,
}

impl Ids {
    fn new(seed: u64) -> Self {
        let off = mix(seed) % 1000;
        Self {
            issue: 200_000_000 + off * 1000,
            pull: 90_000_000 + off * 1000,
            message: 400_000_000 + off * 10_000,
            event: 1_000_000_000 + off * 10_000,
            label: 7_000_000 + off * 100,
            release: 3_000_000 + off * 100,
            repo: 30_000_000 + off * 10,
        }
    }
}

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
const DOMAINS: &[&str] = &[
    "mail.example.org",
    "corp.example.com",
    "dept.example.edu",
    "lab.example.net",
];

fn gen_users(rng: &mut Rng, n: usize) -> Vec<User> {
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
    for (i, bot) in ["dependabot[bot]", "github-actions[bot]"]
        .iter()
        .enumerate()
    {
        id += rng.range(1, 50_000);
        users.push(User {
            id,
            login: bot.to_string(),
            name: bot.trim_end_matches("[bot]").to_string(),
            email: None,
            commit_email: format!("{}+{bot}@users.noreply.github.com", 49_699_333 + i),
            company: None,
            location: None,
            created_at: T0 - 300 * DAY,
            kind: UserKind::Bot,
        });
    }
    for i in 0..n {
        id += rng.range(1, 50_000);
        let first = rng.pick(FIRST);
        let last = rng.pick(LAST);
        let login = format!("{first}-{last}{i}");
        let public = rng.chance(0.3);
        let email = format!("{first}.{last}{i}@{}", rng.pick(DOMAINS));
        let commit_email = if rng.chance(0.35) {
            format!("{id}+{login}@users.noreply.github.com")
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
fn skewed(rng: &mut Rng, lo: usize, hi: usize) -> usize {
    let n = hi - lo;
    let a = rng.index(n);
    let b = rng.index(n);
    lo + a.min(b)
}

const PATHS: &[&str] = &[
    "README.md",
    "setup.py",
    "docs/index.md",
    "docs/usage.md",
    "src/collector/__init__.py",
    "src/collector/github.py",
    "src/collector/gitlab.py",
    "src/collector/tasks.py",
    "src/db/models.py",
    "src/db/schema.sql",
    "src/api/routes.py",
    "src/api/server.py",
    "src/util.py",
    "tests/test_github.py",
    "tests/test_models.py",
    "Makefile",
];

/// The deterministic text of line `k` added to `path` by commit `commit`.
fn line_text(commit: usize, path: &str, k: u64) -> String {
    let h = mix((commit as u64) << 20 ^ k) % 10_000;
    if path.ends_with(".md") {
        format!("Paragraph {commit}.{k}: notes about feature {h}.")
    } else if path.ends_with(".sql") {
        format!("ALTER TABLE t{h} ADD COLUMN c{commit}_{k} int;")
    } else {
        format!("    value_{commit}_{k} = compute({h})")
    }
}

/// Applies one stored [`FileChange`] of commit `commit` to `tree`; returns
/// (first changed line, removed lines, added lines). The position and the
/// text are functions of the commit index and path only, so replaying the
/// stored changes rebuilds byte-identical content.
fn apply_change(
    tree: &mut WorkTree,
    commit: usize,
    change: &FileChange,
) -> (usize, Vec<String>, Vec<String>) {
    let mut lines = tree.lines(&change.path).to_vec();
    let del = (change.deletions as usize).min(lines.len());
    let room = lines.len() - del;
    let pos = if room == 0 {
        0
    } else {
        (mix(commit as u64 ^ crate::rng::fnv1a(change.path.as_bytes())) % (room as u64 + 1))
            as usize
    };
    let removed: Vec<String> = lines.drain(pos..pos + del).collect();
    let added: Vec<String> = (0..change.additions)
        .map(|k| line_text(commit, &change.path, k))
        .collect();
    for (i, l) in added.iter().enumerate() {
        lines.insert(pos + i, l.clone());
    }
    tree.set(&change.path, lines);
    (pos, removed, added)
}

/// Replays stored changes commit by commit (used to rebuild git content).
pub struct HistoryReplay<'a> {
    repo: &'a RepoData,
}

impl<'a> HistoryReplay<'a> {
    /// Replays `repo`'s commits.
    pub fn new(repo: &'a RepoData) -> Self {
        Self { repo }
    }

    /// Applies commit `i`'s changes to `tree`; returns the changed paths.
    pub fn apply(&mut self, i: usize, tree: &mut WorkTree) -> Vec<String> {
        let c = &self.repo.commits[i];
        for ch in &c.changes {
            apply_change(tree, i, ch);
        }
        c.changes.iter().map(|ch| ch.path.clone()).collect()
    }
}

const VERBS: &[&str] = &[
    "Fix", "Add", "Refactor", "Update", "Remove", "Improve", "Document", "Speed up",
];
const THINGS: &[&str] = &[
    "issue collection",
    "PR review import",
    "contributor resolution",
    "rate limit handling",
    "GitLab pagination",
    "message upserts",
    "facade commits",
    "schema migration",
    "API server",
    "label sync",
    "release parsing",
    "clone stats",
    "worker pool",
    "docs build",
];
const WORDS: &[&str] = &[
    "the",
    "collector",
    "fails",
    "when",
    "pagination",
    "returns",
    "an",
    "empty",
    "page",
    "and",
    "retries",
    "forever",
    "we",
    "should",
    "handle",
    "this",
    "case",
    "gracefully",
    "see",
    "logs",
    "below",
    "after",
    "upgrade",
    "database",
    "rows",
    "are",
    "missing",
    "for",
    "some",
    "repos",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        let w = rng.pick(WORDS);
        if i == 0 {
            s.push_str(&w[..1].to_uppercase());
            s.push_str(&w[1..]);
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

fn paragraph(rng: &mut Rng, sentences: usize) -> String {
    let n = sentences.max(1);
    (0..n)
        .map(|_| {
            let w = rng.range(4, 12) as usize;
            sentence(rng, w)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn title(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(VERBS), rng.pick(THINGS))
}

fn distinct(rng: &mut Rng, count: usize, lo: usize, hi: usize, avoid: Option<usize>) -> Vec<usize> {
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

/// Index of the first ordinary (non-org, non-bot) user.
const FIRST_PERSON: usize = 3;

#[allow(clippy::too_many_lines)]
fn gen_repo(
    seed: u64,
    stream: &str,
    users: &[User],
    p: &Params,
    name: &str,
    project_id: u64,
    ids: &mut Ids,
) -> RepoData {
    let mut rng = Rng::derive(seed, stream);
    let people = (FIRST_PERSON, (FIRST_PERSON + p.users).min(users.len()));
    let pick_person = |rng: &mut Rng| skewed(rng, people.0, people.1);

    // Labels.
    const DEFAULT_LABELS: &[&str] = &[
        "bug",
        "enhancement",
        "documentation",
        "duplicate",
        "good first issue",
        "help wanted",
        "invalid",
        "question",
        "wontfix",
    ];
    let mut labels = Vec::new();
    for i in 0..p.labels {
        ids.label += rng.range(1, 5_000);
        let (name, default) = match DEFAULT_LABELS.get(i) {
            Some(n) => (n.to_string(), true),
            None => (
                format!("area: {}", rng.pick(THINGS).replace(' ', "-")),
                false,
            ),
        };
        let name = if labels.iter().any(|l: &Label| l.name == name) {
            format!("{name}-{i}")
        } else {
            name
        };
        labels.push(Label {
            id: ids.label,
            name,
            color: format!("{:06x}", rng.next_u64() & 0xff_ffff),
            description: sentence(&mut rng, 5),
            default,
        });
    }

    // Commits: a linear history with real SHAs.
    let mut tree = WorkTree::default();
    let mut commits: Vec<Commit> = Vec::with_capacity(p.commits);
    let slot = (T1 - T0) / (p.commits as i64 + 1);
    let contractors = (p.users / 10).max(2);
    for i in 0..p.commits {
        let time = T0 + i as i64 * slot + rng.range(0, (slot / 2).max(1) as u64) as i64;
        let (author_user, author_name, author_email) = if rng.chance(0.12) {
            let k = rng.index(contractors);
            (
                None,
                format!("Contractor {k}"),
                format!("contractor{k}@{}", DOMAINS[k % DOMAINS.len()]),
            )
        } else {
            let u = if rng.chance(0.03) {
                1
            } else {
                pick_person(&mut rng)
            };
            (
                Some(u),
                users[u].name.clone(),
                users[u].commit_email.clone(),
            )
        };
        let mut changes = Vec::new();
        if i == 0 {
            for path in PATHS {
                changes.push(FileChange {
                    path: path.to_string(),
                    status: "added".into(),
                    additions: rng.range(6, 20),
                    deletions: 0,
                    blob_sha: String::new(),
                    patch: String::new(),
                });
            }
        } else {
            let n = rng.range(1, 3) as usize;
            let mut chosen: Vec<&str> = Vec::new();
            while chosen.len() < n {
                let path = *rng.pick(PATHS);
                if !chosen.contains(&path) {
                    chosen.push(path);
                }
            }
            chosen.sort_unstable();
            for path in chosen {
                let have = tree.lines(path).len() as u64;
                let del = if have > 60 {
                    rng.range(4, 12)
                } else {
                    rng.range(0, have.min(6))
                };
                changes.push(FileChange {
                    path: path.to_string(),
                    status: "modified".into(),
                    additions: rng.range(1, 10),
                    deletions: del,
                    blob_sha: String::new(),
                    patch: String::new(),
                });
            }
        }
        for ch in &mut changes {
            let (pos, removed, added) = apply_change(&mut tree, i, ch);
            ch.additions = added.len() as u64;
            ch.deletions = removed.len() as u64;
            ch.blob_sha = hex(&object_id("blob", &tree.content(&ch.path)));
            let mut patch = format!(
                "@@ -{},{} +{},{} @@",
                pos + 1,
                removed.len(),
                pos + 1,
                added.len()
            );
            for l in &removed {
                patch.push_str("\n-");
                patch.push_str(l);
            }
            for l in &added {
                patch.push_str("\n+");
                patch.push_str(l);
            }
            ch.patch = patch;
        }
        let mut message = if i == 0 {
            "Initial commit\n".to_string()
        } else {
            format!("{} {}\n", rng.pick(VERBS), rng.pick(THINGS))
        };
        if rng.chance(0.4) {
            message.push('\n');
            message.push_str(&paragraph(&mut rng, 2));
            message.push('\n');
        }
        let tree_id = hex(&tree.tree_id());
        let parent = commits.last().map(|c| c.sha.clone());
        let obj = commit_object(
            &tree_id,
            parent.as_deref(),
            &author_name,
            &author_email,
            time,
            &message,
        );
        commits.push(Commit {
            sha: hex(&object_id("commit", obj.as_bytes())),
            tree: tree_id,
            parent,
            author_user,
            author_name,
            author_email,
            time,
            message,
            changes,
        });
    }

    // Pull requests (not yet numbered).
    struct Draft {
        issue: Issue,
        pr: bool,
    }
    let mut drafts: Vec<Draft> = Vec::new();
    let mut cursor = 1usize.min(commits.len());
    for j in 0..p.pulls {
        let want = rng.range(1, 3) as usize;
        let (first, count) = if cursor + want <= commits.len() {
            cursor += want;
            (cursor - want, want)
        } else {
            (commits.len().saturating_sub(1), 1.min(commits.len()))
        };
        let last_time = commits.get(first + count - 1).map_or(T0, |c| c.time);
        let created = (last_time + rng.range(300, 7200) as i64).min(T_END - DAY);
        let author = commits
            .get(first)
            .and_then(|c| c.author_user)
            .unwrap_or_else(|| pick_person(&mut rng));
        let roll = rng.unit();
        let (state, merged_at, closed_at) = if roll < 0.6 {
            let t = (created + rng.range(3600, 20 * DAY as u64) as i64).min(T_END);
            (State::Closed, Some(t), Some(t))
        } else if roll < 0.75 {
            let t = (created + rng.range(3600, 40 * DAY as u64) as i64).min(T_END);
            (State::Closed, None, Some(t))
        } else {
            (State::Open, None, None)
        };
        let maintainer = skewed(&mut rng, people.0, (people.0 + 5).min(people.1));
        let reviewers_n = rng.range(0, 2) as usize;
        let requested_reviewers = distinct(&mut rng, reviewers_n, people.0, people.1, Some(author));
        let label_n = rng.around(0.7).min(labels.len());
        let assignee_n = rng.range(0, 1) as usize;
        let slug = rng.pick(THINGS).replace(' ', "-");
        drafts.push(Draft {
            pr: true,
            issue: Issue {
                number: 0,
                id: 0,
                title: title(&mut rng),
                body: if rng.chance(0.1) {
                    String::new()
                } else {
                    paragraph(&mut rng, 3)
                },
                user: author,
                state,
                state_reason: None,
                labels: distinct(&mut rng, label_n, 0, labels.len(), None),
                assignees: distinct(&mut rng, assignee_n, people.0, people.1, None),
                created_at: created,
                updated_at: created,
                closed_at,
                closed_by: closed_at.map(|_| maintainer),
                locked: rng.chance(0.01),
                pull: Some(Pull {
                    id: 0,
                    merged_at,
                    merged_by: merged_at.map(|_| maintainer),
                    draft: state == State::Open && rng.chance(0.1),
                    head_ref: format!("feature/{slug}-{j}"),
                    base_ref: "main".into(),
                    first_commit: first,
                    commit_count: count,
                    requested_reviewers,
                }),
            },
        });
    }
    for _ in 0..p.issues {
        let created = T0 + DAY + rng.range(0, (T1 - T0 - DAY) as u64) as i64;
        let author = if rng.chance(0.03) {
            2
        } else {
            pick_person(&mut rng)
        };
        let closed = rng.chance(0.65);
        let closed_at =
            closed.then(|| (created + rng.range(3600, 90 * DAY as u64) as i64).min(T_END));
        let label_n = rng.around(1.0).min(labels.len());
        let assignee_n = rng.range(0, 2) as usize;
        let closer = skewed(&mut rng, people.0, (people.0 + 5).min(people.1));
        let reason = if rng.chance(0.85) {
            "completed"
        } else {
            "not_planned"
        };
        drafts.push(Draft {
            pr: false,
            issue: Issue {
                number: 0,
                id: 0,
                title: title(&mut rng),
                body: if rng.chance(0.1) {
                    String::new()
                } else {
                    paragraph(&mut rng, 4)
                },
                user: author,
                state: if closed { State::Closed } else { State::Open },
                state_reason: closed.then(|| reason.to_string()),
                labels: distinct(&mut rng, label_n, 0, labels.len(), None),
                assignees: distinct(&mut rng, assignee_n, people.0, people.1, None),
                created_at: created,
                updated_at: created,
                closed_at,
                closed_by: closed_at.map(|_| closer),
                locked: rng.chance(0.02),
                pull: None,
            },
        });
    }
    drafts.sort_by_key(|d| (d.issue.created_at, d.pr));
    let mut issues: Vec<Issue> = Vec::with_capacity(drafts.len());
    for (k, d) in drafts.into_iter().enumerate() {
        let mut is = d.issue;
        is.number = k as u64 + 1;
        ids.issue += rng.range(1, 40_000);
        is.id = ids.issue;
        if let Some(pr) = is.pull.as_mut() {
            ids.pull += rng.range(1, 30_000);
            pr.id = ids.pull;
        }
        issues.push(is);
    }

    // Conversation comments.
    let mut comments: Vec<IssueComment> = Vec::new();
    for is in &issues {
        let n = rng.around(p.comments_per_item);
        let end = is
            .closed_at
            .unwrap_or(T_END)
            .max(is.created_at + 60)
            .min(is.created_at + 45 * DAY)
            .min(T_END);
        for _ in 0..n {
            let t = is.created_at + rng.range(60, (end - is.created_at).max(61) as u64) as i64;
            let user = if rng.chance(0.3) {
                is.user
            } else if rng.chance(0.03) {
                2
            } else {
                pick_person(&mut rng)
            };
            let edited = rng.chance(0.1);
            comments.push(IssueComment {
                id: 0,
                number: is.number,
                user,
                body: paragraph(&mut rng, 2),
                created_at: t,
                updated_at: if edited {
                    (t + rng.range(60, 3 * DAY as u64) as i64).min(T_END)
                } else {
                    t
                },
            });
        }
    }
    comments.sort_by_key(|c| (c.created_at, c.number));
    let base = ids.message;
    let mut next = base;
    for c in &mut comments {
        next += rng.range(1, 3);
        c.id = next;
    }
    let mut max_message = next;

    // Reviews.
    let mut reviews: Vec<Review> = Vec::new();
    for is in issues.iter() {
        let Some(pr) = &is.pull else { continue };
        let n = rng.around(p.reviews_per_pull);
        let end = is.closed_at.unwrap_or(T_END).max(is.created_at + 120);
        for _ in 0..n {
            let user = if !pr.requested_reviewers.is_empty() && rng.chance(0.5) {
                *rng.pick(&pr.requested_reviewers)
            } else {
                pick_person(&mut rng)
            };
            let roll = rng.unit();
            let state = if roll < 0.5 {
                "APPROVED"
            } else if roll < 0.7 {
                "CHANGES_REQUESTED"
            } else {
                "COMMENTED"
            };
            reviews.push(Review {
                id: 0,
                number: is.number,
                user,
                body: if rng.chance(0.55) {
                    paragraph(&mut rng, 1)
                } else {
                    String::new()
                },
                state: state.into(),
                submitted_at: is.created_at + rng.range(60, (end - is.created_at) as u64) as i64,
                commit: pr.first_commit + rng.index(pr.commit_count.max(1)),
            });
        }
    }
    reviews.sort_by_key(|r| (r.submitted_at, r.number));
    let mut next = base;
    for r in &mut reviews {
        next += rng.range(1, 3);
        r.id = next;
    }
    max_message = max_message.max(next);

    // Review comments, attached to reviews.
    let mut rcomments: Vec<(ReviewComment, bool)> = Vec::new();
    for r in &reviews {
        let n = rng.around(p.review_comments_per_review);
        let is = &issues[(r.number - 1) as usize];
        let pr = is.pull.as_ref().expect("reviews are on pull requests");
        for _ in 0..n {
            let c = &commits[pr.first_commit + rng.index(pr.commit_count.max(1))];
            let path = rng.pick(&c.changes).path.clone();
            rcomments.push((
                ReviewComment {
                    id: 0,
                    review_id: r.id,
                    number: r.number,
                    user: r.user,
                    body: paragraph(&mut rng, 1),
                    path,
                    line: rng.range(1, 40),
                    commit: r.commit,
                    in_reply_to: None,
                    created_at: r.submitted_at,
                    updated_at: r.submitted_at,
                },
                rng.chance(0.2),
            ));
        }
    }
    rcomments.sort_by_key(|(c, _)| (c.created_at, c.number, c.review_id));
    let mut next = base;
    let mut last_on_pr: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    let mut review_comments = Vec::with_capacity(rcomments.len());
    for (mut c, reply) in rcomments {
        next += rng.range(1, 3);
        c.id = next;
        if reply {
            c.in_reply_to = last_on_pr.get(&c.number).copied();
        }
        last_on_pr.insert(c.number, c.id);
        review_comments.push(c);
    }
    max_message = max_message.max(next);
    ids.message = max_message + 10_000;

    // Events.
    let mut events: Vec<Event> = Vec::new();
    let ev = |number, actor, event: &str, created_at: i64| Event {
        id: 0,
        number,
        actor,
        event: event.to_string(),
        created_at: created_at.min(T_END),
        label: None,
        assignee: None,
        commit: None,
    };
    for is in &issues {
        for &l in &is.labels {
            let mut e = ev(
                is.number,
                is.user,
                "labeled",
                is.created_at + rng.range(1, DAY as u64) as i64,
            );
            e.label = Some(l);
            events.push(e);
        }
        for &a in &is.assignees {
            let mut e = ev(
                is.number,
                is.closed_by.unwrap_or(is.user),
                "assigned",
                is.created_at + rng.range(1, DAY as u64) as i64,
            );
            e.assignee = Some(a);
            events.push(e);
        }
        if let Some(closed) = is.closed_at {
            let closer = is.closed_by.unwrap_or(is.user);
            if rng.chance(0.05) && closed - is.created_at > 7200 {
                let t = is.created_at + (closed - is.created_at) / 3;
                events.push(ev(is.number, closer, "closed", t));
                events.push(ev(is.number, is.user, "reopened", t + (closed - t) / 2));
            }
            if let Some(pr) = &is.pull
                && pr.merged_at.is_some()
            {
                let mut m = ev(is.number, closer, "merged", closed);
                m.commit = Some(pr.first_commit + pr.commit_count - 1);
                events.push(m);
                if rng.chance(0.5) {
                    events.push(ev(is.number, is.user, "head_ref_deleted", closed + 5));
                }
            }
            events.push(ev(is.number, closer, "closed", closed));
        }
        let extra = rng.around(p.extra_events_per_item);
        for _ in 0..extra {
            let kinds = [
                "mentioned",
                "subscribed",
                "referenced",
                "renamed",
                "cross-referenced",
            ];
            let kind = *rng.pick(&kinds);
            if kind == "cross-referenced" {
                continue; // timeline-only; never in /issues/events
            }
            let end = is.closed_at.unwrap_or(T_END).max(is.created_at + 60);
            let mut e = ev(
                is.number,
                pick_person(&mut rng),
                kind,
                is.created_at + rng.range(1, (end - is.created_at) as u64) as i64,
            );
            if kind == "referenced" && !commits.is_empty() {
                e.commit = Some(rng.index(commits.len()));
            }
            events.push(e);
        }
    }
    events.sort_by_key(|e| (e.created_at, e.number));
    for e in &mut events {
        ids.event += rng.range(1, 50);
        e.id = ids.event;
    }

    // updated_at = the latest activity on the item.
    for c in &comments {
        let is = &mut issues[(c.number - 1) as usize];
        is.updated_at = is.updated_at.max(c.updated_at);
    }
    for r in &reviews {
        let is = &mut issues[(r.number - 1) as usize];
        is.updated_at = is.updated_at.max(r.submitted_at);
    }
    for e in &events {
        let is = &mut issues[(e.number - 1) as usize];
        is.updated_at = is.updated_at.max(e.created_at);
    }
    for is in &mut issues {
        is.updated_at = is.updated_at.max(is.closed_at.unwrap_or(0)).min(T_END);
    }

    // Releases.
    let mut releases = Vec::new();
    for k in 0..p.releases.min(commits.len()) {
        let c = (k + 1) * commits.len() / (p.releases + 1);
        let created = commits[c].time + rng.range(60, 3600) as i64;
        ids.release += rng.range(1, 90_000);
        let (major, minor) = (k / 10, k % 10);
        releases.push(Release {
            id: ids.release,
            tag_name: format!("v{major}.{minor}.0"),
            name: format!("Release {major}.{minor}.0"),
            body: paragraph(&mut rng, 3),
            draft: false,
            prerelease: rng.chance(0.1),
            created_at: created,
            published_at: created + rng.range(0, 600) as i64,
            author: skewed(&mut rng, people.0, (people.0 + 5).min(people.1)),
            commit: c,
        });
    }

    // Clone traffic: the 14 days before T_END.
    let last_day = T_END - T_END % DAY;
    let clones = (0..14)
        .map(|d| {
            let count = rng.range(5, 200);
            CloneDay {
                timestamp: last_day - (13 - d) * DAY,
                count,
                uniques: rng.range(1, count),
            }
        })
        .collect();

    ids.repo += rng.range(1, 900_000);
    RepoData {
        id: ids.repo,
        project_id,
        owner: OWNER.to_string(),
        owner_user: 0,
        name: name.to_string(),
        description: format!("Synthetic {name} repository generated by mock-forge"),
        language: "Python".into(),
        created_at: T0 - 30 * DAY,
        pushed_at: commits.last().map_or(T0, |c| c.time),
        stargazers: rng.range(10, 2000),
        forks: rng.range(1, 500),
        subscribers: rng.range(5, 100),
        labels,
        issues,
        issue_comments: comments,
        reviews,
        review_comments,
        events,
        commits,
        releases,
        clones,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_world_is_deterministic() {
        let a = serde_json::to_string(&world(Preset::Tiny, 1)).unwrap();
        let b = serde_json::to_string(&world(Preset::Tiny, 1)).unwrap();
        let c = serde_json::to_string(&world(Preset::Tiny, 2)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn history_replay_reproduces_blob_shas() {
        let w = world(Preset::Tiny, 3);
        let repo = &w.repos[0];
        let mut tree = WorkTree::default();
        let mut replay = HistoryReplay::new(repo);
        for i in 0..repo.commits.len() {
            replay.apply(i, &mut tree);
            for ch in &repo.commits[i].changes {
                assert_eq!(
                    hex(&object_id("blob", &tree.content(&ch.path))),
                    ch.blob_sha
                );
            }
            assert_eq!(hex(&tree.tree_id()), repo.commits[i].tree);
        }
    }

    #[test]
    fn message_ids_collide_across_kinds() {
        let w = world(Preset::Tiny, 5);
        let r = &w.repos[0];
        let c: std::collections::HashSet<u64> = r.issue_comments.iter().map(|c| c.id).collect();
        let collide = r.reviews.iter().filter(|x| c.contains(&x.id)).count()
            + r.review_comments
                .iter()
                .filter(|x| c.contains(&x.id))
                .count();
        assert!(collide > 0, "expected overlapping ids");
    }
}
