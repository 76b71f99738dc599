//! Calendar buckets in an IANA time zone: days, weeks (from Monday) and
//! months, each starting at local midnight.

use super::TimeRange;
use crate::ValidationError;
use chrono::{DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The length of a series bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// A calendar day.
    Day,
    /// A calendar week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

/// Parses an IANA time zone name ("Europe/Amsterdam", "Asia/Kolkata", "UTC").
pub fn parse_zone(name: &str) -> Result<Tz, ValidationError> {
    name.parse::<Tz>().map_err(|_| {
        ValidationError::new(
            "timezone",
            "must be an IANA time zone such as Europe/Amsterdam",
        )
    })
}

/// The local date of instant `at_us` in `zone`.
pub fn local_date(at_us: i64, zone: Tz) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(at_us)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive()
}

/// The instant local `date` begins in `zone` (the first valid local time on
/// or after midnight, for zones that skip midnight).
pub fn start_of(date: NaiveDate, zone: Tz) -> i64 {
    let mut local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..48 {
        match zone.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.timestamp_micros(),
            LocalResult::None => local += Duration::minutes(30),
        }
    }
    local.and_utc().timestamp_micros()
}

/// The first local date of the bucket that holds `date`.
fn bucket_date(date: NaiveDate, interval: Interval) -> NaiveDate {
    match interval {
        Interval::Day => date,
        Interval::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
        Interval::Month => date.with_day(1).unwrap_or(date),
    }
}

fn next_bucket(date: NaiveDate, interval: Interval) -> NaiveDate {
    match interval {
        Interval::Day => date + Duration::days(1),
        Interval::Week => date + Duration::days(7),
        Interval::Month => date.checked_add_months(Months::new(1)).unwrap_or(date),
    }
}

/// The buckets of a range: from the one holding `from` to the one holding
/// the last instant before `to`.
#[derive(Debug, Clone)]
pub struct SeriesBuckets {
    zone: Tz,
    interval: Interval,
    dates: Vec<NaiveDate>,
}

impl SeriesBuckets {
    /// The buckets of `range` in `zone`.
    pub fn new(range: TimeRange, zone: Tz, interval: Interval) -> Self {
        Self::at_most(range, zone, interval, usize::MAX).unwrap_or(Self {
            zone,
            interval,
            dates: Vec::new(),
        })
    }

    /// The buckets covering `range`, or `None` when there would be more than
    /// `max` of them (found out without making them all).
    pub fn at_most(range: TimeRange, zone: Tz, interval: Interval, max: usize) -> Option<Self> {
        let first = bucket_date(local_date(range.from_us, zone), interval);
        let last = bucket_date(local_date(range.to_us - 1, zone), interval);
        let mut dates = vec![first];
        while *dates.last().unwrap_or(&last) < last {
            if dates.len() >= max {
                return None;
            }
            let next = next_bucket(*dates.last().unwrap_or(&last), interval);
            dates.push(next);
        }
        Some(Self {
            zone,
            interval,
            dates,
        })
    }

    /// The first local date of every bucket, in order.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// The instant each bucket starts.
    pub fn start_of(&self, index: usize) -> i64 {
        start_of(self.dates[index], self.zone)
    }

    /// The bucket holding instant `at_us`, if it is one of these.
    pub fn index_of(&self, at_us: i64) -> Option<usize> {
        let date = bucket_date(local_date(at_us, self.zone), self.interval);
        let first = *self.dates.first()?;
        let index = match self.interval {
            Interval::Day => (date - first).num_days(),
            Interval::Week => (date - first).num_days() / 7,
            Interval::Month => {
                i64::from(date.year() - first.year()) * 12 + i64::from(date.month())
                    - i64::from(first.month())
            }
        };
        usize::try_from(index)
            .ok()
            .filter(|i| *i < self.dates.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn weeks_start_on_monday_in_the_zone() {
        let range = TimeRange::new(us("2026-03-01T00:00:00Z"), us("2026-04-01T00:00:00Z")).unwrap();
        let weeks = SeriesBuckets::new(range, Tz::UTC, Interval::Week);
        let labels: Vec<String> = weeks.dates().iter().map(|d| d.to_string()).collect();
        assert_eq!(
            labels,
            [
                "2026-02-23",
                "2026-03-02",
                "2026-03-09",
                "2026-03-16",
                "2026-03-23",
                "2026-03-30"
            ]
        );
        assert_eq!(weeks.index_of(us("2026-03-01T23:59:59Z")), Some(0));
        assert_eq!(weeks.index_of(us("2026-03-02T00:00:00Z")), Some(1));
    }

    #[test]
    fn non_whole_hour_offsets() {
        let kolkata: Tz = parse_zone("Asia/Kolkata").unwrap();
        let range = TimeRange::new(us("2026-03-01T00:00:00Z"), us("2026-04-01T00:00:00Z")).unwrap();
        let days = SeriesBuckets::new(range, kolkata, Interval::Day);
        assert_eq!(days.dates().first().unwrap().to_string(), "2026-03-01");
        assert_eq!(days.dates().last().unwrap().to_string(), "2026-04-01");
        assert_eq!(days.index_of(us("2026-03-31T18:30:00Z")), Some(31));
        assert_eq!(days.start_of(0), us("2026-02-28T18:30:00Z"));
        assert!(parse_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn months() {
        let range = TimeRange::new(us("2026-01-31T00:00:00Z"), us("2026-03-01T00:00:00Z")).unwrap();
        let months = SeriesBuckets::new(range, Tz::UTC, Interval::Month);
        assert_eq!(months.dates().len(), 2);
        assert_eq!(months.index_of(us("2026-02-28T12:00:00Z")), Some(1));
    }
}
