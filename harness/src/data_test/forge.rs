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

/// `…/mock-org/NAME` keeps its name; anything else is the preset's main repository.
pub fn map_repo(base: &str, preset: Preset, url: &str) -> String {
    let trimmed = url.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = trimmed.rsplit('/');
    let name = parts.next().unwrap_or("");
    let owner = parts.next().unwrap_or("");
    let base = base.trim_end_matches('/');
    if owner == aveloxis_mock_forge::generate::OWNER && !name.is_empty() {
        format!("{base}/{owner}/{name}")
    } else {
        format!(
            "{base}/{}/{}",
            aveloxis_mock_forge::generate::OWNER,
            preset.name()
        )
    }
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
        description: l.description(),
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
    // The gate measures data, not throttling: lift the mock's per-token rate limit so a large
    // preset never waits for a window reset.
    // The world's history: day 0 and `--days` more, each following from the one before.
    let mut scenario = Scenario::generate(preset, seed).with_days(run.forge.days, seed);
    scenario.rate_limit.limit = 1_000_000_000;
    let forge = MockForge::start(scenario).context("starting the mock forge")?;
    let mut urls: Vec<String> = Vec::new();
    for u in &run.repos {
        let m = map_repo(&forge.base_url(), preset, u);
        say!("harness: {u} -> {m}");
        if !urls.contains(&m) {
            urls.push(m);
        }
    }
    let description = format!(
        "mock (preset {}, seed {seed}; {})",
        preset.name(),
        run.repos
            .iter()
            .map(|u| format!("{u} -> {}", map_repo("BASE", preset, u)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(Forge {
        sections: serde_json::json!({
            "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        }),
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
        assert_eq!(
            map_repo(b, Preset::Augur, "https://github.com/augurlabs/augur.git"),
            "http://127.0.0.1:9/mock-org/augur"
        );
        assert_eq!(
            map_repo(b, Preset::Tiny, "https://github.com/someone/else/"),
            "http://127.0.0.1:9/mock-org/tiny"
        );
        assert_eq!(
            map_repo(b, Preset::Tiny, "https://github.com/mock-org/sidecar-old"),
            "http://127.0.0.1:9/mock-org/sidecar-old"
        );
    }
}
