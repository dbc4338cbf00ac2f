//! Git history: object hashing, the deterministic file edits of generated
//! commits, and the bare repository served with git's "dumb" HTTP protocol.
//!
//! The generator computes every blob, tree and commit SHA-1 itself
//! ([`objects`]), so the API can report real commit SHAs without running git.
//! Both the generator and [`build_bare_repo`] apply a commit's stored changes
//! through the same rule ([`replay`]); when a client clones, the history goes
//! through `git fast-import` and git computes identical SHAs (we check the
//! head and refuse to serve a repository that disagrees with the API).
//!
//! This module depends only on [`crate::model`] and [`crate::rng`]: the
//! generator sits above it, never below.

pub mod bare;
pub mod objects;
pub mod replay;

pub use bare::{build_bare_repo, dumb_content_type, safe_join};
pub use objects::{WorkTree, commit_object, hex, object_id};
pub use replay::{HistoryReplay, apply_change};
