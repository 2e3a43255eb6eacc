//! How long to wait before the next attempt: doubling from a floor to a cap, with jitter.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

/// Exponential backoff with "equal jitter": the `attempt`-th wait (from 1) is drawn from
/// `[d/2, d]`, where `d` doubles from `min` with each attempt up to `max`. Half of it is
/// random, so that instances that lost Redis together do not come back in step; half is
/// not, so that no attempt comes right after the last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub(crate) min: Duration,
    pub(crate) max: Duration,
}

impl Backoff {
    /// The wait before the `attempt`-th retry, with `random` any number (uniform over `u64`).
    pub(crate) fn delay(&self, attempt: u32, random: u64) -> Duration {
        let doubled = self
            .min
            .saturating_mul(1_u32 << attempt.saturating_sub(1).min(20))
            .min(self.max);
        let half = doubled / 2;
        let spread = u64::try_from(doubled.saturating_sub(half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(if spread == 0 {
            0
        } else {
            random % (spread + 1)
        })
    }
}

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
    use super::*;

    const BACKOFF: Backoff = Backoff {
        min: Duration::from_millis(100),
        max: Duration::from_secs(2),
    };

    #[test]
    fn waits_double_up_to_the_cap_within_their_jitter() {
        let bounds = [
            (1, 50, 100),
            (2, 100, 200),
            (3, 200, 400),
            (5, 800, 1600),
            (6, 1000, 2000),
            (40, 1000, 2000),
        ];
        for (attempt, low, high) in bounds {
            for random in [0, 1, u64::MAX / 3, u64::MAX] {
                let delay = BACKOFF.delay(attempt, random);
                assert!(
                    delay >= Duration::from_millis(low) && delay <= Duration::from_millis(high),
                    "attempt {attempt}: {delay:?}"
                );
            }
            assert_eq!(BACKOFF.delay(attempt, 0), Duration::from_millis(low));
        }
    }

    #[test]
    fn random_numbers_spread() {
        let draws: std::collections::HashSet<u64> = (0..1000).map(|_| random()).collect();
        assert_eq!(draws.len(), 1000);
        let delays: std::collections::HashSet<Duration> =
            (0..100).map(|_| BACKOFF.delay(3, random())).collect();
        assert!(delays.len() > 90, "jitter spreads the waits");
    }
}
