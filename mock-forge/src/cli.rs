//! Command-line interface: `serve`, `generate`, `record`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::generate::Preset;
use crate::scenario::{Scenario, write_generated_copies};
use crate::server::{MockForge, StartOptions};

/// A recorded and synthetic GitHub + GitLab API for hermetic runs.
#[derive(Debug, Parser)]
#[command(name = "mock-forge", version)]
pub struct Opt {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a scenario (YAML manifest, directory, world JSON or cassette).
    Serve {
        /// Scenario file or directory.
        #[arg(long)]
        scenario: PathBuf,
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Print only the base URL on stdout (for scripts).
        #[arg(long)]
        print_url: bool,
        /// The day of the world served at start (`POST /__mock/day` moves it later).
        #[arg(long, default_value_t = 0)]
        day: usize,
    },
    /// Generate a scenario directory: scenario.yaml, world.json, ground-truth.json.
    Generate {
        /// Size preset.
        #[arg(long, value_parser = ["tiny", "augur", "large"])]
        preset: String,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Days after day 0 (the world's history: new, edited, closed, reopened and merged
        /// items, removed labels and assignees, deleted comments, a force-push, a rename).
        #[arg(long, default_value_t = 0)]
        days: usize,
        /// Repositories of the preset's size in the world: NAME, NAME-2, … NAME-N (each its
        /// own history; e.g. several large repositories collected at once).
        #[arg(long, default_value_t = 1)]
        copies: usize,
    },
    /// Record a repository from a real forge into a cassette (tokens scrubbed).
    Record {
        /// Upstream API root, e.g. https://api.github.com.
        #[arg(long)]
        upstream: String,
        /// Token for the upstream (never written to the cassette).
        #[arg(long, env = "MOCK_FORGE_UPSTREAM_TOKEN", hide_env_values = true)]
        token: String,
        /// Repository to record, owner/name.
        #[arg(long)]
        repo: String,
        /// Output cassette file.
        #[arg(long)]
        out: PathBuf,
        /// Pages to fetch per listing at most.
        #[arg(long, default_value_t = 3)]
        max_pages: usize,
        /// Pull requests whose children (commits, files, reviews, comments) are recorded.
        #[arg(long, default_value_t = 5)]
        max_items: usize,
    },
}

fn init_tracing() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs a command.
pub fn run(opt: Opt) -> anyhow::Result<()> {
    init_tracing();
    match opt.command {
        Command::Serve {
            scenario,
            port,
            host,
            print_url,
            day,
        } => serve(&scenario, port, &host, print_url, day),
        Command::Generate {
            preset,
            seed,
            out,
            days,
            copies,
        } => generate(&preset, seed, days, copies, &out),
        Command::Record {
            upstream,
            token,
            repo,
            out,
            max_pages,
            max_items,
        } => record(
            crate::record::RecordOptions {
                upstream,
                token,
                repo,
                max_pages,
                max_items,
            },
            &out,
        ),
    }
}

/// `serve`: runs until Ctrl-C or SIGTERM.
fn serve(
    scenario: &Path,
    port: u16,
    host: &str,
    print_url: bool,
    day: usize,
) -> anyhow::Result<()> {
    let s = Scenario::load(scenario)?;
    anyhow::ensure!(
        day < s.day_count(),
        "--day {day}: the scenario has days 0..={}",
        s.day_count() - 1
    );
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .context("bad --host/--port")?;
    let forge = MockForge::start_with(
        s,
        StartOptions {
            addr,
            public_url: None,
        },
    )?;
    forge.set_day(day);
    if print_url {
        println!("{}", forge.base_url());
    } else {
        println!("mock-forge listening on {}", forge.base_url());
        println!(
            "  GitHub API:  {}  (Enterprise: {})",
            forge.github_api_url(),
            forge.github_enterprise_api_url()
        );
        println!("  GitLab API:  {}", forge.gitlab_api_url());
        if forge.day_count() > 1 {
            println!(
                "  day {day} of 0..={} (POST {}/__mock/day {{\"day\": K}} moves it)",
                forge.day_count() - 1,
                forge.base_url()
            );
        }
    }
    std::io::stdout().flush()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(shutdown_signal());
    tracing::info!("mock-forge: shutting down");
    forge.shutdown();
    Ok(())
}

/// `generate`: writes the scenario directory and prints the counts.
fn generate(preset: &str, seed: u64, days: usize, copies: usize, out: &Path) -> anyhow::Result<()> {
    let preset: Preset = preset.parse()?;
    let truth = write_generated_copies(preset, seed, days, copies, out)?;
    for (name, r) in &truth.day0.repos {
        println!(
            "{name}: {} issues, {} pull requests, {} messages, {} events, {} commits",
            r.issues,
            r.pull_requests,
            r.messages,
            r.issue_events + r.pull_request_events,
            r.commits
        );
    }
    for (k, day) in truth.changes.iter().enumerate() {
        for (name, c) in &day.repos {
            println!(
                "day {}: {name}: {} new issues, {} new pull requests, {} reopened, {} closed, {} merged, {} comments deleted, {} commits dropped{}",
                k + 1,
                c.new_issues.len(),
                c.new_pulls.len(),
                c.reopened.len(),
                c.closed.len(),
                c.merged.len(),
                c.deleted_comments.len(),
                c.dropped_commits.len(),
                c.renamed_from
                    .as_ref()
                    .map(|f| format!(", renamed from {f}"))
                    .unwrap_or_default()
            );
        }
    }
    println!("wrote {}", out.display());
    Ok(())
}

/// `record`: writes the cassette.
fn record(opts: crate::record::RecordOptions, out: &Path) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let cassette = rt.block_on(crate::record::record_repo(&opts))?;
    std::fs::write(out, serde_json::to_vec_pretty(&cassette)?)?;
    println!(
        "wrote {} interactions to {}",
        cassette.interactions.len(),
        out.display()
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
