//! Throughput of a paginated listing at `per_page=100`, next to a
//! static-file baseline measured in the same run on the same loopback
//! client loop.
//!
//! Run: `cargo run --release -p aveloxis-mock-forge --example bench [-- SECONDS [CONNECTIONS]]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aveloxis_mock_forge::{MockForge, Preset, RateLimitConfig, Scenario};

/// Sends keep-alive GETs for `paths` round-robin until `secs` pass; returns
/// (requests, bytes).
fn load(addr: SocketAddr, paths: &[String], secs: f64, conns: usize) -> (u64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let reqs = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for c in 0..conns {
        let (stop, reqs, bytes) = (Arc::clone(&stop), Arc::clone(&reqs), Arc::clone(&bytes));
        let paths = paths.to_vec();
        handles.push(std::thread::spawn(move || {
            let stream = TcpStream::connect(addr).expect("connect");
            stream.set_nodelay(true).ok();
            let mut w = stream.try_clone().expect("clone");
            let mut r = BufReader::new(stream);
            let mut i = c;
            let mut line = String::new();
            while !stop.load(Ordering::Relaxed) {
                let p = &paths[i % paths.len()];
                i += 1;
                write!(
                    w,
                    "GET {p} HTTP/1.1\r\nHost: bench\r\nAuthorization: token mock-token-0\r\n\r\n"
                )
                .expect("write");
                let mut len = 0usize;
                let mut status = 0;
                loop {
                    line.clear();
                    r.read_line(&mut line).expect("read");
                    if status == 0 {
                        status = line
                            .split_whitespace()
                            .nth(1)
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                assert_eq!(status, 200, "GET {p}");
                let mut body = vec![0u8; len];
                r.read_exact(&mut body).expect("body");
                reqs.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(len as u64, Ordering::Relaxed);
            }
        }));
    }
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("client thread");
    }
    (reqs.load(Ordering::Relaxed), bytes.load(Ordering::Relaxed))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let conns: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);

    let started = Instant::now();
    let mut scenario = Scenario::generate(Preset::Augur, 1);
    scenario.rate_limit = RateLimitConfig {
        limit: u64::MAX / 2,
        ..RateLimitConfig::default()
    };
    let listing = scenario
        .ground_truth()
        .repo("mock-org/augur")
        .map_or(0, |r| r.issues_listing);
    println!(
        "generated augur preset in {:.2?} ({listing} issues+PRs)",
        started.elapsed()
    );
    let forge = MockForge::start(scenario)?;
    let pages = listing.div_ceil(100);
    let paths: Vec<String> = (1..=pages)
        .map(|p| format!("/repos/mock-org/augur/issues?state=all&per_page=100&page={p}"))
        .collect();
    let warm = Instant::now();
    load(forge.addr(), &paths[..1], 0.2, 1);
    println!(
        "first page (renders the cache) + 0.2 s warm-up: {:.2?}",
        warm.elapsed()
    );

    let (n, b) = load(forge.addr(), &paths, secs, conns);
    let mock_rps = n as f64 / secs;
    let avg = b / n.max(1);
    println!(
        "mock-forge  /issues?per_page=100: {mock_rps:>9.0} req/s  {:>7.1} MB/s  (avg body {avg} B, {conns} connections)",
        b as f64 / secs / 1e6
    );

    // Baseline: the same loop against a static in-memory file of the same size.
    let blob = axum::body::Bytes::from(vec![b'x'; avg as usize]);
    let app = axum::Router::new().route(
        "/static",
        axum::routing::get(move || {
            let blob = blob.clone();
            async move { ([("content-type", "application/json")], blob) }
        }),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    rt.spawn(async move { axum::serve(listener, app).await });
    let (n2, b2) = load(addr, &["/static".to_string()], secs, conns);
    let base_rps = n2 as f64 / secs;
    println!(
        "static file baseline ({avg} B): {base_rps:>9.0} req/s  {:>7.1} MB/s",
        b2 as f64 / secs / 1e6
    );
    println!("ratio mock/static: {:.2}", mock_rps / base_rps.max(1.0));
    Ok(())
}
