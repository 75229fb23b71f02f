//! Counting HTTP requests by route and status, for the webhook and the dashboard alike.
//!
//! The `path` label is the route that matched (`/metrics_webhook`, `/assets/{name}`), never
//! the path asked for: a scanner trying thousands of paths adds one series, `other`, not
//! thousands.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// The `path` label of a request that matched no route.
pub const OTHER: &str = "other";

/// The `path` label of a request: the route it matched, or [`OTHER`].
pub fn path_label(matched: Option<&MatchedPath>) -> String {
    matched.map_or(OTHER, MatchedPath::as_str).to_string()
}

/// Middleware (for `Router::layer`, which runs after routing, so the matched route is known)
/// counting each answered request in `millrace_http_requests_total`.
pub async fn count(request: Request, next: Next) -> Response {
    let path = path_label(request.extensions().get::<MatchedPath>());
    let response = next.run(request).await;
    super::record::http_request(path, response.status().as_u16());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Serves a router with the counting layer, asks it `paths`, and returns the rendered
    /// request counts (the recorder is shared by every test in the process, so this test's
    /// routes have names of their own).
    async fn counted(paths: &[&str]) -> Vec<String> {
        crate::metrics::install();
        let app = Router::new()
            .route("/label-test", get(|| async { "ok" }))
            .route("/label-test/items/{id}", get(|| async { "item" }))
            .layer(axum::middleware::from_fn(count));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        for path in paths {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            stream
                .write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
                .await
                .unwrap();
            stream.read_to_end(&mut Vec::new()).await.unwrap();
        }
        crate::metrics::exporter::render()
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("millrace_http_requests_total{"))
            .map(str::to_string)
            .collect()
    }

    #[tokio::test]
    async fn unknown_paths_collapse_into_one_label_and_routes_keep_their_pattern() {
        let lines = counted(&[
            "/label-test",
            "/label-test/items/1",
            "/label-test/items/2",
            "/label-test/nope",
            "/label-test/../etc/passwd",
            "/label-test/items/3/deeper",
        ])
        .await;
        let has = |wanted: &str| lines.iter().any(|l| l.contains(wanted));
        assert!(has(r#"path="/label-test",status="200"} 1"#), "{lines:?}");
        assert!(
            has(r#"path="/label-test/items/{id}",status="200"} 2"#),
            "{lines:?}"
        );
        let ours: Vec<_> = lines.iter().filter(|l| l.contains("label-test")).collect();
        assert_eq!(ours.len(), 2, "no path asked for became a label: {lines:?}");
        let other = lines
            .iter()
            .find(|l| l.contains(r#"path="other",status="404""#))
            .expect("unknown paths are counted under `other`");
        let count: u64 = other.rsplit(' ').next().unwrap().parse().unwrap();
        // At least: other tests in this process may have counted theirs.
        assert!(count >= 3, "{lines:?}");
        assert_eq!(path_label(None), OTHER);
    }
}
