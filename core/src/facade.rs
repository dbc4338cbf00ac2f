//! Facade: commits from git (bare clone/fetch, `git log` → commits, commit_parents,
//! commit_messages).
