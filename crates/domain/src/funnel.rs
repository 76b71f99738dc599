//! The funnel chain of one customer in one journey: when they reached each
//! phase, in the journey's order.
//!
//! t1 is the customer's earliest interaction in the first phase; for every
//! next phase k, tk is their earliest interaction in phase k at or after
//! t(k-1) (an interaction at the same instant counts). The chain stops at the
//! first phase with no such interaction. Whether a step counts for a funnel
//! query (the conversion window) is decided when the chain is read.

/// The chain of a customer whose interactions in a journey happened at
/// `events` (time in microseconds, phase index from 0), in any order, in a
/// journey of `phases` phases. Element k is tk (as microseconds).
pub fn chain(events: &[(i64, usize)], phases: usize) -> Vec<i64> {
    let mut times_by_phase: Vec<Vec<i64>> = vec![Vec::new(); phases];
    for &(at, phase) in events {
        if let Some(times) = times_by_phase.get_mut(phase) {
            times.push(at);
        }
    }
    let mut steps = Vec::new();
    let mut previous = i64::MIN;
    for times in &mut times_by_phase {
        times.sort_unstable();
        let next = times.partition_point(|&t| t < previous);
        match times.get(next) {
            Some(&at) => {
                steps.push(at);
                previous = at;
            }
            None => break,
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_follows_the_phase_order() {
        // Awareness at 10, consideration at 5 (too early) and 20, decision at 20.
        let events = [(10, 0), (5, 1), (20, 1), (20, 2), (3, 3)];
        assert_eq!(chain(&events, 4), vec![10, 20, 20]);
    }

    #[test]
    fn the_earliest_first_phase_interaction_starts_the_chain() {
        let events = [(50, 0), (10, 0), (30, 1)];
        assert_eq!(chain(&events, 2), vec![10, 30]);
    }

    #[test]
    fn no_first_phase_means_no_chain() {
        assert!(chain(&[(1, 1), (2, 2)], 3).is_empty());
        assert!(chain(&[], 3).is_empty());
        assert!(chain(&[(1, 0)], 0).is_empty());
    }

    #[test]
    fn a_skipped_phase_ends_the_chain() {
        assert_eq!(chain(&[(1, 0), (2, 2)], 3), vec![1]);
    }
}
