//! The checks an option's value must pass, as clap value parsers: a value out of bounds is
//! refused while the command line, the environment and `millrace.toml` are read, before any
//! work starts, with the same words wherever it came from.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// A parser for a number that must lie in `range`.
pub fn between<T>(
    range: RangeInclusive<T>,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + Display + Clone + Send + Sync + 'static,
{
    move |text: &str| {
        let told = || {
            format!(
                "must be a whole number between {} and {}",
                range.start(),
                range.end()
            )
        };
        let value: T = text.trim().parse().map_err(|_| told())?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(told())
        }
    }
}

/// A parser for a number above 0 and at most `most` (NaN and infinities refused).
pub fn positive_at_most(
    most: f64,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |text: &str| match text.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= most => Ok(v),
        _ => Err(format!("must be a number above 0 (and at most {most})")),
    }
}

/// An age or period such as `30d`, `12h`, `90min` or `1w` (humantime's units), in whole
/// seconds: at least one second, at most a hundred years.
pub fn age(text: &str) -> Result<i64, String> {
    let told = |why: &str| {
        format!("{why}: give a duration such as 30d, 12h, 90min or 1w (s, min, h, d, w)")
    };
    let duration = humantime::parse_duration(text.trim()).map_err(|e| told(&e.to_string()))?;
    let seconds = duration.as_secs();
    if seconds == 0 || seconds > 100 * 365 * 86_400 {
        return Err(told("must be between 1s and 100 years"));
    }
    Ok(seconds as i64)
}

/// `--broker`: `embedded`, or an `amqp://` URL. A refused URL is shown without its password.
pub fn broker_url(text: &str) -> Result<String, String> {
    if text == "embedded" || text.starts_with("amqp://") {
        Ok(text.to_string())
    } else {
        Err(format!(
            "must be `embedded` or an amqp:// URL, got `{}`",
            crate::support::redact::redact(text)
        ))
    }
}

/// `--metrics-queue`, `--workorder-queue`: a RabbitMQ queue name millrace can also name its
/// dead-letter queue after.
pub fn queue_name(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 200
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c));
    if valid {
        Ok(text.to_string())
    } else {
        Err("must be 1 to 200 letters, digits or `._-:`".to_string())
    }
}

/// `--client-id`: what MQTT allows a client id to be.
pub fn client_id(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > 65_535 {
        Err("must hold 1 to 65535 bytes".to_string())
    } else {
        Ok(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_read_in_humantime_units_and_bounded() {
        assert_eq!(age("30d"), Ok(30 * 86_400));
        assert_eq!(age("12h"), Ok(43_200));
        assert_eq!(age("90min"), Ok(5_400));
        assert_eq!(age(" 1w "), Ok(604_800));
        for bad in ["", "30", "0s", "soon", "200years"] {
            let err = age(bad).unwrap_err();
            assert!(err.contains("such as 30d"), "{bad}: {err}");
        }
    }

    #[test]
    fn numbers_are_held_to_their_range_in_one_wording() {
        let batch = between(1..=1_000_000usize);
        assert_eq!(batch("5000"), Ok(5000));
        for refused in ["0", "1000001", "-1", "many", "99999999999999999999999"] {
            assert_eq!(
                batch(refused),
                Err("must be a whole number between 1 and 1000000".to_string()),
                "{refused}"
            );
        }
        let scale = positive_at_most(100_000.0);
        assert_eq!(scale("0.5"), Ok(0.5));
        for refused in ["0", "-1", "NaN", "inf", "100001"] {
            assert!(scale(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn names_and_urls_are_checked_without_showing_secrets() {
        assert!(broker_url("embedded").is_ok());
        assert!(broker_url("amqp://u:p@h/%2f").is_ok());
        let err = broker_url("http://u:secret@h").unwrap_err();
        assert!(!err.contains("secret"), "{err}");
        assert!(queue_name("metrics.v2").is_ok());
        assert!(queue_name("").is_err());
        assert!(queue_name("a b").is_err());
        assert!(client_id("").is_err());
        assert!(client_id("line-7").is_ok());
    }
}
