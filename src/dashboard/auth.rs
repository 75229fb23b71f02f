//! Who may look: HTTP Basic auth whose password is one of the webhook's tokens.
//!
//! Basic, because a browser asks for it by itself (on `401` with `WWW-Authenticate: Basic`)
//! and then sends it with every request, `EventSource` included — which cannot set an
//! `Authorization: Bearer` header. The user name is not checked; the token is compared in
//! constant time by [`Credentials::accepts_token`]. Serve over TLS beyond loopback: Basic
//! credentials travel in the clear otherwise.

use crate::auth::Credentials;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// Lets a request through when no tokens are configured or it brings one of them.
pub async fn authenticate(
    State(credentials): State<Credentials>,
    request: Request,
    next: Next,
) -> Response {
    if !credentials.has_tokens() {
        return next.run(request).await;
    }
    match password(request.headers()) {
        Some(token) if credentials.accepts_token(&token) => next.run(request).await,
        _ => refuse(),
    }
}

/// The password of a Basic `Authorization` header, if the header is one.
fn password(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_user, password) = text.split_once(':')?;
    Some(password.to_string())
}

/// `401` with the challenge that makes a browser ask for a user name and password.
fn refuse() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        "authentication required: any user name, and one of the configured tokens (--auth-token) as the password\n",
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"millrace\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_and_password: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(user_and_password);
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        headers
    }

    #[test]
    fn the_password_is_what_follows_the_first_colon() {
        assert_eq!(password(&basic("me:s3:cret")).as_deref(), Some("s3:cret"));
        assert_eq!(password(&basic(":tok")).as_deref(), Some("tok"));
        assert_eq!(password(&basic("no colon")), None);
        assert_eq!(password(&HeaderMap::new()), None);
    }

    #[test]
    fn a_bearer_header_is_not_basic() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer tok".parse().unwrap());
        assert_eq!(password(&headers), None);
    }
}
