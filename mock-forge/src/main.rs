//! `mock-forge`: serve, generate and record forge scenarios. All logic lives
//! in the library (`aveloxis_mock_forge::cli`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let opt = aveloxis_mock_forge::cli::Opt::parse();
    match aveloxis_mock_forge::cli::run(opt) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
