//! `stream --webhook`: the webhook's base URL, to which the streamer appends each stream's
//! endpoint. Checked before anything is sent, as a wrong one would otherwise be retried for
//! the whole of `--retry-for` (no scheme) or answered 404 on every batch (an endpoint given
//! instead of the base).

use crate::app::UsageError;
use crate::record::StreamKind;

/// The form `--webhook` takes, for messages.
const FORM: &str = "http://host:port (or https://host:port)";

/// `--webhook`'s value parser: the URL, once [`check`] accepts it.
pub fn parse(url: &str) -> Result<String, UsageError> {
    check(url).map(|()| url.to_string())
}

/// Refuses a `--webhook` that is not an http(s) URL with a host, or that names one of the
/// endpoints instead of the base they hang off.
pub fn check(url: &str) -> Result<(), UsageError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        UsageError::because(
            format!("--webhook `{url}` is not a URL: give the webhook's base URL as {FORM}"),
            e,
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
        return Err(UsageError::new(format!(
            "--webhook `{url}` is not an http(s) URL with a host: give the webhook's base URL as {FORM}"
        )));
    }
    let path = parsed.path().trim_end_matches('/');
    for kind in StreamKind::ALL {
        if let Some(base) = path.strip_suffix(kind.webhook_path()) {
            let mut suggested = parsed.clone();
            suggested.set_path(base);
            suggested.set_query(None);
            let suggested = suggested.as_str().trim_end_matches('/').to_string();
            return Err(UsageError::new(format!(
                "--webhook is the webhook's base URL, and the streamer appends \
                 /metrics_webhook and /workorder_webhook to it: give --webhook {suggested}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_is_accepted_with_or_without_a_prefix() {
        for url in [
            "http://127.0.0.1:5000",
            "https://plant.example/",
            "http://h:1/ingest",
        ] {
            assert!(check(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn a_url_without_scheme_or_host_names_the_form() {
        for url in [
            "127.0.0.1:5072",
            "localhost:5000",
            "ftp://h/x",
            "http://",
            "unix:/run/sock",
        ] {
            let err = check(url).unwrap_err().to_string();
            assert!(err.contains("http://host:port"), "{url}: {err}");
        }
    }

    #[test]
    fn an_endpoint_is_refused_with_the_base_suggested() {
        let err = check("http://h:5000/metrics_webhook")
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("give --webhook http://h:5000"), "{err}");
        let err = check("http://h:5000/p/workorder_webhook/")
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("give --webhook http://h:5000/p"), "{err}");
    }
}
