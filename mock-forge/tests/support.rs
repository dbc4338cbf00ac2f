//! A tiny blocking HTTP/1.1 client (the server runs on its own thread, so
//! blocking here is fine) and helpers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// True when the connection ended before the promised body arrived.
    pub incomplete: bool,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Resp {
    let rest = url.strip_prefix("http://").expect("http url");
    let (hostport, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(hostport).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\nUser-Agent: mock-forge-tests\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Length: {}\r\nContent-Type: application/json\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    if let Some(b) = body {
        s.write_all(b).unwrap();
    }
    let mut raw = Vec::new();
    let read_ok = s.read_to_end(&mut raw).is_ok();
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        // The connection closed before a full response head arrived.
        return Resp {
            status: 0,
            headers: Vec::new(),
            body: raw,
            incomplete: true,
        };
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let mut incomplete = !read_ok;
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
    {
        let mut out = Vec::new();
        let mut b = &body[..];
        loop {
            let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
                incomplete = true;
                break;
            };
            let n =
                usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
            b = &b[eol + 2..];
            if n == 0 {
                break;
            }
            if b.len() < n {
                out.extend_from_slice(b);
                incomplete = true;
                break;
            }
            out.extend_from_slice(&b[..n]);
            b = &b[(n + 2).min(b.len())..];
        }
        body = out;
    } else if let Some(len) = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map(|(_, v)| v.parse::<usize>().unwrap())
        && method != "HEAD"
        && body.len() < len
    {
        incomplete = true;
    }
    Resp {
        status,
        headers,
        body,
        incomplete,
    }
}

pub fn get(url: &str, token: Option<&str>) -> Resp {
    let auth = token.map(|t| format!("token {t}"));
    let mut h = vec![("Accept", "application/vnd.github+json")];
    if let Some(a) = &auth {
        h.push(("Authorization", a.as_str()));
    }
    request("GET", url, &h, None)
}

/// The `rel="next"` URL of a Link header.
pub fn next_link(link: Option<&str>) -> Option<String> {
    link?.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

/// Follows GitHub `Link` pagination from `url`, returning every item.
pub fn github_all(url: &str, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(url.to_string());
    let mut pages = 0;
    while let Some(u) = next {
        let r = get(&u, Some(token));
        assert_eq!(r.status, 200, "GET {u}: {}", r.text());
        out.extend(r.json().as_array().expect("array").iter().cloned());
        next = next_link(r.header("link"));
        pages += 1;
        assert!(pages < 10_000, "runaway pagination");
    }
    out
}

/// Follows GitLab `X-Next-Page` pagination.
pub fn gitlab_all(url: &str, token: &str) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let sep = if url.contains('?') { '&' } else { '?' };
        let r = request(
            "GET",
            &format!("{url}{sep}page={page}"),
            &[("PRIVATE-TOKEN", token)],
            None,
        );
        assert_eq!(r.status, 200, "GET {url}: {}", r.text());
        let total: usize = r.header("x-total").unwrap().parse().unwrap();
        out.extend(r.json().as_array().expect("array").iter().cloned());
        match r.header("x-next-page") {
            Some(n) if !n.is_empty() => page = n.parse().unwrap(),
            _ => return (out, total),
        }
    }
}
