use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = aveloxis_harness::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("harness: could not start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    ExitCode::from(runtime.block_on(aveloxis_harness::run(cli)))
}
