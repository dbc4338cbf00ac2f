//! Harness reports (`/reports`): markdown files of the reports directory, rendered and
//! sanitised (forge text in reports is untrusted).

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{St, err, escape};

fn report_names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md") && !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

pub(super) async fn reports(State(app): St) -> Html<String> {
    let mut body = String::from("<h1>Harness reports</h1><ul>");
    for n in report_names(&app.reports_dir) {
        let _ = write!(
            body,
            "<li><a href=\"/reports/{0}\">{0}</a></li>",
            escape(&n)
        );
    }
    body.push_str("</ul>");
    Html(shell("Reports", &body))
}

/// Render a harness report: markdown → HTML, sanitised (forge text in reports is untrusted).
pub(crate) fn render_markdown(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut raw = String::new();
    html::push_html(
        &mut raw,
        Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH),
    );
    ammonia::clean(&raw)
}

pub(super) async fn report(State(app): St, Path(name): Path<String>) -> Response {
    // Only plain file names listed in the directory: no paths, no traversal.
    if !report_names(&app.reports_dir).contains(&name) {
        return (
            StatusCode::NOT_FOUND,
            Html(shell("Not found", "<p>No such report.</p>")),
        )
            .into_response();
    }
    match std::fs::read_to_string(app.reports_dir.join(&name)) {
        Ok(md) => Html(shell(&name, &render_markdown(&md))).into_response(),
        Err(e) => err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{} — aveloxis</title>\
         <style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:2px 6px}}</style></head><body>{body}</body></html>",
        escape(title)
    )
}
