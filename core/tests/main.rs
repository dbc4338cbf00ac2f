//! Integration tests of the `aveloxis` crate against a real PostgreSQL cluster that the suite
//! starts itself (see `support.rs`). One test binary, grouped by topic.

mod support;

mod aggregates;
mod augur_views;
mod authors;
mod claims;
mod cli;
mod client;
mod closers;
mod collect;
mod collectoss;
mod conformance;
mod contract;
mod daemon;
mod dashboard;
mod enrich;
mod etag;
mod facade;
mod gitlab;
mod labor;
mod migrate;
mod moving;
mod optional;
mod private;
mod private_clone;
mod quarantine;
mod schema;
mod shapes;
mod streaming;
mod writes;
