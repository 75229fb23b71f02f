//! What `millrace mqtt` is told: the broker's URL (credentials inside or apart), the topics
//! that feed each stream, the client id of the persistent session and the CA to trust.

use crate::record::StreamKind;
use std::path::PathBuf;

/// One subscription: a topic filter (`plant/+/metrics`) whose messages feed one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The stream the messages' records belong to.
    pub stream: StreamKind,
    /// The MQTT topic filter, wildcards `+` and `#` allowed.
    pub filter: String,
}

impl Subscription {
    /// Parses `stream=filter`, as `--topic` takes it.
    pub fn parse(text: &str) -> Result<Self, MqttConfigError> {
        let bad = || MqttConfigError::Topic(text.to_string());
        let (stream, filter) = text.split_once('=').ok_or_else(bad)?;
        let stream: StreamKind = stream.trim().parse().map_err(|_| bad())?;
        let filter = filter.trim();
        if filter.is_empty() || !valid_filter(filter) {
            return Err(bad());
        }
        Ok(Subscription {
            stream,
            filter: filter.to_string(),
        })
    }

    /// Whether `topic` is one this subscription's filter covers.
    pub fn matches(&self, topic: &str) -> bool {
        let mut levels = topic.split('/');
        for want in self.filter.split('/') {
            match (want, levels.next()) {
                ("#", _) => return true,
                ("+", Some(_)) => {}
                (want, Some(got)) if want == got => {}
                _ => return false,
            }
        }
        levels.next().is_none()
    }
}

/// `#` only as the last level, wildcards only as whole levels.
fn valid_filter(filter: &str) -> bool {
    let levels: Vec<&str> = filter.split('/').collect();
    levels.iter().enumerate().all(|(i, level)| match *level {
        "#" => i + 1 == levels.len(),
        "+" => true,
        other => !other.contains(['#', '+']),
    })
}

/// Everything the subscriber needs to connect and subscribe. Its `Debug` leaves the
/// password out.
#[derive(Clone)]
pub struct MqttConfig {
    /// The broker's host name or address.
    pub host: String,
    /// The broker's port (1883 for mqtt://, 8883 for mqtts:// unless the URL says).
    pub port: u16,
    /// TLS (`mqtts://`).
    pub tls: bool,
    /// The user name, from the URL or `--mqtt-username`.
    pub username: Option<String>,
    /// The password, from the URL or `--mqtt-password`; never printed.
    pub password: Option<String>,
    /// The client id: the broker keeps the session (and the messages not yet acknowledged)
    /// under it, so it must stay the same across restarts.
    pub client_id: String,
    /// The topics and the stream each feeds.
    pub topics: Vec<Subscription>,
    /// A CA certificate (PEM) to trust for mqtts://, instead of the system's.
    pub ca_cert: Option<PathBuf>,
    /// The most records one message may hold (as the webhook's `--max-batch-records`).
    pub max_batch_records: usize,
    /// The largest message accepted, in bytes (as the webhook's `--max-body-bytes`).
    pub max_payload_bytes: usize,
    /// How batches are written on the queue (`--queue-format`).
    pub body_format: crate::queue::BodyFormat,
}

impl MqttConfig {
    /// Reads `mqtt://[user[:password]@]host[:port][/]` (or `mqtts://`); the other fields
    /// start empty or at their defaults, for the caller to fill.
    pub fn from_url(url: &str, client_id: String) -> Result<Self, MqttConfigError> {
        let bad = || MqttConfigError::Url(crate::support::redact::redact(url));
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let (tls, default_port) = match scheme {
            "mqtt" | "tcp" => (false, 1883),
            "mqtts" | "ssl" => (true, 8883),
            _ => return Err(bad()),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((user, host)) => (Some(user), host),
            None => (None, rest),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(info) => match info.split_once(':') {
                Some((u, p)) => (Some(unescape(u)), Some(unescape(p))),
                None => (Some(unescape(info)), None),
            },
        };
        let port = |text: &str| text.parse::<u16>().map_err(|_| bad());
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            match after.strip_prefix(':') {
                Some(p) => (host, port(p)?),
                None if after.is_empty() => (host, default_port),
                None => return Err(bad()),
            }
        } else {
            match hostport.split_once(':') {
                Some((host, p)) => (host, port(p)?),
                None => (hostport, default_port),
            }
        };
        if host.is_empty() || host.contains('/') {
            return Err(bad());
        }
        Ok(MqttConfig {
            host: host.to_string(),
            port,
            tls,
            username,
            password,
            client_id,
            topics: Vec::new(),
            ca_cert: None,
            max_batch_records: usize::MAX,
            max_payload_bytes: usize::MAX,
            body_format: crate::queue::BodyFormat::default(),
        })
    }

    /// The stream a message on `topic` feeds: the first subscription that covers it.
    pub fn stream_of(&self, topic: &str) -> Option<StreamKind> {
        self.topics
            .iter()
            .find(|s| s.matches(topic))
            .map(|s| s.stream)
    }

    /// The broker as logs show it: no password.
    pub fn shown(&self) -> String {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        match &self.username {
            Some(user) => format!("{scheme}://{user}@{}:{}", self.host, self.port),
            None => format!("{scheme}://{}:{}", self.host, self.port),
        }
    }
}

impl std::fmt::Debug for MqttConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttConfig")
            .field("broker", &self.shown())
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("client_id", &self.client_id)
            .field("topics", &self.topics)
            .field("ca_cert", &self.ca_cert)
            .finish_non_exhaustive()
    }
}

/// `%XX` escapes in a URL's user name or password, decoded (`p%40ss` → `p@ss`).
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A setting of `millrace mqtt` that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum MqttConfigError {
    /// The broker URL is not one millrace reads (shown with its password hidden).
    #[error("--url must be mqtt://[user[:password]@]host[:port] or mqtts://…, got `{0}`")]
    Url(String),
    /// A `--topic` that is not `stream=filter`.
    #[error(
        "--topic must be metrics=FILTER or workorder=FILTER with an MQTT topic filter (e.g. metrics=plant/+/metrics), got `{0}`"
    )]
    Topic(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_and_credentials() {
        let c = MqttConfig::from_url("mqtts://u:p%40ss@broker.local", "id".into()).unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls),
            ("broker.local", 8883, true)
        );
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        assert_eq!(c.shown(), "mqtts://u@broker.local:8883");
        let c = MqttConfig::from_url("mqtt://127.0.0.1:1884/", "id".into()).unwrap();
        assert_eq!((c.host.as_str(), c.port, c.tls), ("127.0.0.1", 1884, false));
        let err = MqttConfig::from_url("http://u:secret@h", "id".into()).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        let c = MqttConfig::from_url("mqtt://u:secret@h", "id".into()).unwrap();
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn filters_match_as_mqtt_says() {
        let s = Subscription::parse("metrics=plant/+/metrics").unwrap();
        assert_eq!(s.stream, StreamKind::Metrics);
        assert!(s.matches("plant/7/metrics"));
        assert!(!s.matches("plant/7/metrics/x"));
        assert!(!s.matches("plant/metrics"));
        let all = Subscription::parse("workorder=plant/#").unwrap();
        assert!(all.matches("plant/a/b"));
        assert!(Subscription::parse("metrics=a/#/b").is_err());
        assert!(Subscription::parse("volts=a/b").is_err());
        assert!(Subscription::parse("metrics").is_err());
    }
}
