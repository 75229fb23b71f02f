//! Unix seconds as readable UTC dates, for the report's text, the operator's commands and
//! the log lines.

/// `2021-06-22 16:37 UTC`.
pub fn utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// `2021-06-22`: the calendar day (UTC), for time axes where the hour would be clutter.
pub fn date(seconds: i64) -> String {
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2021-06-22T15:57:58.123456Z`: an instant as RFC 3339 in UTC with microseconds, as log
/// lines write it.
pub fn rfc3339_micros(at: std::time::SystemTime) -> String {
    let since = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let whole = iso8601(i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
    format!(
        "{}.{:06}Z",
        whole.trim_end_matches('Z'),
        since.subsec_micros()
    )
}

/// `2021-06-22T16:37:58Z`: ISO 8601 in UTC, for machines and operators alike.
pub fn iso8601(seconds: i64) -> String {
    let rest = seconds.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(seconds),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_624_377_478), "2021-06-22 15:57 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(date(1_624_377_478), "2021-06-22");
        assert_eq!(date(-1), "1969-12-31");
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_624_377_478_000_042);
        assert_eq!(rfc3339_micros(at), "2021-06-22T15:57:58.000042Z");
        assert_eq!(iso8601(1_624_377_478), "2021-06-22T15:57:58Z");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59Z");
    }
}
