//! The page and its script and style, compiled into the binary: the dashboard needs no
//! files beside it, and serves nothing a request could name beyond these three.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

/// `GET /`: the page.
pub async fn page() -> Response {
    served("text/html; charset=utf-8", PAGE)
}

/// `GET /assets/{name}`: the script or the style.
pub async fn asset(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "app.js" => served("text/javascript; charset=utf-8", SCRIPT),
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
