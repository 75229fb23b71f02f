//! The webhook: the bodies it takes and refuses, hostile requests, its limits,
//! authentication and TLS.

mod bodies;
mod hostile;
mod limits;
mod security;
mod tls;
