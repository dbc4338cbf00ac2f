//! `aveloxis version`: the tool version and the schema version this binary migrates to.

use anyhow::Result;
use aveloxis_migrations::Plan;

use crate::TOOL_VERSION;

pub(super) fn run(plan: &Plan) -> Result<()> {
    println!(
        "aveloxis {TOOL_VERSION} (schema version {})",
        plan.schema_version()
    );
    Ok(())
}
