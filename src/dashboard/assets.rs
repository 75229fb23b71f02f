//! The page and its scripts and style, compiled into the binary: the dashboard needs no
//! files beside it, and serves nothing a request could name beyond these four.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
/// How the page writes numbers, apart from the page's script so that the tests can run it in
/// node beside the report's own formatting.
const FORMAT: &str = include_str!("assets/format.js");
const STYLE: &str = include_str!("assets/app.css");

/// `GET /`: the page.
pub async fn page() -> Response {
    served("text/html; charset=utf-8", PAGE)
}

/// `GET /assets/{name}`: a script or the style.
pub async fn asset(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "app.js" => served("text/javascript; charset=utf-8", SCRIPT),
        "format.js" => served("text/javascript; charset=utf-8", FORMAT),
        "app.css" => served("text/css; charset=utf-8", STYLE),
        _ => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

fn served(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // A new millrace may change them; the browser asks again each time.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
