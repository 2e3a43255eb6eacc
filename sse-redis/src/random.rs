//! Random numbers for the jitter of reconnection waits.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// A number that differs from call to call and between processes: jitter needs nothing
/// better, and std's hasher keys are random per process.
pub(crate) fn random() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static STATE: RandomState = RandomState::new();
    }
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    STATE.with(|state| state.hash_one(call))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn random_numbers_differ_from_call_to_call() {
        let draws: HashSet<u64> = (0..1000).map(|_| random()).collect();
        assert_eq!(draws.len(), 1000);
    }
}
