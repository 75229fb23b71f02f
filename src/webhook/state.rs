//! What every request handler shares, in a file of its own so that the handlers do not
//! import the router that calls them.

use super::config::WebhookConfig;
use crate::queue::Queue;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState<Q: Queue> {
    /// Where accepted batches are published.
    pub queue: Q,
    /// The limits and credentials every request is checked against.
    pub config: WebhookConfig,
}
