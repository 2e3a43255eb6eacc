//! The default backend: topics in this process's memory.

mod queue;
mod registry;
mod retained;
mod subscription;
mod topic;

use std::convert::Infallible;
use std::future::Ready;
use std::sync::Arc;
use std::time::Instant;

use ssekit_core::Event;

use bytes::Bytes;
use registry::{Registry, Start};
pub use subscription::Subscription;

use crate::backend::Backend;
use crate::config::HubConfig;
use crate::relay::{Relayed, TopicPosition};
use crate::stats::HubStats;

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
/// reference-counted). A topic leaves memory once nobody uses it: at once when its last
/// subscriber leaves and it retains nothing, and at the next sweep once it has had no
/// subscriber and no publication for the [idle timeout](HubConfig::idle_topic_timeout)
/// (10 minutes by default), with what it retained. So topics may be made per user
/// (`/events/{user}`) without the memory growing for ever. A topic that comes back starts
/// past every id it gave before: no id names two events.
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
    registry: Arc<Registry>,
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
            registry: Arc::new(Registry::new(config)),
        }
    }

    /// How many events `topic` retains now for reconnecting clients (0 for a topic never
    /// used, or one that left memory). Events past their age limit count until the next
    /// publication or subscription lets go of them.
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
        self.registry.retained_len(topic)
    }

    /// Lets go of every topic that nobody uses now: no subscriber, and nothing retained
    /// (or idle past the [idle timeout](HubConfig::idle_topic_timeout)). The backend does
    /// this on its own as topics come and go (a topic whose last subscriber leaves goes at
    /// once if it retains nothing; the others at a sweep, which a new topic or a leaving
    /// subscriber starts, at most once per an eighth of the timeout); call this from a
    /// timer to free the memory of a backend that nobody publishes to or subscribes to any
    /// more.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use ssekit_hub::{Hub, HubConfig};
    ///
    /// let hub = Hub::with_config(HubConfig::new().idle_topic_timeout(Duration::ZERO));
    /// let Ok(_) = hub.publish("user-42", ssekit_core::Event::new("hi")).into_inner();
    /// assert_eq!(hub.stats().topics, 1);
    /// hub.backend().remove_unused_topics();
    /// assert_eq!(hub.stats().topics, 0);
    /// ```
    pub fn remove_unused_topics(&self) {
        self.registry.sweep(Instant::now());
    }

    /// For a backend that relays a broker's events through this fan-out (a broker numbers
    /// them): delivers `frame`, the encoded event with id `id` (its `id:` line included), to
    /// the subscribers of `topic` and retains it, as [`publish`](Backend::publish) would.
    /// A topic not in memory is made, starting at `id`. What happens to an id out of order
    /// is in [`Relayed`]. Relaying counts in no [`HubStats`] field.
    ///
    /// # Example
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::{FutureExt, StreamExt};
    /// use ssekit_hub::{MemoryBackend, Relayed};
    ///
    /// let backend = MemoryBackend::default();
    /// let mut live = backend.subscribe_relayed("talk", None, Some(41));
    /// let frame = Bytes::from_static(b"id: 41\ndata: hi\n\n");
    /// assert_eq!(backend.relay("talk", 41, &frame), Relayed::Delivered);
    /// assert_eq!(live.next().now_or_never(), Some(Some(frame)));
    /// ```
    pub fn relay(&self, topic: &str, id: u64, frame: &Bytes) -> Relayed {
        self.registry.relay(topic, id, frame, Instant::now())
    }

    /// For a backend that relays a broker's events: [`subscribe`](Backend::subscribe), but a
    /// topic not in memory is made starting at `next_id` (the id the broker gives next), or,
    /// with `None`, at whatever id the first relayed event has (then every `Last-Event-ID`
    /// is unknown until it comes).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::MemoryBackend;
    ///
    /// let backend = MemoryBackend::default();
    /// let resumed = backend.subscribe_relayed("talk", Some("99"), Some(100));
    /// assert_eq!(resumed.backlog_len(), 0, "99 was the latest: nothing to replay");
    /// ```
    pub fn subscribe_relayed(
        &self,
        topic: &str,
        last_event_id: Option<&str>,
        next_id: Option<u64>,
    ) -> Subscription {
        let start = next_id.map_or(Start::Unknown, Start::At);
        self.registry
            .subscribe(topic, last_event_id, start, Instant::now())
    }

    /// For a backend that relays a broker's events: lets go of `topic` now, with what it
    /// retains, unless it has a subscriber (then nothing changes); says whether it went.
    /// A backend that stops following a topic calls this, so that what the topic retains
    /// is not taken for the broker's state when it follows the topic again.
    ///
    /// # Example
    ///
    /// ```
    /// use bytes::Bytes;
    /// use ssekit_hub::MemoryBackend;
    ///
    /// let backend = MemoryBackend::default();
    /// backend.relay("talk", 5, &Bytes::from_static(b"id: 5\ndata: x\n\n"));
    /// let subscription = backend.subscribe_relayed("talk", None, None);
    /// assert!(!backend.remove_topic("talk"), "it has a subscriber");
    /// drop(subscription);
    /// assert!(backend.remove_topic("talk"));
    /// assert_eq!(backend.retained_len("talk"), 0);
    /// ```
    pub fn remove_topic(&self, topic: &str) -> bool {
        self.registry.remove_unsubscribed(topic)
    }

    /// Where `topic` stands: the oldest id it retains and the id its next event gets.
    /// `None` for a topic not in memory, or a relayed one before its first event.
    ///
    /// # Example
    ///
    /// ```
    /// use bytes::Bytes;
    /// use ssekit_hub::{MemoryBackend, TopicPosition};
    ///
    /// let backend = MemoryBackend::default();
    /// assert_eq!(backend.position("talk"), None);
    /// backend.relay("talk", 5, &Bytes::from_static(b"id: 5\ndata: x\n\n"));
    /// assert_eq!(backend.position("talk"), Some(TopicPosition { first_retained: 5, next: 6 }));
    /// ```
    pub fn position(&self, topic: &str) -> Option<TopicPosition> {
        self.registry.position(topic)
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
        std::future::ready(Ok(self.registry.publish(topic, event, Instant::now())))
    }

    fn subscribe(&self, topic: &str, last_event_id: Option<&str>) -> Subscription {
        self.registry
            .subscribe(topic, last_event_id, Start::Clock, Instant::now())
    }

    fn close(&self) {
        self.registry.close();
    }

    fn stats(&self) -> HubStats {
        self.registry.counters().snapshot()
    }
}
