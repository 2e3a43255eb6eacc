//! Counters a server can export: events published, subscribers, slow consumers cut off.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a hub's counters, from [`Hub::stats`](crate::Hub::stats).
///
/// # Example
///
/// ```
/// use ssekit_core::Event;
/// use ssekit_hub::{Hub, HubStats};
///
/// let hub = Hub::new();
/// let _subscription = hub.subscribe("talk", None);
/// let Ok(_) = hub.publish("talk", Event::new("hi")).into_inner();
/// let stats: HubStats = hub.stats();
/// assert_eq!((stats.published, stats.subscribers, stats.slow_disconnects), (1, 1, 0));
/// assert_eq!((stats.topics, stats.topics_removed), (1, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HubStats {
    /// Events published since the hub started, over all topics.
    pub published: u64,
    /// Subscriptions alive now (made and not yet dropped), over all topics.
    pub subscribers: u64,
    /// Subscriptions cut off for falling more than their backlog behind, since the hub
    /// started.
    pub slow_disconnects: u64,
    /// Topics in memory now.
    pub topics: u64,
    /// Topics that left memory since the hub started, nobody using them.
    pub topics_removed: u64,
}

/// The live counters behind [`HubStats`], shared by a backend's topics and subscriptions.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    published: AtomicU64,
    subscribers: AtomicU64,
    slow_disconnects: AtomicU64,
    topics: AtomicU64,
    topics_removed: AtomicU64,
}

// The counters order nothing else: each is a tally read on its own, so `Relaxed` suffices.
impl Counters {
    pub(crate) fn snapshot(&self) -> HubStats {
        HubStats {
            published: self.published.load(Ordering::Relaxed),
            subscribers: self.subscribers.load(Ordering::Relaxed),
            slow_disconnects: self.slow_disconnects.load(Ordering::Relaxed),
            topics: self.topics.load(Ordering::Relaxed),
            topics_removed: self.topics_removed.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn published(&self) {
        self.published.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn subscribed(&self) {
        self.subscribers.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn unsubscribed(&self) {
        self.subscribers.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn slow_disconnect(&self) {
        self.slow_disconnects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn topic_made(&self) {
        self.topics.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn topic_removed(&self) {
        self.topics.fetch_sub(1, Ordering::Relaxed);
        self.topics_removed.fetch_add(1, Ordering::Relaxed);
    }
}
