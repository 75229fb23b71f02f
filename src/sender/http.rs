//! Sends batches to the webhook, retrying what is worth retrying.

use super::Progress;
use super::attempt::Attempt;
use super::outage::{Outage, spoken};
use crate::auth::{Credentials, SEQ_HEADER, SOURCE_HEADER};
use crate::record::StreamKind;
use crate::support::backoff::Backoff;
use crate::support::chain::Chain;
use crate::support::shutdown::Shutdown;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// Why a batch could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The webhook refused the batch: resending it unchanged would fail again.
    #[error("the webhook refused the {stream} batch with {status}: {message}")]
    Refused {
        /// The stream the batch belongs to.
        stream: StreamKind,
        /// The HTTP status the webhook answered with.
        status: StatusCode,
        /// The webhook's explanation, naming the record and field at fault where it can.
        message: String,
    },
    /// The webhook stayed unreachable or busy for longer than `--retry-for`.
    #[error(
        "gave up on the {stream} batch to {url} after retrying for {} (--retry-for){}",
        spoken(*waited),
        last.hint()
    )]
    GaveUp {
        /// The stream the batch belongs to.
        stream: StreamKind,
        /// How long retrying went on.
        waited: Duration,
        /// Where the batch was being sent.
        url: String,
        /// The last failure seen, the likeliest clue to the cause.
        #[source]
        last: Attempt,
    },
    /// Nothing is at the URL: `--webhook` has a path the server does not serve.
    #[error(
        "the webhook answered 404 Not Found for the {stream} batch at {url}: --webhook is the webhook's base URL (e.g. http://host:port), to which /metrics_webhook and /workorder_webhook are appended; check its path"
    )]
    NotFound {
        /// The stream the batch belongs to.
        stream: StreamKind,
        /// Where the batch was sent.
        url: String,
    },
    /// The webhook's certificate is not trusted; waiting will not change that, so no retry.
    #[error(
        "cannot talk TLS to {url}; if the webhook uses a private or self-signed certificate, pass its CA certificate with --ca-cert FILE"
    )]
    Tls {
        /// Where the batch was being sent.
        url: String,
        /// The HTTP client's error, whose causes say what the TLS library rejected.
        #[source]
        source: reqwest::Error,
    },
    /// Shutdown was asked for while the batch was still being retried.
    #[error("stopped before the batch was delivered")]
    Stopped,
}

/// An HTTP client for one webhook, with one connection pool for every batch.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    base: String,
    /// How long to keep retrying one batch before giving up.
    retry_for: Duration,
    credentials: Credentials,
    /// The bars the retry messages are printed above, so they are not drawn over.
    progress: Progress,
    /// The webhook failing, as told so far: shared by the clones that send each file.
    outage: Outage,
}

/// The HTTP client could not be built (its TLS settings, say).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client")]
pub struct ClientError(#[source] reqwest::Error);

impl Sender {
    /// A client for the webhook at `base_url` that presents `credentials` and trusts
    /// `ca_cert` besides the system's authorities.
    pub fn new(
        base_url: &str,
        retry_for: Duration,
        credentials: Credentials,
        ca_cert: Option<reqwest::Certificate>,
    ) -> Result<Self, ClientError> {
        crate::support::tls::install_crypto();
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(120));
        if let Some(ca) = ca_cert {
            builder = builder.tls_certs_merge([ca]);
        }
        let client = builder.build().map_err(ClientError)?;
        Ok(Sender {
            client,
            base: base_url.trim_end_matches('/').to_string(),
            retry_for,
            credentials,
            progress: Progress::new(false),
            outage: Outage::default(),
        })
    }

    /// This sender, printing its retry messages above `progress`'s bars.
    pub fn showing(mut self, progress: &Progress) -> Self {
        self.progress = progress.clone();
        self
    }

    /// Delivers one batch; returns once the webhook acknowledged it with a 2xx.
    ///
    /// Retries with exponential backoff (honouring Retry-After) on connection errors, 429,
    /// 408 and 5xx; stops at once on any other 4xx with the server's message.
    pub async fn send(
        &self,
        stream: StreamKind,
        source: &str,
        first_seq: u64,
        body: &[u8],
        shutdown: &Shutdown,
    ) -> Result<(), SendError> {
        let url = format!("{}{}", self.base, stream.webhook_path());
        let started = Instant::now();
        let mut backoff = Backoff::default();
        let auth = self.credentials.headers_for(body);
        loop {
            let mut request = self
                .client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SOURCE_HEADER, source)
                .header(SEQ_HEADER, first_seq.to_string());
            for (name, value) in &auth {
                request = request.header(*name, value);
            }
            let attempt = request.body(body.to_vec()).send().await;
            let (problem, wait) = match attempt {
                Ok(response) if response.status().is_success() => {
                    if let Some(line) = self.outage.answered(&self.base) {
                        self.progress.suspend(|| tracing::info!("{line}"));
                    }
                    return Ok(());
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let text = response.text().await.unwrap_or_default();
                    let message = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
                        .unwrap_or(text);
                    let retryable = status.is_server_error()
                        || status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::REQUEST_TIMEOUT;
                    if status == StatusCode::NOT_FOUND {
                        return Err(SendError::NotFound { stream, url });
                    }
                    if !retryable {
                        return Err(SendError::Refused {
                            stream,
                            status,
                            message,
                        });
                    }
                    (Attempt::Answered { status, message }, retry_after)
                }
                Err(e) => {
                    // An untrusted certificate will not become trusted by waiting. reqwest's
                    // own words are "error sending request": the certificate is named in
                    // its causes.
                    if Chain(&e).to_string().contains("certificate") {
                        return Err(SendError::Tls { url, source: e });
                    }
                    (Attempt::Unreachable(e), None)
                }
            };
            let waited = started.elapsed();
            if waited >= self.retry_for {
                return Err(SendError::GaveUp {
                    stream,
                    waited,
                    url,
                    last: problem,
                });
            }
            // The server's Retry-After is honoured as given, within the retry budget.
            let next = backoff.next_delay();
            let left = self.retry_for - waited;
            let pause = wait.unwrap_or(next).min(left);
            // The first failure is told at once, with what to check, then a reminder now and
            // then: a bar standing still says neither why nor for how long yet.
            if let Some(line) = self.outage.failed(&self.base, &problem, left) {
                self.progress.suspend(|| tracing::warn!("{line}"));
            }
            if !backoff.wait_for(pause, shutdown).await {
                return Err(SendError::Stopped);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn giving_up_asks_about_the_server_only_when_nothing_answered() {
        let busy = SendError::GaveUp {
            stream: StreamKind::Metrics,
            waited: Duration::from_secs(300),
            url: "http://h:1/metrics_webhook".into(),
            last: Attempt::Answered {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "the queue is unavailable".into(),
            },
        };
        assert_eq!(
            Chain(&busy).to_string(),
            "gave up on the metrics batch to http://h:1/metrics_webhook after retrying for 5 min \
             (--retry-for): the webhook answered 503 Service Unavailable: the queue is unavailable"
        );
    }
}
