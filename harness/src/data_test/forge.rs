//! The forge stage: what both sides collect from. `--forge mock` starts the in-process mock
//! forge and maps the repository URLs onto it; `--forge live` reads the operator's setup (before
//! anything is built) and uses the URLs as given.

use anyhow::{Context, Result};
use aveloxis_mock_forge::{MockForge, Preset, Scenario};

use super::args::Run;
use crate::cli::{ForgeArgs, ForgeKind};
use crate::operator::{self, OperatorConfig, Platform};
use crate::report::redact;

/// Mapping of `--repo` URLs onto the mock forge.
pub fn mock_preset(explicit: Option<&str>, repos: &[String]) -> Result<Preset> {
    if let Some(p) = explicit {
        return p.parse();
    }
    let augur = repos.iter().any(|u| {
        u.trim_end_matches('/')
            .trim_end_matches(".git")
            .ends_with("/augur")
    });
    Ok(if augur { Preset::Augur } else { Preset::Tiny })
}

/// Where one `--repo` is collected from on the mock forge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockRepo {
    /// The URL as given.
    pub given: String,
    /// GitLab for a `gitlab.com` / `gitlab.*` host (collected through the mock's GitLab v4
    /// API), else GitHub.
    pub platform: Platform,
    /// Its repository in the mock world, `mock-org/<name>`.
    pub name: String,
}

impl MockRepo {
    /// Its URL on the mock forge: GitHub at `base` (127.0.0.1), GitLab at the same server
    /// named `localhost`, so the two platforms' web URLs differ by host as the configuration's
    /// host rule needs.
    pub fn url(&self, base: &str) -> String {
        let base = base.trim_end_matches('/');
        let base = match self.platform {
            Platform::GitHub => base.to_string(),
            Platform::GitLab => gitlab_web(base),
        };
        format!(
            "{base}/{}/{}",
            aveloxis_mock_forge::generate::OWNER,
            self.name
        )
    }
}

/// The mock's GitLab web URL: its base with the host `localhost`.
pub fn gitlab_web(base: &str) -> String {
    base.trim_end_matches('/').replace("127.0.0.1", "localhost")
}

fn platform_of(url: &str) -> Platform {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    if host == "gitlab.com" || host.starts_with("gitlab.") {
        Platform::GitLab
    } else {
        Platform::GitHub
    }
}

/// A world repository name from a URL's last segment: lower-case letters, digits, `-`, `_`, `.`.
fn world_name(name: &str) -> String {
    let n: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '-',
        })
        .collect();
    if n.is_empty() { "repo".into() } else { n }
}

/// Every `--repo` onto a repository of its own in one mock world: `…/mock-org/NAME` keeps
/// its name; the first other repository is the preset's main repository (named after the
/// preset); every further one a small repository of its own (named after its last path
/// segment, made unique), added to the world ([`extra_repos`]). The same URL twice is one
/// repository.
pub fn plan_mock_repos(preset: Preset, repos: &[String]) -> Vec<MockRepo> {
    let owner = aveloxis_mock_forge::generate::OWNER;
    let main = preset.name().to_string();
    let mut taken: Vec<String> = [
        main.clone(),
        "sidecar".into(),
        "sidecar-old".into(),
        format!("{main}-legacy"),
        "deleted-repo".into(),
        "gone-repo".into(),
    ]
    .to_vec();
    let mut out: Vec<MockRepo> = Vec::new();
    let mut main_used = false;
    for url in repos {
        let trimmed = url.trim_end_matches('/').trim_end_matches(".git");
        if out
            .iter()
            .any(|m| m.given.trim_end_matches('/').trim_end_matches(".git") == trimmed)
        {
            continue;
        }
        let mut parts = trimmed.rsplit('/');
        let last = parts.next().unwrap_or("");
        let name = if parts.next() == Some(owner) && !last.is_empty() {
            last.to_string()
        } else if !main_used {
            main_used = true;
            main.clone()
        } else {
            let base = world_name(last);
            let mut n = base.clone();
            let mut k = 2;
            while taken.contains(&n) || out.iter().any(|m| m.name == n) {
                n = format!("{base}-{k}");
                k += 1;
            }
            taken.push(n.clone());
            n
        };
        out.push(MockRepo {
            given: url.clone(),
            platform: platform_of(url),
            name,
        });
    }
    out
}

/// The repositories [`plan_mock_repos`] adds to the preset's world.
pub fn extra_repos(preset: Preset, planned: &[MockRepo], given: &[String]) -> Vec<String> {
    let owner = format!("/{}/", aveloxis_mock_forge::generate::OWNER);
    planned
        .iter()
        .filter(|m| m.name != preset.name())
        .filter(|m| {
            // Named `mock-org/NAME` in the URL: a repository the world already has (or not).
            !given.iter().any(|g| {
                g == &m.given && g.contains(&owner) && g.trim_end_matches('/').ends_with(&m.name)
            })
        })
        .map(|m| m.name.clone())
        .collect()
}

/// `GitHub: a → x, b → y; GitLab: c → z` (the report lists the repositories per platform).
pub fn per_platform<'a>(
    repos: impl Iterator<Item = (Platform, &'a str, String)> + Clone,
) -> String {
    Platform::ALL
        .iter()
        .filter_map(|p| {
            let these: Vec<String> = repos
                .clone()
                .filter(|(q, _, _)| q == p)
                .map(|(_, given, to)| {
                    if to.is_empty() {
                        given.to_string()
                    } else {
                        format!("{given} -> {to}")
                    }
                })
                .collect();
            let label = match p {
                Platform::GitHub => "GitHub",
                Platform::GitLab => "GitLab",
            };
            (!these.is_empty()).then(|| format!("{label}: {}", these.join(", ")))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `--forge live`: the operator's setup, read before anything is built.
pub struct Live {
    pub config: OperatorConfig,
    /// The operator's keys for the platforms of the requested repositories.
    pub keys: Vec<operator::Key>,
    pub platforms: Vec<Platform>,
}

impl Live {
    /// `live (<api urls>)` of the platforms in use.
    pub fn description(&self) -> String {
        format!(
            "live ({})",
            self.platforms
                .iter()
                .map(|p| redact(&self.config.forge(*p).api_url))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The operator's setup for `--forge live` (config and keys), `None` for the mock.
pub async fn live_setup(forge: &ForgeArgs, repos: &[String]) -> Result<Option<Live>> {
    if forge.forge == ForgeKind::Mock {
        return Ok(None);
    }
    let path = operator::config_path(
        forge.operator_config.as_deref(),
        std::env::var_os("AVELOXIS_CONFIG"),
    );
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let config = OperatorConfig::load(&path, env)?;
    let mut platforms = Vec::new();
    for u in repos {
        let p = config.platform_of(u)?;
        if !platforms.contains(&p) {
            platforms.push(p);
        }
    }
    platforms.sort();
    let keys = operator::read_keys(config.database(), &platforms).await?;
    let live = Live {
        config,
        keys,
        platforms,
    };
    say!(
        "harness: forge {} (from {}); {} key(s) from {} of {}",
        live.description(),
        live.config.path.display(),
        live.keys.len(),
        operator::KEY_TABLE,
        operator::shown(live.config.database())
    );
    if forge.preset.is_some() {
        say!("harness: --preset applies to --forge mock only; ignored");
    }
    Ok(Some(live))
}

/// The forge of a run, as the sides see it.
pub struct Forge {
    /// The `github`/`gitlab` sections of each side's config.
    pub sections: serde_json::Value,
    /// Settings of each side's `collection` section (the mock lifts the per-run budgets).
    pub collection: serde_json::Value,
    /// For the report.
    pub description: String,
    /// The repository URLs the sides collect (mapped onto the mock, deduplicated).
    pub urls: Vec<String>,
    /// The mock forge, served as long as this value lives.
    _mock: Option<MockForge>,
}

impl Forge {
    /// Serve `day` of the world's timeline to the collector signing in with `token`; the day
    /// actually served (`None`: the live forge, whose world moves on its own).
    ///
    /// The one place a run moves the world: the mock serves `day` to that key only, so sides
    /// collecting at once each see their own day.
    pub fn serve_day(&self, token: &str, day: usize) -> Option<usize> {
        let mock = self._mock.as_ref()?;
        mock.set_day_for_token(token, day);
        Some(day)
    }
}

/// A per-run budget no collection of a mock world reaches.
const UNLIMITED: u32 = 1_000_000;

/// Start the mock forge, or describe the live one.
pub fn start(run: &Run, live: Option<&Live>) -> Result<Forge> {
    let mut urls: Vec<String> = Vec::new();
    let Some(l) = live else {
        return start_mock(run);
    };
    for u in &run.repos {
        if !urls.contains(u) {
            urls.push(u.clone());
        }
    }
    let c = &l.config.config;
    Ok(Forge {
        sections: serde_json::json!({
            "github": {"api_url": c.github.api_url, "web_url": c.github.web_url},
            "gitlab": {"api_url": c.gitlab.api_url, "web_url": c.gitlab.web_url},
        }),
        description: format!(
            "{}; {}",
            l.description(),
            per_platform(urls.iter().map(|u| {
                let p = l.config.platform_of(u).unwrap_or(Platform::GitHub);
                (p, u.as_str(), String::new())
            }))
        ),
        urls,
        collection: serde_json::json!({}),
        _mock: None,
    })
}

fn start_mock(run: &Run) -> Result<Forge> {
    let (preset, seed) = (
        mock_preset(run.forge.preset.as_deref(), &run.repos)?,
        run.forge.seed,
    );
    let planned = plan_mock_repos(preset, &run.repos);
    let extra = extra_repos(preset, &planned, &run.repos);
    // The gate measures data, not throttling: lift the mock's per-token rate limit so a large
    // preset never waits for a window reset.
    let mut scenario = Scenario::generate(preset, seed);
    if !extra.is_empty() {
        scenario.world = aveloxis_mock_forge::generate::WorldBuilder::new(preset)
            .seed(seed)
            .extra_repos(&extra)
            .build();
    }
    // The world's history: day 0 and `--days` more, each following from the one before.
    let mut scenario = scenario.with_days(run.forge.days, seed);
    scenario.rate_limit.limit = 1_000_000_000;
    let forge = MockForge::start(scenario).context("starting the mock forge")?;
    let base = forge.base_url();
    let mut urls: Vec<String> = Vec::new();
    for m in &planned {
        let u = m.url(&base);
        say!("harness: {} -> {u} ({})", m.given, m.platform.name());
        urls.push(u);
    }
    let listed = planned.iter().map(|m| {
        let to = format!("{}/{}", aveloxis_mock_forge::generate::OWNER, m.name);
        (m.platform, m.given.as_str(), to)
    });
    let description = format!(
        "mock (preset {}, seed {seed}; {})",
        preset.name(),
        per_platform(listed)
    );
    let mut sections = serde_json::json!({
        "github": {"api_url": forge.github_api_url(), "web_url": base},
    });
    if planned.iter().any(|m| m.platform == Platform::GitLab) {
        sections["gitlab"] =
            serde_json::json!({"api_url": forge.gitlab_api_url(), "web_url": gitlab_web(&base)});
    }
    Ok(Forge {
        sections,
        description,
        urls,
        // As the rate limit: the gate measures data, not budgets. With the per-run budgets of
        // profile enrichment and e-mail lookup, a second collection fetches what the first left
        // for later, and the upgraded side (two collections) could never equal a fresh one.
        collection: serde_json::json!({
            "enrich_per_run": UNLIMITED,
            "resolve_per_run": UNLIMITED,
        }),
        _mock: Some(forge),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_map_onto_the_mock_forge() {
        let b = "http://127.0.0.1:9";
        let augur = vec!["https://github.com/augurlabs/augur".to_string()];
        assert_eq!(mock_preset(None, &augur).unwrap(), Preset::Augur);
        assert_eq!(
            mock_preset(None, &["https://github.com/a/b".to_string()]).unwrap(),
            Preset::Tiny
        );
        assert_eq!(mock_preset(Some("tiny"), &augur).unwrap(), Preset::Tiny);
        assert!(mock_preset(Some("huge"), &augur).is_err());
        let names = |preset, urls: &[&str]| -> Vec<(Platform, String)> {
            let urls: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
            plan_mock_repos(preset, &urls)
                .into_iter()
                .map(|m| (m.platform, m.url(b)))
                .collect()
        };
        assert_eq!(
            names(Preset::Augur, &["https://github.com/augurlabs/augur.git"]),
            [(
                Platform::GitHub,
                "http://127.0.0.1:9/mock-org/augur".to_string()
            )]
        );
        // Every repository of its own, GitLab ones through the GitLab host; a URL given
        // twice is one repository; `mock-org/NAME` keeps its name.
        let got = names(
            Preset::Tiny,
            &[
                "https://github.com/someone/else/",
                "https://gitlab.com/group/sub/else",
                "https://github.com/someone/else",
                "https://github.com/other/sidecar",
                "https://github.com/mock-org/sidecar-old",
            ],
        );
        assert_eq!(
            got,
            [
                (
                    Platform::GitHub,
                    "http://127.0.0.1:9/mock-org/tiny".to_string()
                ),
                (
                    Platform::GitLab,
                    "http://localhost:9/mock-org/else".to_string()
                ),
                (
                    Platform::GitHub,
                    "http://127.0.0.1:9/mock-org/sidecar-2".to_string()
                ),
                (
                    Platform::GitHub,
                    "http://127.0.0.1:9/mock-org/sidecar-old".to_string()
                ),
            ]
        );
        let urls: Vec<String> = [
            "https://github.com/a/b",
            "https://gitlab.com/c/d",
            "https://github.com/mock-org/sidecar",
        ]
        .iter()
        .map(|u| u.to_string())
        .collect();
        let planned = plan_mock_repos(Preset::Tiny, &urls);
        assert_eq!(extra_repos(Preset::Tiny, &planned, &urls), ["d"]);
    }
}
