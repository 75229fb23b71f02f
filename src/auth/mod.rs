//! What a client and a server of millrace's HTTP must agree on: the credentials (bearer
//! tokens, HMAC signatures of the body) and the names of millrace's own headers.
//!
//! It sits below every stage, so that the sender (the client) does not import the webhook
//! (the server) to speak to it, and the metrics endpoint and the dashboard can accept the
//! same tokens without depending on either.

mod credentials;
mod headers;

pub use credentials::{AuthError, Credentials, sign};
pub use headers::{SEQ_HEADER, SIGNATURE_HEADER, SOURCE_HEADER};
