//! Paths: the sequence of phases each customer went through, repeats
//! collapsed, and how often customers stepped back or skipped ahead.

use super::rate;
use std::collections::HashMap;

/// Collapses consecutive repeats: `[0, 0, 1, 1, 0]` becomes `[0, 1, 0]`.
pub fn collapse(phases: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut path: Vec<usize> = Vec::new();
    for phase in phases {
        if path.last() != Some(&phase) {
            path.push(phase);
        }
    }
    path
}

/// One common path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathCount {
    /// The phases (by position) in order.
    pub phases: Vec<usize>,
    /// Customers who took it.
    pub customers: u64,
    /// Their share of all customers.
    pub share: f64,
}

/// The paths of a set of customers.
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    /// Customers with a path (at least one interaction).
    pub customers: u64,
    /// The most common paths, most customers first (then by phases).
    pub paths: Vec<PathCount>,
    /// The share of customers who moved to an earlier phase at least once.
    pub back_step_rate: f64,
    /// The share of customers who moved ahead by more than one phase at least once.
    pub skip_rate: f64,
}

/// Counts the collapsed paths of customers and keeps the `limit` most common.
pub fn paths(customer_paths: impl IntoIterator<Item = Vec<usize>>, limit: usize) -> Paths {
    let mut counts: HashMap<Vec<usize>, u64> = HashMap::new();
    let (mut customers, mut back, mut skip) = (0u64, 0u64, 0u64);
    for path in customer_paths {
        if path.is_empty() {
            continue;
        }
        customers += 1;
        if path.windows(2).any(|w| w[1] < w[0]) {
            back += 1;
        }
        if path.windows(2).any(|w| w[1] > w[0] + 1) {
            skip += 1;
        }
        *counts.entry(path).or_default() += 1;
    }
    let mut ranked: Vec<(Vec<usize>, u64)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(limit);
    Paths {
        customers,
        paths: ranked
            .into_iter()
            .map(|(phases, n)| PathCount {
                phases,
                customers: n,
                share: rate(n, customers).unwrap_or(0.0),
            })
            .collect(),
        back_step_rate: rate(back, customers).unwrap_or(0.0),
        skip_rate: rate(skip, customers).unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_and_ranks() {
        assert_eq!(collapse([0, 0, 1, 1, 0, 2]), vec![0, 1, 0, 2]);
        let p = paths(vec![vec![0], vec![0], vec![0, 2], vec![0, 1, 0], vec![]], 2);
        assert_eq!(p.customers, 4);
        assert_eq!(
            p.paths[0],
            PathCount {
                phases: vec![0],
                customers: 2,
                share: 0.5
            }
        );
        assert_eq!(p.paths.len(), 2);
        assert_eq!(p.back_step_rate, 0.25);
        assert_eq!(p.skip_rate, 0.25);
    }
}
