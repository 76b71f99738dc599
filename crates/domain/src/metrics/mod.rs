//! Journey metrics: the pure definitions every figure is computed by, shared
//! by the service (which feeds them from rollups) and by the test oracle
//! (which feeds them from raw interactions). `docs/metrics.md` explains each.

pub mod funnel;
pub mod oracle;
pub mod paths;
pub mod results;
pub mod series;
pub mod tally;

pub use funnel::{FunnelStep, funnel_steps};
pub use paths::{PathCount, Paths, collapse, paths};
pub use results::{
    EmotionFigures, JourneyShape, MixRow, PhaseEmotion, SeriesGroup, SeriesRow, ShapeTouchpoint,
    Summary, channel_mix, emotion_curve, series_groups, series_rows,
};
pub use series::{Interval, SeriesBuckets};
pub use tally::Tally;

use crate::ValidationError;

/// Microseconds in a second.
pub const SECOND_US: i64 = 1_000_000;
/// Microseconds in a day.
pub const DAY_US: i64 = 86_400 * SECOND_US;
/// The default conversion window, in days.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;
/// How long after a first conversion a second one makes a repeat, in days.
pub const REPEAT_WINDOW_DAYS: i64 = 30;
/// The longest range a metric query may cover, in days.
pub const MAX_RANGE_DAYS: i64 = 3_660;

/// A half-open time range `[from, to)` in microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// The first instant in the range.
    pub from_us: i64,
    /// The first instant after the range.
    pub to_us: i64,
}

impl TimeRange {
    /// Validates a range: `from` before `to`, at most ten years long.
    pub fn new(from_us: i64, to_us: i64) -> Result<Self, ValidationError> {
        if from_us >= to_us {
            return Err(ValidationError::new("to", "must lie after from"));
        }
        if to_us - from_us > MAX_RANGE_DAYS * DAY_US {
            return Err(ValidationError::new(
                "from",
                format!("the range must not be longer than {MAX_RANGE_DAYS} days"),
            ));
        }
        Ok(Self { from_us, to_us })
    }

    /// Whether `at` lies in the range.
    pub fn contains(&self, at: i64) -> bool {
        self.from_us <= at && at < self.to_us
    }
}

/// A rate `part / whole`, or `None` when the whole is empty.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The value at nearest rank `ceil(p/100 × n)` of `values` in ascending
/// order (`None` when empty). Selects it in linear time, reordering
/// `values`.
pub fn nearest_rank(values: &mut [i64], percentile: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as u64;
    let rank = (u64::from(percentile) * n).div_ceil(100).clamp(1, n);
    Some(*values.select_nth_unstable(rank as usize - 1).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_follows_the_definition() {
        let mut v = [70, 20, 100, 40, 10, 60, 30, 80, 90, 50];
        assert_eq!(nearest_rank(&mut v, 50), Some(50));
        assert_eq!(nearest_rank(&mut v, 90), Some(90));
        assert_eq!(nearest_rank(&mut v, 100), Some(100));
        assert_eq!(nearest_rank(&mut v, 1), Some(10));
        assert_eq!(nearest_rank(&mut [7], 90), Some(7));
        assert_eq!(nearest_rank(&mut [3, 1, 2], 50), Some(2));
        assert_eq!(nearest_rank(&mut [2, 1], 50), Some(1));
        assert_eq!(nearest_rank(&mut [], 50), None);
    }

    #[test]
    fn ranges_are_checked() {
        assert!(TimeRange::new(5, 5).is_err());
        assert!(TimeRange::new(0, 3_661 * DAY_US).is_err());
        let r = TimeRange::new(0, 10).unwrap();
        assert!(r.contains(0) && r.contains(9) && !r.contains(10));
    }
}
