//! The date and time placeholders: pendulum's format tokens (`YYYY` … `Q`) rendered with chrono
//! and lowercased, `curr_date`, `timestamp(_ms)` and `load_package_timestamp(_ms)` (spec §2.2).

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};

/// pendulum format tokens dlt accepts as placeholders.
pub const DATETIME_TOKENS: [&str; 24] = [
    "YYYY", "YY", "Y", "MMMM", "MMM", "MM", "M", "DD", "D", "HH", "H", "mm", "m", "dddd", "ddd",
    "dd", "d", "ss", "s", "SSSS", "SSS", "SS", "S", "Q",
];

/// Every date/time placeholder (the tokens plus the derived values).
pub fn is_datetime_param(name: &str) -> bool {
    DATETIME_TOKENS.contains(&name)
        || matches!(
            name,
            "curr_date"
                | "timestamp"
                | "timestamp_ms"
                | "load_package_timestamp"
                | "load_package_timestamp_ms"
        )
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

/// One pendulum token of `moment` in its own offset, lowercased.
pub fn format_token(moment: &DateTime<FixedOffset>, token: &str) -> Option<String> {
    let month = MONTHS[moment.month0() as usize];
    let weekday = WEEKDAYS[moment.weekday().num_days_from_sunday() as usize];
    let fraction = format!("{:06}", moment.nanosecond().min(999_999_999) / 1000);
    let text = match token {
        "YYYY" => format!("{:04}", moment.year()),
        "YY" => format!("{:02}", moment.year().rem_euclid(100)),
        "Y" => moment.year().to_string(),
        "MMMM" => month.to_string(),
        "MMM" => month[..3].to_string(),
        "MM" => format!("{:02}", moment.month()),
        "M" => moment.month().to_string(),
        "DD" => format!("{:02}", moment.day()),
        "D" => moment.day().to_string(),
        "HH" => format!("{:02}", moment.hour()),
        "H" => moment.hour().to_string(),
        "mm" => format!("{:02}", moment.minute()),
        "m" => moment.minute().to_string(),
        "ss" => format!("{:02}", moment.second()),
        "s" => moment.second().to_string(),
        "dddd" => weekday.to_string(),
        "ddd" => weekday[..3].to_string(),
        "dd" => weekday[..2].to_string(),
        "d" => moment.weekday().num_days_from_sunday().to_string(),
        "SSSS" => fraction[..4].to_string(),
        "SSS" => fraction[..3].to_string(),
        "SS" => fraction[..2].to_string(),
        "S" => fraction[..1].to_string(),
        "Q" => (moment.month0() / 3 + 1).to_string(),
        _ => return None,
    };
    Some(text)
}

/// Whole seconds since the epoch, floored (dlt's `datetime_to_timestamp`).
pub fn epoch_secs(moment: &DateTime<FixedOffset>) -> i64 {
    moment.timestamp()
}

/// Whole milliseconds since the epoch, floored.
pub fn epoch_millis(moment: &DateTime<FixedOffset>) -> i64 {
    moment.timestamp_micros().div_euclid(1000)
}

/// The date/time parameters of one file: `reference` renders the tokens, `timestamp(_ms)` and
/// `curr_date`; `package` (UTC) renders `load_package_timestamp(_ms)`.
#[derive(Debug, Clone)]
pub struct DatetimeParams {
    reference: DateTime<FixedOffset>,
    package: Option<DateTime<Utc>>,
}

impl DatetimeParams {
    /// Params for a file: `current` (a configured `current_datetime`) else the package timestamp
    /// else now.
    pub fn new(current: Option<DateTime<FixedOffset>>, package: Option<DateTime<Utc>>) -> Self {
        let reference = current
            .or_else(|| package.map(|p| p.fixed_offset()))
            .unwrap_or_else(|| Utc::now().fixed_offset());
        DatetimeParams { reference, package }
    }

    /// The value of a date/time placeholder, if `name` is one that has a value here.
    pub fn get(&self, name: &str) -> Option<String> {
        let package = self.package.map(|p| p.fixed_offset());
        match name {
            "timestamp" => Some(epoch_secs(&self.reference).to_string()),
            "timestamp_ms" => Some(epoch_millis(&self.reference).to_string()),
            "curr_date" => Some(self.reference.date_naive().format("%Y-%m-%d").to_string()),
            "load_package_timestamp" => package.map(|p| epoch_secs(&p).to_string()),
            "load_package_timestamp_ms" => package.map(|p| epoch_millis(&p).to_string()),
            token => format_token(&self.reference, token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tokens_match_the_spec_example() {
        // spec §2.2: 2024-03-09 14:05:07.123456 UTC
        let t = Utc
            .with_ymd_and_hms(2024, 3, 9, 14, 5, 7)
            .unwrap()
            .fixed_offset()
            + chrono::Duration::microseconds(123_456);
        let rendered: Vec<String> = DATETIME_TOKENS
            .iter()
            .map(|t2| format_token(&t, t2).unwrap())
            .collect();
        assert_eq!(
            rendered.join("-"),
            "2024-24-2024-march-mar-03-3-09-9-14-14-05-5-saturday-sat-sa-6-07-7-1234-123-12-1-1"
        );
        let params = DatetimeParams::new(Some(t), None);
        assert_eq!(params.get("timestamp").unwrap(), "1709993107");
        assert_eq!(params.get("timestamp_ms").unwrap(), "1709993107123");
        assert_eq!(params.get("curr_date").unwrap(), "2024-03-09");
        assert_eq!(params.get("load_package_timestamp"), None);
    }

    #[test]
    fn moments_before_the_epoch_floor() {
        let t = Utc.timestamp_opt(-2, 500_000_000).unwrap().fixed_offset();
        assert_eq!(epoch_secs(&t), -2);
        assert_eq!(epoch_millis(&t), -1500);
    }
}
