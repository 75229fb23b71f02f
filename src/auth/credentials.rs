//! Who may send data, or read it: bearer tokens, or an HMAC-SHA256 signature of the body.
//! The webhook checks them, the sender presents them, and the metrics endpoint and the
//! dashboard accept the tokens.
//!
//! Tokens are compared as SHA-256 digests in constant time, so neither a token's content nor
//! its length leaks through timing; signatures are checked by the HMAC's own constant-time
//! verification. Secrets are never printed: `Debug` shows only how many there are.

use super::headers::SIGNATURE_HEADER;
use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The credentials a webhook accepts (or, on the streamer's side, presents).
#[derive(Clone, Default)]
pub struct Credentials {
    tokens: Vec<String>,
    hmac_keys: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("tokens", &self.tokens.len())
            .field("hmac_keys", &self.hmac_keys.len())
            .finish()
    }
}

/// Why a request was refused; the text goes back to the client, so it names no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Credentials are required and the request brought neither a token nor a signature.
    #[error(
        "authentication required: send `Authorization: Bearer <token>` or an `X-Millrace-Signature: sha256=<hmac>` of the body"
    )]
    Missing,
    /// The request's bearer token is not one of those configured.
    #[error("the bearer token is not valid")]
    BadToken,
    /// The signature is malformed, or no configured key produces it for this body.
    #[error("the body's signature is not valid (expected `sha256=<hex HMAC-SHA256 of the body>`)")]
    BadSignature,
}

type HmacSha256 = Hmac<Sha256>;

impl Credentials {
    /// Credentials from tokens and HMAC keys. Blank ones are dropped: an empty token or key
    /// must never count as a credential.
    pub fn new(tokens: Vec<String>, hmac_keys: Vec<Vec<u8>>) -> Self {
        Credentials {
            tokens: tokens
                .into_iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            hmac_keys: hmac_keys.into_iter().filter(|k| !k.is_empty()).collect(),
        }
    }

    /// No credentials configured: everyone may send.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.hmac_keys.is_empty()
    }

    /// Whether tokens are configured: the dashboard, which a browser opens, can check only
    /// a token (typed as a password), never a signature of a body.
    pub fn has_tokens(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Whether `token` is one of those configured, compared as SHA-256 digests in constant
    /// time against every configured token.
    pub fn accepts_token(&self, token: &str) -> bool {
        let presented = Sha256::digest(token.as_bytes());
        let mut ok = subtle::Choice::from(0);
        for known in &self.tokens {
            ok |= Sha256::digest(known.as_bytes()).ct_eq(&presented);
        }
        bool::from(ok)
    }

    /// Whether a signature header could be valid before the body is read: keys are
    /// configured and the value has the right form. Saves reading a body that will be refused.
    pub fn plausible_signature(&self, headers: &HeaderMap) -> Result<(), AuthError> {
        let well_formed = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().strip_prefix("sha256="))
            .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        if self.hmac_keys.is_empty() || !well_formed {
            return Err(AuthError::BadSignature);
        }
        Ok(())
    }

    /// Checks a request: a valid bearer token, or a valid signature of `body`.
    pub fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), AuthError> {
        if self.is_empty() {
            return Ok(());
        }
        if let Some(token) = bearer(headers) {
            return if self.accepts_token(token) {
                Ok(())
            } else {
                Err(AuthError::BadToken)
            };
        }
        if let Some(value) = headers.get(SIGNATURE_HEADER) {
            let signature = value
                .to_str()
                .ok()
                .and_then(|v| v.trim().strip_prefix("sha256="))
                .and_then(|hex| hex::decode(hex).ok())
                .ok_or(AuthError::BadSignature)?;
            let valid = self.hmac_keys.iter().any(|key| {
                let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
                    .expect("HMAC takes any key length");
                mac.update(body);
                mac.verify_slice(&signature).is_ok()
            });
            return if valid {
                Ok(())
            } else {
                Err(AuthError::BadSignature)
            };
        }
        Err(AuthError::Missing)
    }

    /// The headers a client sends with `body`: its first token, or else a signature with its
    /// first key.
    pub fn headers_for(&self, body: &[u8]) -> Vec<(&'static str, String)> {
        if let Some(token) = self.tokens.first() {
            return vec![("authorization", format!("Bearer {token}"))];
        }
        match self.hmac_keys.first() {
            Some(key) => vec![(SIGNATURE_HEADER, format!("sha256={}", sign(key, body)))],
            None => Vec::new(),
        }
    }
}

/// Hex HMAC-SHA256 of `body` under `key`.
pub fn sign(key: &[u8], body: &[u8]) -> String {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn tokens_are_checked() {
        let c = Credentials::new(vec!["s3cret".into(), "other".into()], vec![]);
        assert_eq!(
            c.check(&headers(&[("authorization", "Bearer other".into())]), b""),
            Ok(())
        );
        assert_eq!(
            c.check(&headers(&[("authorization", "Bearer nope".into())]), b""),
            Err(AuthError::BadToken)
        );
        assert_eq!(c.check(&HeaderMap::new(), b""), Err(AuthError::Missing));
    }

    #[test]
    fn signatures_cover_the_body() {
        let c = Credentials::new(vec![], vec![b"key".to_vec()]);
        let signed = c.headers_for(b"[1]");
        assert_eq!(c.check(&headers(&signed), b"[1]"), Ok(()));
        assert_eq!(
            c.check(&headers(&signed), b"[2]"),
            Err(AuthError::BadSignature)
        );
        let garbage = [(SIGNATURE_HEADER, "sha256=zz".to_string())];
        assert_eq!(
            c.check(&headers(&garbage), b"[1]"),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn a_known_signature_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new(vec!["s3cret".into()], vec![b"k3y".to_vec()]);
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("k3y"),
            "{shown}"
        );
    }

    #[test]
    fn nothing_configured_lets_everyone_in() {
        assert_eq!(Credentials::default().check(&HeaderMap::new(), b""), Ok(()));
    }
}
