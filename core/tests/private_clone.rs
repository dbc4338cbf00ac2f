//! Private repositories are cloned with a key of their platform: a real forge (and the mock)
//! refuses an anonymous clone. The key goes to git through its environment, for the forge's
//! origin only: never into argv, the remote URL, the clone's config, a log line or an error, and
//! never along a redirect to another host.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aveloxis_core::config::Secret;
use aveloxis_core::forge::Platform;
use aveloxis_core::git_commits::{GitAuth, sync_repo_with};
use aveloxis_mock_forge::DEFAULT_TOKENS;

/// `base64("x-access-token:mock-token-0")`: the key as it travels in an `Authorization: Basic`
/// header.
const GH_BASIC: &str = "eC1hY2Nlc3MtdG9rZW46bW9jay10b2tlbi0w";

/// A listener that records the head of every request and answers it with `answer(head)`.
fn recorder(
    host: &str,
    answer: impl Fn(&str) -> String + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind(format!("{host}:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            while let Ok(n) = reader.read_line(&mut head) {
                if n == 0 || head.ends_with("\r\n\r\n") {
                    break;
                }
            }
            let _ = stream.write_all(answer(&head).as_bytes());
            log.lock().unwrap().push(head);
        }
    });
    (format!("http://{addr}"), seen)
}

/// The forge redirects the clone to another host, which serves a (dumb-HTTP) ref listing: a git
/// that followed would go on asking that host for objects, with whatever headers it was given.
#[tokio::test]
async fn a_redirect_to_another_host_does_not_carry_the_key() {
    let (elsewhere, foreign) = recorder("127.0.0.2", |head| {
        let body = if head.contains("/info/refs") {
            format!("{}\trefs/heads/main\n", "1".repeat(40))
        } else {
            String::new()
        };
        let status = if body.is_empty() {
            "404 Not Found"
        } else {
            "200 OK"
        };
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
    });
    let target = format!("{elsewhere}/x/y.git/info/refs?service=git-upload-pack");
    let (forge, asked) = recorder("127.0.0.1", move |_| {
        format!(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: {target}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        )
    });
    let url = format!("{forge}/o/r.git");
    let token = Secret::new(DEFAULT_TOKENS[0]);
    let key = GitAuth::new(Platform::GitHub, &url, 1, &token).unwrap();
    assert_eq!(key.origin(), format!("{forge}/"));
    let tmp = tempfile::tempdir().unwrap();
    let e = sync_repo_with(tmp.path(), 1, &url, Some(&key), Duration::from_secs(60))
        .await
        .unwrap_err();
    let text = format!("{e:#}");
    assert!(
        !text.contains(DEFAULT_TOKENS[0]) && !text.contains(GH_BASIC),
        "{text}"
    );
    let asked = asked.lock().unwrap().clone();
    let header = format!("authorization: basic {}", GH_BASIC.to_ascii_lowercase());
    assert!(
        asked
            .iter()
            .any(|h| h.to_ascii_lowercase().contains(&header)),
        "the forge got the key: {asked:?}"
    );
    let foreign = foreign.lock().unwrap().clone();
    assert!(
        foreign
            .iter()
            .all(|h| !h.to_ascii_lowercase().contains("authorization")),
        "the key went to another host: {foreign:?}"
    );
}
