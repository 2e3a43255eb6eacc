//! What a Redis backend counts, beside the in-memory fan-out's own counters.

use std::sync::atomic::{AtomicU64, Ordering};

use ssekit_hub::HubStats;

/// A snapshot of a [`RedisBackend`](crate::RedisBackend)'s counters, from
/// [`RedisBackend::redis_stats`](crate::RedisBackend::redis_stats).
///
/// # Example
///
/// ```
/// let stats = ssekit_redis::RedisStats::default();
/// assert_eq!(stats.gaps, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisStats {
    /// The local fan-out's counters: `published` counts this instance's publications that
    /// Redis confirmed; `subscribers`, `slow_disconnects`, `topics` and `topics_removed` are
    /// this instance's.
    pub hub: HubStats,
    /// Publications that failed, after every attempt.
    pub publish_errors: u64,
    /// Attempts of a publication after its first (the same idempotency key each time).
    pub publish_retries: u64,
    /// Times a reader connected to Redis again, after an error, a timeout or a silent
    /// connection.
    pub reader_reconnects: u64,
    /// Times a reader found ids skipped in a topic (trimmed before it read them, or a new
    /// epoch after Redis lost the topic): that topic's local subscribers were cut off, to
    /// resume or get what `OnUnknownId` says.
    pub gaps: u64,
    /// Resumes served from this instance's memory.
    pub resumed_from_memory: u64,
    /// Resumes that paged events from Redis first (older than this instance's window).
    pub resumed_from_redis: u64,
    /// Resumes that waited for this instance's reader to catch up with the id (the client
    /// came from a faster instance).
    pub resumed_after_wait: u64,
    /// Resumes whose id could not be resumed: what `OnUnknownId` says.
    pub resumed_unknown: u64,
    /// Topics this instance's readers follow now (those with a local subscriber).
    pub followed_topics: u64,
    /// How far behind the readers were at their last delivery: from the publisher's clock
    /// at the publication to this instance's at the delivery, in milliseconds.
    pub reader_lag_ms: u64,
}

/// The live counters behind [`RedisStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) published: AtomicU64,
    pub(crate) publish_errors: AtomicU64,
    pub(crate) publish_retries: AtomicU64,
    pub(crate) reader_reconnects: AtomicU64,
    pub(crate) gaps: AtomicU64,
    pub(crate) resumed_from_memory: AtomicU64,
    pub(crate) resumed_from_redis: AtomicU64,
    pub(crate) resumed_after_wait: AtomicU64,
    pub(crate) resumed_unknown: AtomicU64,
    pub(crate) followed_topics: AtomicU64,
    pub(crate) reader_lag_ms: AtomicU64,
}

/// Adds one to a tally that orders nothing else.
pub(crate) fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self, mut hub: HubStats) -> RedisStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        hub.published = read(&self.published);
        RedisStats {
            hub,
            publish_errors: read(&self.publish_errors),
            publish_retries: read(&self.publish_retries),
            reader_reconnects: read(&self.reader_reconnects),
            gaps: read(&self.gaps),
            resumed_from_memory: read(&self.resumed_from_memory),
            resumed_from_redis: read(&self.resumed_from_redis),
            resumed_after_wait: read(&self.resumed_after_wait),
            resumed_unknown: read(&self.resumed_unknown),
            followed_topics: read(&self.followed_topics),
            reader_lag_ms: read(&self.reader_lag_ms),
        }
    }
}
