//! Turning bytes into validated record batches: the JSON layouts millrace accepts (arrays,
//! NDJSON, one object, and the double-encoded string the original streamer sends), shared by
//! the webhook and the file reader so both edges accept and refuse exactly the same things.

mod body;
mod error;
mod packed;
mod scan;

pub use body::{decode_body, decode_queued};
pub use error::{DecodeError, DecodeErrorKind};
pub use packed::{encode_packed, is_packed};
pub use scan::{Layout, ScanError, Scanner, Step};
