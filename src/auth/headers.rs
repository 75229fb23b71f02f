//! The names of millrace's own HTTP headers, in one place because a client and a server must
//! spell them alike: the sender writes them, the webhook reads them.

/// Header carrying `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "x-millrace-signature";
/// Header naming where the records come from (e.g. a data file); see
/// `queue::Envelope::source`.
pub const SOURCE_HEADER: &str = "millrace-source";
/// Header with the position of the batch's first record within its source.
pub const SEQ_HEADER: &str = "millrace-seq";
