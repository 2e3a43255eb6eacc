//! The named topics of a memory backend: made on first use, let go of once nobody uses them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use ssekit_core::Event;

use super::subscription::Subscription;
use super::topic::Topic;
use crate::config::HubConfig;
use crate::id::clock_first_id;
use crate::relay::{Relayed, TopicPosition};
use crate::stats::Counters;

/// The shortest time between two sweeps for idle topics.
const MIN_SWEEP_INTERVAL: Duration = Duration::from_millis(100);

/// The longest time between two sweeps while the backend is used: a topic idle past its
/// timeout leaves memory at most this much later.
const MAX_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// A backend's topics by name, and what outlives each of them.
#[derive(Debug)]
pub(crate) struct Registry {
    topics: RwLock<HashMap<Box<str>, Arc<Topic>>>,
    config: Arc<HubConfig>,
    counters: Arc<Counters>,
    /// Set by [`close`](Self::close): topics made from then on start closed.
    closed: AtomicBool,
    /// Above every id that a topic let go of has given: a topic made later starts at this
    /// or above, so that no id is ever given twice for one name.
    floor: AtomicU64,
    /// When this registry was made: the clock's zero for `next_sweep`.
    started: Instant,
    /// When the next sweep is due, in milliseconds since `started`.
    next_sweep: AtomicU64,
    sweep_interval: Duration,
}

impl Registry {
    pub(crate) fn new(config: HubConfig) -> Self {
        let sweep_interval = config
            .idle_topic_timeout
            .map_or(MAX_SWEEP_INTERVAL, |timeout| timeout / 8)
            .clamp(MIN_SWEEP_INTERVAL, MAX_SWEEP_INTERVAL);
        Self {
            topics: RwLock::new(HashMap::new()),
            config: Arc::new(config),
            counters: Arc::default(),
            closed: AtomicBool::new(false),
            floor: AtomicU64::new(0),
            started: Instant::now(),
            next_sweep: AtomicU64::new(millis(sweep_interval)),
            sweep_interval,
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Relays `frame`, numbered `id` by a broker, to the topic `name` (made if there is none,
    /// starting at `id`).
    pub(crate) fn relay(
        self: &Arc<Self>,
        name: &str,
        id: u64,
        frame: &Bytes,
        now: Instant,
    ) -> Relayed {
        loop {
            if let Some(relayed) = self.topic(name, Start::At(id)).relay(id, frame, now) {
                return relayed;
            }
        }
    }

    /// Where the topic `name` stands, if it is in memory and has a position.
    pub(crate) fn position(&self, name: &str) -> Option<TopicPosition> {
        let topics = self.topics.read().unwrap_or_else(PoisonError::into_inner);
        topics.get(name).and_then(|topic| topic.position())
    }

    /// Publishes `event` to the topic `name` (made if there is none) and returns its id.
    pub(crate) fn publish(self: &Arc<Self>, name: &str, event: Event, now: Instant) -> u64 {
        // Moved once, into the topic that takes it: the event is over a hundred bytes, and
        // passing it down and back through each call cost a tenth of a publication.
        let mut event = Some(event);
        loop {
            // A topic let go of between the look-up and the publication leaves the event
            // here: the next look-up finds (or makes) the topic the name leads to now.
            if let Some(id) = self.topic(name, Start::Clock).publish(&mut event, now) {
                return id;
            }
        }
    }

    /// Subscribes to the topic `name` (made if there is none, starting at `start`).
    pub(crate) fn subscribe(
        self: &Arc<Self>,
        name: &str,
        last_event_id: Option<&str>,
        start: Start,
        now: Instant,
    ) -> Subscription {
        loop {
            if let Some(subscription) = self.topic(name, start).subscribe(last_event_id, now) {
                return subscription;
            }
        }
    }

    /// How many frames the topic `name` retains now (0 if there is no such topic).
    pub(crate) fn retained_len(&self, name: &str) -> usize {
        let topics = self.topics.read().unwrap_or_else(PoisonError::into_inner);
        topics.get(name).map_or(0, |topic| topic.retained_len())
    }

    /// Ends every subscription of every topic, and of every topic made from now on.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let topics = self.topics.read().unwrap_or_else(PoisonError::into_inner);
        for topic in topics.values() {
            topic.close();
        }
    }

    /// Lets go of `topic`, which is called `name`, if it is still the one of that name and
    /// nobody uses it at `now`.
    pub(crate) fn remove_if_unused(&self, name: &str, topic: &Arc<Topic>, now: Instant) {
        let mut topics = self.topics.write().unwrap_or_else(PoisonError::into_inner);
        let current = topics
            .get(name)
            .is_some_and(|held| Arc::ptr_eq(held, topic));
        if current && self.let_go(topic, now) {
            topics.remove(name);
        }
    }

    /// Lets go of the topic `name` now if it has no subscriber, with what it retains.
    pub(crate) fn remove_unsubscribed(&self, name: &str) -> bool {
        let mut topics = self.topics.write().unwrap_or_else(PoisonError::into_inner);
        let Some(next_id) = topics
            .get(name)
            .and_then(|topic| topic.remove_if_unsubscribed())
        else {
            return false;
        };
        topics.remove(name);
        self.floor.fetch_max(next_id, Ordering::SeqCst);
        self.counters.topic_removed();
        true
    }

    /// Lets go of every topic that nobody uses at `now`.
    pub(crate) fn sweep(&self, now: Instant) {
        let mut topics = self.topics.write().unwrap_or_else(PoisonError::into_inner);
        topics.retain(|_, topic| !self.let_go(topic, now));
        // A map that held many topics keeps its table: give it back once mostly empty.
        if topics.len() < topics.capacity() / 4 {
            topics.shrink_to_fit();
        }
    }

    /// Sweeps if a sweep is due at `now`: at most once per sweep interval, by whichever
    /// caller sees it due first. Asked where topics come and go (a topic is made, a
    /// subscriber leaves), not on every publication, whose path it would lengthen by a
    /// tenth.
    pub(crate) fn sweep_if_due(&self, now: Instant) {
        let now_ms = millis(now.saturating_duration_since(self.started));
        let due = self.next_sweep.load(Ordering::Relaxed);
        if now_ms < due {
            return;
        }
        let next = now_ms + millis(self.sweep_interval);
        if self
            .next_sweep
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.sweep(now);
        }
    }

    /// Marks `topic` removed if nobody uses it, and raises the floor past its ids; the
    /// caller holds the map's write lock and takes it out of the map.
    fn let_go(&self, topic: &Topic, now: Instant) -> bool {
        let Some(next_id) = topic.remove_if_unused(now) else {
            return false;
        };
        self.floor.fetch_max(next_id, Ordering::SeqCst);
        self.counters.topic_removed();
        true
    }

    /// The topic called `name`, made if there is none with its first id from `start`.
    fn topic(self: &Arc<Self>, name: &str, start: Start) -> Arc<Topic> {
        let topics = self.topics.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(topic) = topics.get(name) {
            return Arc::clone(topic);
        }
        drop(topics);
        self.sweep_if_due(Instant::now());
        let mut topics = self.topics.write().unwrap_or_else(PoisonError::into_inner);
        let topic = topics.entry(name.into()).or_insert_with(|| {
            // Read under the write lock that `close` and every removal wait for: a topic
            // made during a close is closed by one or the other, and the floor is that of
            // every removal before.
            let first_id = match start {
                Start::Clock => Some(
                    self.config
                        .first_id
                        .unwrap_or_else(|| clock_first_id(SystemTime::now()))
                        .max(self.floor.load(Ordering::SeqCst)),
                ),
                // A broker numbers relayed topics: its ids are the ones to keep.
                Start::At(id) => Some(id),
                Start::Unknown => None,
            };
            self.counters.topic_made();
            Arc::new(Topic::new(
                name,
                Arc::downgrade(self),
                Arc::clone(&self.config),
                Arc::clone(&self.counters),
                first_id,
                self.closed.load(Ordering::SeqCst),
            ))
        });
        Arc::clone(topic)
    }
}

/// Where a topic made on first use starts numbering.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Start {
    /// From the configured first id, or the clock (above every id the name had before).
    Clock,
    /// At this id, a broker's.
    At(u64),
    /// At whatever id the first relayed event has.
    Unknown,
}

/// `duration` in whole milliseconds (saturating: a sweep is never due past 2^64 ms).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
