//! The default backend: topics in this process's memory.

mod queue;
mod retained;
mod subscription;
mod topic;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Ready;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Instant, SystemTime};

use ssekit_core::Event;

pub use subscription::Subscription;
use topic::Topic;

use crate::backend::Backend;
use crate::config::HubConfig;
use crate::id::clock_first_id;
use crate::stats::{Counters, HubStats};

/// The hub's default backend: every topic in this process's memory, nothing to install.
///
/// # Ids
///
/// Each topic numbers its events: the first gets an id from the clock (the topic's creation
/// time in milliseconds times 2^20, so that ids grow across restarts; see
/// [`HubConfig::first_id`] for a fixed start), each next one the number after, and the
/// event's SSE `id` is that number in decimal (`id: 1887436800000000000`). A client's `Last-Event-ID` is
/// resumable when it is such a number (no sign, no leading zero) and every event after it is
/// still retained; otherwise it is unknown, and gets what
/// [`OnUnknownId`](crate::OnUnknownId) says.
///
/// # Memory
///
/// Each topic keeps what its [`Retention`](crate::Retention) allows, and each subscriber at
/// most its [backlog](HubConfig::backlog) of frames, shared with the topic's (one encoding,
/// reference-counted). Topics are never removed: name them from a bounded set.
///
/// # Example
///
/// ```
/// use ssekit_hub::{Hub, HubConfig, MemoryBackend};
///
/// let hub = Hub::with_backend(MemoryBackend::new(HubConfig::new()));
/// let Ok(_) = hub.publish("talk", ssekit_core::Event::new("hi")).into_inner();
/// assert_eq!(hub.backend().retained_len("talk"), 1);
/// ```
#[derive(Debug)]
pub struct MemoryBackend {
    topics: RwLock<HashMap<Box<str>, Arc<Topic>>>,
    config: Arc<HubConfig>,
    counters: Arc<Counters>,
    /// Set by [`Backend::close`]: topics made from then on start closed.
    closed: AtomicBool,
}

impl MemoryBackend {
    /// A backend with no topics yet, and these settings for all of them.
    ///
    /// # Example
    ///
    /// ```
    /// let backend = ssekit_hub::MemoryBackend::new(ssekit_hub::HubConfig::new().backlog(64));
    /// assert_eq!(backend.retained_len("talk"), 0);
    /// ```
    pub fn new(config: HubConfig) -> Self {
        Self {
            topics: RwLock::new(HashMap::new()),
            config: Arc::new(config),
            counters: Arc::default(),
            closed: AtomicBool::new(false),
        }
    }

    /// How many events `topic` retains now for reconnecting clients (0 for a topic never
    /// used). Events past their age limit count until the next publication or subscription
    /// lets go of them.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{Hub, HubConfig, Retention};
    ///
    /// let hub = Hub::with_config(HubConfig::new().retention(Retention::new().max_events(2)));
    /// for data in ["a", "b", "c"] {
    ///     let Ok(_) = hub.publish("talk", ssekit_core::Event::new(data)).into_inner();
    /// }
    /// assert_eq!(hub.backend().retained_len("talk"), 2);
    /// ```
    pub fn retained_len(&self, topic: &str) -> usize {
        let topics = self.topics.read().unwrap_or_else(PoisonError::into_inner);
        topics.get(topic).map_or(0, |topic| topic.retained_len())
    }

    /// The topic called `name`, created on first use.
    fn topic(&self, name: &str) -> Arc<Topic> {
        let topics = self.topics.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(topic) = topics.get(name) {
            return Arc::clone(topic);
        }
        drop(topics);
        let mut topics = self.topics.write().unwrap_or_else(PoisonError::into_inner);
        let topic = topics.entry(name.into()).or_insert_with(|| {
            // Read under the write lock that `close` waits for before it walks the topics:
            // a topic made during a close is closed by one or the other.
            let first_id = self
                .config
                .first_id
                .unwrap_or_else(|| clock_first_id(SystemTime::now()));
            Arc::new(Topic::new(
                Arc::clone(&self.config),
                Arc::clone(&self.counters),
                first_id,
                self.closed.load(Ordering::SeqCst),
            ))
        });
        Arc::clone(topic)
    }
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new(HubConfig::new())
    }
}

impl Backend for MemoryBackend {
    type Subscription = Subscription;
    type Error = Infallible;
    type Publish = Ready<Result<u64, Infallible>>;

    fn publish(&self, topic: &str, event: Event) -> Self::Publish {
        std::future::ready(Ok(self.topic(topic).publish(event, Instant::now())))
    }

    fn subscribe(&self, topic: &str, last_event_id: Option<&str>) -> Subscription {
        self.topic(topic).subscribe(last_event_id, Instant::now())
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let topics = self.topics.read().unwrap_or_else(PoisonError::into_inner);
        for topic in topics.values() {
            topic.close();
        }
    }

    fn stats(&self) -> HubStats {
        self.counters.snapshot()
    }
}
