//! The funnel: how many customers who entered reached each phase in order
//! within the conversion window, and how long each step took.

use super::{SECOND_US, nearest_rank, rate};

/// One step (phase) of a funnel.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelStep {
    /// Customers who reached this step within the window.
    pub customers: u64,
    /// `customers` over the previous step's (1 for the first step; 0 when
    /// nobody entered).
    pub conversion_from_previous: f64,
    /// `customers` over the first step's (0 when nobody entered).
    pub conversion_from_start: f64,
    /// The previous step's customers who did not reach this one (0 for the
    /// first step).
    pub drop_off: u64,
    /// The median of tk − t(k−1), in seconds (none for the first step or
    /// when nobody reached the step).
    pub median_seconds_from_previous: Option<f64>,
    /// The 90th percentile (nearest rank) of tk − t(k−1), in seconds.
    pub p90_seconds_from_previous: Option<f64>,
}

/// The funnel of the customers whose chains are given (those who entered:
/// t1 in the range), in a journey of `phases` phases. A chain holds tk in
/// microseconds, from any origin (the store's start at t1 = 0: only
/// differences count); step k counts when it exists and tk − t1 ≤
/// `window_us`.
pub fn funnel_steps<'a>(
    chains: impl IntoIterator<Item = &'a [i64]>,
    phases: usize,
    window_us: i64,
) -> Vec<FunnelStep> {
    let mut reached = vec![0u64; phases];
    let mut gaps: Vec<Vec<i64>> = vec![Vec::new(); phases];
    for chain in chains {
        let Some(&start) = chain.first() else {
            continue;
        };
        for (step, &at) in chain.iter().enumerate().take(phases) {
            if at - start > window_us {
                break;
            }
            reached[step] += 1;
            if step > 0 {
                gaps[step].push(at - chain[step - 1]);
            }
        }
    }
    let entered = reached.first().copied().unwrap_or(0);
    (0..phases)
        .map(|step| {
            let customers = reached[step];
            let previous = if step == 0 {
                entered
            } else {
                reached[step - 1]
            };
            let step_gaps = &mut gaps[step];
            let seconds = |us: i64| us as f64 / SECOND_US as f64;
            FunnelStep {
                customers,
                conversion_from_previous: if step == 0 {
                    if entered > 0 { 1.0 } else { 0.0 }
                } else {
                    rate(customers, previous).unwrap_or(0.0)
                },
                conversion_from_start: rate(customers, entered).unwrap_or(0.0),
                drop_off: previous - customers,
                median_seconds_from_previous: nearest_rank(step_gaps, 50).map(seconds),
                p90_seconds_from_previous: nearest_rank(step_gaps, 90).map(seconds),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_count_within_the_window() {
        let day = 86_400 * SECOND_US;
        let chains: Vec<Vec<i64>> =
            vec![vec![0, day, 2 * day], vec![0, 40 * day], vec![5, 5 + day]];
        let steps = funnel_steps(chains.iter().map(Vec::as_slice), 3, 30 * day);
        assert_eq!(
            steps.iter().map(|s| s.customers).collect::<Vec<_>>(),
            [3, 2, 1]
        );
        assert_eq!(steps[1].drop_off, 1);
        assert_eq!(steps[1].median_seconds_from_previous, Some(86_400.0));
        assert_eq!(steps[0].conversion_from_previous, 1.0);
        assert!((steps[2].conversion_from_start - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(steps[0].median_seconds_from_previous, None);
    }

    #[test]
    fn nobody_entered() {
        let steps = funnel_steps(std::iter::empty(), 2, 1);
        assert_eq!(steps[0].conversion_from_previous, 0.0);
        assert_eq!(steps[1].conversion_from_start, 0.0);
        assert_eq!(steps[1].p90_seconds_from_previous, None);
    }
}
