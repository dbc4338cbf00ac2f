//! Integration tests of the mock forge, grouped by topic. Every test talks
//! to a real server over loopback sockets.

mod support;

mod cli;
mod conformance;
mod faults;
mod generate;
mod git_clone;
mod github_api;
mod gitlab_api;
mod openapi;
mod private;
mod profiles;
mod record;
mod replay;
mod third_party;
mod timeline;
