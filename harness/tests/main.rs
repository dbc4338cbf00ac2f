//! The `harness` binary end to end, against real git repositories and real PostgreSQL: one
//! integration-test binary, one file per feature, fixtures in `support`.

mod builds;
mod data_test;
mod fault_run;
mod live_forge;
mod patched;
mod schema_check;
mod scratch;
mod shadow_diff;
mod support;
mod upgraded;
mod workflows;
