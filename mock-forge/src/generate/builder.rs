//! [`WorldBuilder`]: what to generate (a preset's world or a fleet), from
//! which seed, with which repository knobs; `build` assembles the
//! [`World`] from generated users and repositories.

use super::OWNER;
use super::context::Ids;
use super::preset::{Params, Preset};
use super::repo::gen_repo;
use super::users::gen_users;
use crate::model::{Redirect, World};
use crate::rng::Rng;

/// The two shapes of generated worlds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// A preset's main repository plus the sidecar, renames, deleted and gone names.
    Preset(Preset),
    /// `count` small repositories and nothing else.
    Fleet(usize),
}

/// Builds a synthetic [`World`]; the same options give a byte-identical world.
///
/// ```
/// use aveloxis_mock_forge::generate::WorldBuilder;
/// use aveloxis_mock_forge::Preset;
///
/// let world = WorldBuilder::new(Preset::Tiny).seed(42).build();
/// assert_eq!(world.repos.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WorldBuilder {
    shape: Shape,
    seed: u64,
    params: Option<Params>,
    /// Names of further small repositories of a preset's world (after the sidecar).
    extra: Vec<String>,
    /// How many repositories of the preset's size the world has (`NAME`, `NAME-2`, …).
    copies: usize,
}

impl WorldBuilder {
    /// The world of `preset` (see [`super::world`] for what it holds), seed 0.
    pub fn new(preset: Preset) -> Self {
        Self {
            shape: Shape::Preset(preset),
            seed: 0,
            params: None,
            extra: Vec::new(),
            copies: 1,
        }
    }

    /// A fleet of `count` small repositories named `fleet-00000`…, seed 0.
    pub fn fleet(count: usize) -> Self {
        Self {
            shape: Shape::Fleet(count),
            seed: 0,
            params: None,
            extra: Vec::new(),
            copies: 1,
        }
    }

    /// Seeds every random stream.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Replaces the knobs of the main repository (of every fleet repository),
    /// which otherwise come from the preset ([`Params::fleet_repo`]).
    pub fn params(mut self, params: Params) -> Self {
        self.params = Some(params);
        self
    }

    /// Adds small repositories `mock-org/NAME` (the sidecar's knobs, users and id spaces
    /// shared with the rest of the world) to a preset's world, after the sidecar; a name the
    /// world already has is skipped. A fleet ignores them.
    pub fn extra_repos(mut self, names: &[String]) -> Self {
        self.extra = names.to_vec();
        self
    }

    /// Gives a preset's world `n` repositories of the preset's size: the main one and
    /// `NAME-2` … `NAME-n`, each drawn from a stream of its own (after the extra ones; a fleet
    /// ignores it). 1 is the plain world.
    pub fn copies(mut self, n: usize) -> Self {
        self.copies = n.max(1);
        self
    }

    /// Generates the world.
    pub fn build(&self) -> World {
        match self.shape {
            Shape::Preset(preset) => self.build_preset(preset),
            Shape::Fleet(count) => self.build_fleet(count),
        }
    }

    fn build_preset(&self, preset: Preset) -> World {
        let seed = self.seed;
        let main = self.params.unwrap_or_else(|| preset.params());
        let side = Preset::Tiny.params();
        let mut rng = Rng::derive(seed, "users");
        let users = gen_users(&mut rng, main.users.max(side.users));
        let mut ids = Ids::new(seed);
        let name = preset.name();
        let mut repos = vec![
            gen_repo(seed, "main", &users, &main, name, 1, &mut ids),
            gen_repo(seed, "sidecar", &users, &side, "sidecar", 2, &mut ids),
        ];
        for (i, extra) in self.extra.iter().enumerate() {
            if repos.iter().any(|r| r.name.eq_ignore_ascii_case(extra)) {
                continue;
            }
            let stream = format!("extra-{extra}");
            let project_id = 3 + i as u64;
            repos.push(gen_repo(
                seed, &stream, &users, &side, extra, project_id, &mut ids,
            ));
        }
        for k in 2..=self.copies {
            let name_k = format!("{name}-{k}");
            let stream = format!("main-{k}");
            let project_id = 100 + k as u64;
            repos.push(gen_repo(
                seed, &stream, &users, &main, &name_k, project_id, &mut ids,
            ));
        }
        World {
            users,
            redirects: vec![
                Redirect {
                    from: format!("{OWNER}/sidecar-old"),
                    to: format!("{OWNER}/sidecar"),
                },
                Redirect {
                    from: format!("{OWNER}/{name}-legacy"),
                    to: format!("{OWNER}/{name}"),
                },
            ],
            deleted: vec![format!("{OWNER}/deleted-repo")],
            gone: vec![format!("{OWNER}/gone-repo")],
            repos,
        }
    }

    fn build_fleet(&self, count: usize) -> World {
        let seed = self.seed;
        let p = self.params.unwrap_or_else(Params::fleet_repo);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_override_the_main_repository_only() {
        let p = Params {
            issues: 3,
            pulls: 2,
            ..Preset::Tiny.params()
        };
        let w = WorldBuilder::new(Preset::Tiny).seed(9).params(p).build();
        assert_eq!(w.repos[0].issues.len(), 5);
        let plain = WorldBuilder::new(Preset::Tiny).seed(9).build();
        assert_eq!(w.repos.len(), plain.repos.len());
        assert_eq!(w.repos[0].name, plain.repos[0].name);
    }

    #[test]
    fn copies_are_repositories_of_the_presets_size_each_with_its_own_history() {
        let plain = WorldBuilder::new(Preset::Tiny).seed(4).build();
        assert_eq!(
            WorldBuilder::new(Preset::Tiny).seed(4).copies(1).build(),
            plain
        );
        let w = WorldBuilder::new(Preset::Tiny).seed(4).copies(3).build();
        let got: Vec<&str> = w.repos.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(got, ["tiny", "sidecar", "tiny-2", "tiny-3"]);
        assert_eq!(w.repos[..2], plain.repos[..]);
        for r in &w.repos[2..] {
            assert_eq!(r.issues.len(), plain.repos[0].issues.len(), "{}", r.name);
            assert_ne!(r.commits, plain.repos[0].commits, "{}", r.name);
        }
        let ids: std::collections::HashSet<u64> = w.repos.iter().map(|r| r.project_id).collect();
        assert_eq!(ids.len(), 4);
    }

    #[test]
    fn extra_repositories_follow_the_sidecar_and_leave_the_rest_unchanged() {
        let names = vec![
            "second".to_string(),
            "third".to_string(),
            "sidecar".to_string(),
        ];
        let w = WorldBuilder::new(Preset::Tiny)
            .seed(9)
            .extra_repos(&names)
            .build();
        let plain = WorldBuilder::new(Preset::Tiny).seed(9).build();
        let got: Vec<&str> = w.repos.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(got, ["tiny", "sidecar", "second", "third"]);
        assert_eq!(w.repos[..2], plain.repos[..]);
        assert_eq!(w.users, plain.users);
        let ids: std::collections::HashSet<u64> = w.repos.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 4, "distinct repository ids");
        assert!(!w.repos[2].issues.is_empty());
    }

    #[test]
    fn a_fleet_is_its_repositories_only() {
        let w = WorldBuilder::fleet(3).seed(4).build();
        assert_eq!(w.repos.len(), 3);
        assert!(w.redirects.is_empty() && w.deleted.is_empty() && w.gone.is_empty());
        assert_eq!(w.repos[2].name, "fleet-00002");
    }
}
