//! The file sender (`millrace stream`): what it sends again, what it follows, and how it
//! knows a file.

mod follow;
mod identity;
mod incremental;
