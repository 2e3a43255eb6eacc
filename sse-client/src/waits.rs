//! How long the client waits before each attempt: the reconnection time (`retry:`), doubled
//! after each failure up to a cap, with jitter, a floor, and the server's `Retry-After`.

use std::time::{Duration, Instant};

use ssekit_core::backoff::Backoff;

/// The reconnection time before a server sets one with `retry:`: 1 s.
pub const DEFAULT_RECONNECTION_TIME: Duration = Duration::from_secs(1);

/// The longest wait between attempts by default, however many failed: 30 s.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);

/// The shortest wait by default, even after `retry: 0`: 100 ms.
pub const DEFAULT_FLOOR: Duration = Duration::from_millis(100);

/// How long a connection must stay up by default before its end counts as a fresh start
/// (the waits start over from the reconnection time): 60 s.
pub const DEFAULT_RESET_AFTER: Duration = Duration::from_secs(60);

/// The waits of one client, with no clock and no randomness of its own: the caller tells
/// when a stream opened and when an attempt ended (with [`Instant`]s, from any clock), and
/// passes the random number for the jitter.
///
/// - The first wait after a stream ends is the reconnection time (the default, or the last
///   `retry:` the server sent, which persists across connections), with jitter: up to half
///   of it random, so that clients dropped together come back apart.
/// - Each attempt that fails after that (no stream, or a stream that ended before it was up
///   for [`reset_after`](Self::reset_after)) doubles the wait, up to the
///   [maximum](Self::max_delay). A server that accepts and closes at once is not hit in a
///   loop.
/// - A `Retry-After` on the response (429, 503) replaces the computed wait, capped by the
///   maximum.
/// - No wait is shorter than the [floor](Self::floor).
///
/// # Example
///
/// ```
/// use std::time::{Duration, Instant};
/// use ssekit_client::Waits;
///
/// let mut waits = Waits::new().without_jitter();
/// let start = Instant::now();
/// // Refused three times: 1 s, 2 s, 4 s.
/// assert_eq!(waits.failed(start, None, 0), Duration::from_secs(1));
/// assert_eq!(waits.failed(start, None, 0), Duration::from_secs(2));
/// assert_eq!(waits.failed(start, None, 0), Duration::from_secs(4));
/// // Then a stream that stays up for two minutes: its end starts the waits over.
/// waits.opened(start);
/// assert_eq!(waits.failed(start + Duration::from_secs(120), None, 0), Duration::from_secs(1));
/// ```
#[derive(Clone, Debug)]
pub struct Waits {
    reconnection_time: Duration,
    max_delay: Duration,
    floor: Duration,
    reset_after: Duration,
    jitter: bool,
    /// Attempts that ended since the last stable connection.
    failures: u32,
    /// When the stream now open opened.
    opened_at: Option<Instant>,
}

impl Waits {
    /// The defaults: [`DEFAULT_RECONNECTION_TIME`], [`DEFAULT_MAX_DELAY`],
    /// [`DEFAULT_FLOOR`], [`DEFAULT_RESET_AFTER`], and jitter.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_client::{DEFAULT_RECONNECTION_TIME, Waits};
    ///
    /// assert_eq!(Waits::new().current_reconnection_time(), DEFAULT_RECONNECTION_TIME);
    /// ```
    pub fn new() -> Self {
        Self {
            reconnection_time: DEFAULT_RECONNECTION_TIME,
            max_delay: DEFAULT_MAX_DELAY,
            floor: DEFAULT_FLOOR,
            reset_after: DEFAULT_RESET_AFTER,
            jitter: true,
            failures: 0,
            opened_at: None,
        }
    }

    /// Sets the reconnection time until the server sends a `retry:`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let waits = ssekit_client::Waits::new().reconnection_time(Duration::from_secs(3));
    /// assert_eq!(waits.current_reconnection_time(), Duration::from_secs(3));
    /// ```
    #[must_use]
    pub fn reconnection_time(mut self, time: Duration) -> Self {
        self.reconnection_time = time;
        self
    }

    /// Sets the longest wait, for doubled waits and `Retry-After` alike.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut waits = ssekit_client::Waits::new().max_delay(Duration::from_secs(5)).without_jitter();
    /// for _ in 0..10 {
    ///     waits.failed(Instant::now(), None, 0);
    /// }
    /// assert_eq!(waits.failed(Instant::now(), None, 0), Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn max_delay(mut self, max: Duration) -> Self {
        self.max_delay = max;
        self
    }

    /// Sets the shortest wait.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut waits = ssekit_client::Waits::new().floor(Duration::from_millis(250));
    /// waits.server_reconnection_time(Duration::ZERO);
    /// assert_eq!(waits.failed(Instant::now(), None, 0), Duration::from_millis(250));
    /// ```
    #[must_use]
    pub fn floor(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// Sets how long a stream must stay up before its end starts the waits over.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut waits = ssekit_client::Waits::new().reset_after(Duration::from_secs(5)).without_jitter();
    /// let start = Instant::now();
    /// waits.failed(start, None, 0);
    /// waits.opened(start);
    /// // Up for 3 s only: this end counts as the second failure in a row.
    /// assert_eq!(waits.failed(start + Duration::from_secs(3), None, 0), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn reset_after(mut self, after: Duration) -> Self {
        self.reset_after = after;
        self
    }

    /// Turns the jitter off: each wait is exactly its doubled value (for a test that times
    /// the waits).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut waits = ssekit_client::Waits::new().without_jitter();
    /// assert_eq!(waits.failed(Instant::now(), None, u64::MAX), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// Takes a reconnection time the server sent (`retry:`): it holds for every later wait,
    /// across connections.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut waits = ssekit_client::Waits::new();
    /// waits.server_reconnection_time(Duration::from_millis(1500));
    /// assert_eq!(waits.current_reconnection_time(), Duration::from_millis(1500));
    /// ```
    pub fn server_reconnection_time(&mut self, time: Duration) {
        self.reconnection_time = time;
    }

    /// The reconnection time now: the default, or the server's last `retry:`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_client::Waits::new().current_reconnection_time().as_secs(), 1);
    /// ```
    pub fn current_reconnection_time(&self) -> std::time::Duration {
        self.reconnection_time
    }

    /// How many attempts in a row have ended since the last stable stream.
    ///
    /// # Example
    ///
    /// ```
    /// let mut waits = ssekit_client::Waits::new();
    /// waits.failed(std::time::Instant::now(), None, 0);
    /// assert_eq!(waits.failures(), 1);
    /// ```
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Notes that a stream opened at `now` (a `200` event stream).
    ///
    /// # Example
    ///
    /// ```
    /// let mut waits = ssekit_client::Waits::new();
    /// waits.opened(std::time::Instant::now());
    /// ```
    pub fn opened(&mut self, now: std::time::Instant) {
        self.opened_at = Some(now);
    }

    /// Notes that an attempt ended at `now` (refused, a status to retry, or a stream that
    /// ended) and returns the wait before the next one. `retry_after` is the response's
    /// [`Retry-After`](crate::retry_after), if any; `random` any number, uniform over `u64`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut waits = ssekit_client::Waits::new();
    /// let asked = Some(Duration::from_secs(120));
    /// assert_eq!(waits.failed(Instant::now(), asked, 0), Duration::from_secs(30), "capped");
    /// ```
    pub fn failed(&mut self, now: Instant, retry_after: Option<Duration>, random: u64) -> Duration {
        if let Some(opened_at) = self.opened_at.take() {
            if now.saturating_duration_since(opened_at) >= self.reset_after {
                self.failures = 0;
            }
        }
        self.failures = self.failures.saturating_add(1);
        let wait = retry_after.map_or_else(
            || {
                let backoff = Backoff::new(self.reconnection_time, self.max_delay);
                let backoff = if self.jitter {
                    backoff
                } else {
                    backoff.without_jitter()
                };
                backoff.delay(self.failures, random)
            },
            |asked| asked.min(self.max_delay),
        );
        wait.max(self.floor)
    }
}

impl Default for Waits {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn failures_double_the_wait_up_to_the_cap() {
        let mut waits = Waits::new().without_jitter();
        let now = Instant::now();
        let seen: Vec<u64> = (0..8)
            .map(|_| waits.failed(now, None, 0).as_secs())
            .collect();
        assert_eq!(seen, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn a_stream_up_less_than_the_reset_time_keeps_doubling() {
        let mut waits = Waits::new().without_jitter();
        let mut now = Instant::now();
        let mut seen = Vec::new();
        for _ in 0..4 {
            waits.opened(now);
            now += SECOND * 10;
            seen.push(waits.failed(now, None, 0).as_secs());
        }
        assert_eq!(
            seen,
            [1, 2, 4, 8],
            "a server that accepts and closes is not hit in a loop"
        );
        waits.opened(now);
        now += DEFAULT_RESET_AFTER;
        assert_eq!(
            waits.failed(now, None, 0),
            SECOND,
            "up for the reset time: start over"
        );
    }

    #[test]
    fn the_servers_retry_sets_the_base_across_connections() {
        let mut waits = Waits::new().without_jitter();
        waits.server_reconnection_time(Duration::from_millis(500));
        let now = Instant::now();
        assert_eq!(waits.failed(now, None, 0), Duration::from_millis(500));
        assert_eq!(waits.failed(now, None, 0), SECOND);
        waits.server_reconnection_time(Duration::ZERO);
        assert_eq!(
            waits.failed(now, None, 0),
            DEFAULT_FLOOR,
            "retry: 0 waits the floor"
        );
    }

    #[test]
    fn retry_after_replaces_the_wait_within_the_cap_and_the_floor() {
        let mut waits = Waits::new();
        let now = Instant::now();
        assert_eq!(waits.failed(now, Some(SECOND * 7), u64::MAX), SECOND * 7);
        assert_eq!(waits.failed(now, Some(Duration::MAX), 0), DEFAULT_MAX_DELAY);
        assert_eq!(waits.failed(now, Some(Duration::ZERO), 0), DEFAULT_FLOOR);
    }

    proptest! {
        #[test]
        fn every_wait_is_within_its_jitter_the_cap_and_the_floor(
            retry_ms in 0_u64..5000,
            failures in 1_u32..40,
            random in any::<u64>(),
        ) {
            let mut waits = Waits::new();
            waits.server_reconnection_time(Duration::from_millis(retry_ms));
            let now = Instant::now();
            let mut wait = Duration::ZERO;
            for _ in 0..failures {
                wait = waits.failed(now, None, random);
            }
            let doubled = Duration::from_millis(retry_ms)
                .saturating_mul(1 << (failures - 1).min(20))
                .min(DEFAULT_MAX_DELAY);
            prop_assert!(wait <= doubled.max(DEFAULT_FLOOR));
            prop_assert!(wait >= (doubled / 2).max(DEFAULT_FLOOR));
        }
    }
}
