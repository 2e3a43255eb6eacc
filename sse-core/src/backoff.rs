//! How long to wait before the next attempt after a failure: doubling from a start to a cap,
//! with jitter, so that clients (or servers) that failed together do not come back in step.
//!
//! No clock and no randomness of its own: the caller passes the attempt number and a random
//! number, so that a test can pin every wait ([`random`] gives one outside tests).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A number for the jitter of one wait: different from call to call and between
/// processes (std's hasher keys are random per process), which is all jitter needs.
///
/// # Example
///
/// ```
/// use ssekit_core::backoff::random;
///
/// assert_ne!(random(), random());
/// ```
pub fn random() -> u64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static STATE: RandomState = RandomState::new();
    }
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    STATE.with(|state| state.hash_one(call))
}

/// Exponential backoff with "equal jitter": the `attempt`-th wait (from 1) is drawn from
/// `[d/2, d]`, where `d` doubles from the start with each attempt up to the cap. Half of it
/// is random, so that those that failed together spread out; half is not, so that no
/// attempt comes right after the last one. Without jitter, each wait is `d`.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ssekit_core::backoff::Backoff;
///
/// let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
/// assert_eq!(backoff.without_jitter().delay(1, 0), Duration::from_secs(1));
/// assert_eq!(backoff.without_jitter().delay(3, 0), Duration::from_secs(4));
/// assert_eq!(backoff.without_jitter().delay(9, 0), Duration::from_secs(30), "capped");
/// let jittered = backoff.delay(3, 12_345);
/// assert!(jittered >= Duration::from_secs(2) && jittered <= Duration::from_secs(4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    start: Duration,
    max: Duration,
    jitter: bool,
}

impl Backoff {
    /// Waits that start at `start` and double up to `max` (at least `start`), with jitter.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = ssekit_core::backoff::Backoff::new(Duration::from_millis(50), Duration::from_secs(5));
    /// assert_eq!(backoff.start(), Duration::from_millis(50));
    /// ```
    pub fn new(start: Duration, max: Duration) -> Self {
        Self {
            start,
            max: max.max(start),
            jitter: true,
        }
    }

    /// The same waits with no jitter: each one exactly its doubled value (for tests, or for
    /// one client that nothing else fails with).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = ssekit_core::backoff::Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
    /// assert_eq!(backoff.without_jitter().delay(2, u64::MAX), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// The first wait, before any doubling.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = ssekit_core::backoff::Backoff::new(Duration::from_secs(3), Duration::from_secs(1));
    /// assert_eq!((backoff.start(), backoff.max()), (Duration::from_secs(3), Duration::from_secs(3)));
    /// ```
    pub fn start(&self) -> Duration {
        self.start
    }

    /// The longest wait.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = ssekit_core::backoff::Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    /// assert_eq!(backoff.max(), Duration::from_secs(30));
    /// ```
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The wait before the `attempt`-th retry (from 1; 0 counts as 1), with `random` any
    /// number, uniform over `u64` (ignored without jitter).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let backoff = ssekit_core::backoff::Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
    /// assert_eq!(backoff.delay(2, 0), Duration::from_millis(100), "the low end of [100, 200] ms");
    /// ```
    pub fn delay(&self, attempt: u32, random: u64) -> Duration {
        let doubled = self
            .start
            .saturating_mul(1_u32 << attempt.saturating_sub(1).min(20))
            .min(self.max);
        if !self.jitter {
            return doubled;
        }
        let half = doubled / 2;
        let spread = u64::try_from(doubled.saturating_sub(half).as_nanos()).unwrap_or(u64::MAX);
        let random = match spread.checked_add(1) {
            Some(0) | None => random,
            Some(range) => random % range,
        };
        half + Duration::from_nanos(random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: Backoff = Backoff {
        start: Duration::from_millis(100),
        max: Duration::from_secs(2),
        jitter: true,
    };

    #[test]
    fn waits_double_up_to_the_cap_within_their_jitter() {
        let bounds = [
            (0, 50, 100),
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
            assert_eq!(
                BACKOFF.without_jitter().delay(attempt, 7),
                Duration::from_millis(high)
            );
        }
    }

    #[test]
    fn random_numbers_differ_from_call_to_call() {
        let draws: std::collections::HashSet<u64> = (0..1000).map(|_| random()).collect();
        assert_eq!(draws.len(), 1000);
    }

    #[test]
    fn a_zero_start_waits_zero() {
        let backoff = Backoff::new(Duration::ZERO, Duration::ZERO);
        assert_eq!(backoff.delay(5, u64::MAX), Duration::ZERO);
    }
}
