//! Facade (git → commits) against real git repositories and a real database.
