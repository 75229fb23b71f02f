//! URLs with their passwords hidden, for every message and log line that names a broker or a
//! database: `amqp://user:secret@host/` → `amqp://user:***@host/`.

/// `scheme://user:secret@host/` → `scheme://user:***@host/`; a text that is not a URL is not
/// shown at all, since it might be a secret.
pub fn redact(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return "(not a URL)".to_string();
    };
    // The host follows the last `@`: a password may itself hold `@`.
    match rest.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{credentials}@{host}"),
        },
        None => uri.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("amqp://guest:guest@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(redact("amqp://127.0.0.1"), "amqp://127.0.0.1");
        assert_eq!(redact("amqp://u:p@ss@host/"), "amqp://u:***@host/");
        assert_eq!(
            redact("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("u:secret@host"), "(not a URL)");
    }
}
