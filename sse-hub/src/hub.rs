//! The hub a server shares between its handlers, and its named topics.

use std::sync::Arc;

use ssekit_core::Event;

use crate::backend::Backend;
use crate::config::HubConfig;
use crate::memory::MemoryBackend;
use crate::stats::HubStats;

/// A fan-out hub with replay: publish an event to a named topic once, and every subscriber of
/// the topic gets it; a subscriber that comes back with a `Last-Event-ID` gets what it
/// missed first.
///
/// Cloning a hub is cheap, and the clones share their topics: give one to each handler. The
/// backend is [`MemoryBackend`] unless you bring your own ([`Hub::with_backend`]).
///
/// # Example
///
/// ```
/// use futures_util::{FutureExt, StreamExt};
/// use ssekit_core::Event;
/// use ssekit_hub::Hub;
///
/// let hub = Hub::new();
/// let mut live = hub.subscribe("talk", None);
/// let Ok(id) = hub.publish("talk", Event::new("hello")).into_inner();
/// let frame = live.next().now_or_never().unwrap().unwrap();
/// assert_eq!(frame, format!("id: {id}\ndata: hello\n\n"));
/// ```
#[derive(Debug)]
pub struct Hub<B = MemoryBackend> {
    backend: Arc<B>,
}

impl Hub<MemoryBackend> {
    /// An in-memory hub with the default [`HubConfig`].
    ///
    /// # Example
    ///
    /// ```
    /// let hub = ssekit_hub::Hub::new();
    /// assert_eq!(hub.stats().published, 0);
    /// ```
    pub fn new() -> Self {
        Self::with_config(HubConfig::new())
    }

    /// An in-memory hub with these settings.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{Hub, HubConfig, Retention};
    ///
    /// let hub = Hub::with_config(HubConfig::new().retention(Retention::none()));
    /// # let _ = hub;
    /// ```
    pub fn with_config(config: HubConfig) -> Self {
        Self::with_backend(MemoryBackend::new(config))
    }
}

impl Default for Hub<MemoryBackend> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> Clone for Hub<B> {
    fn clone(&self) -> Self {
        Self {
            backend: Arc::clone(&self.backend),
        }
    }
}

impl<B: Backend> Hub<B> {
    /// A hub whose topics live in `backend`.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{Hub, HubConfig, MemoryBackend};
    ///
    /// let hub = Hub::with_backend(MemoryBackend::new(HubConfig::new().backlog(8)));
    /// # let _ = hub;
    /// ```
    pub fn with_backend(backend: B) -> Self {
        Self {
            backend: Arc::new(backend),
        }
    }

    /// The topic called `name`, to publish to and subscribe to without naming it each time.
    /// The backend creates it on first use.
    ///
    /// # Example
    ///
    /// ```
    /// let hub = ssekit_hub::Hub::new();
    /// let talk = hub.topic("talk");
    /// let Ok(_) = talk.publish(ssekit_core::Event::new("hi")).into_inner();
    /// assert_eq!(hub.backend().retained_len("talk"), 1);
    /// ```
    pub fn topic(&self, name: &str) -> Topic<B> {
        Topic {
            backend: Arc::clone(&self.backend),
            name: name.into(),
        }
    }

    /// Publishes `event` to every subscriber of `topic`, and retains it for reconnecting
    /// ones. The event gets the topic's next id (see [`MemoryBackend`] for how ids are made),
    /// which replaces any id it had; the returned future gives that id.
    ///
    /// With [`MemoryBackend`] the event is published when this returns, and the future is
    /// ready at once: `.into_inner()` takes the id without awaiting. A broker's backend
    /// answers once the broker has, so `.await` it.
    ///
    /// # Errors
    ///
    /// The future's: the backend's error, when it could not publish; never for
    /// [`MemoryBackend`] (whose error is [`Infallible`](std::convert::Infallible)).
    ///
    /// # Example
    ///
    /// ```
    /// let hub = ssekit_hub::Hub::new();
    /// let Ok(first) = hub.publish("talk", ssekit_core::Event::new("a")).into_inner();
    /// let Ok(second) = hub.publish("talk", ssekit_core::Event::new("b")).into_inner();
    /// assert_eq!(second, first + 1);
    /// ```
    pub fn publish(&self, topic: &str, event: Event) -> B::Publish {
        self.backend.publish(topic, event)
    }

    /// Subscribes to `topic`: a stream of encoded frames, ready for
    /// `Sse::from_frames` (in `ssekit-axum` and `ssekit-warp`). With a `last_event_id` (the
    /// client's `Last-Event-ID`), the retained events after it come first; then every event
    /// published from now on, with no gap and no duplicate between the two.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::{FutureExt, StreamExt};
    ///
    /// let hub = ssekit_hub::Hub::with_config(ssekit_hub::HubConfig::new().first_id(1));
    /// for data in ["a", "b", "c"] {
    ///     let Ok(_) = hub.publish("talk", ssekit_core::Event::new(data)).into_inner();
    /// }
    /// let mut resumed = hub.subscribe("talk", Some("1"));
    /// let replayed = resumed.next().now_or_never().unwrap().unwrap();
    /// assert_eq!(replayed, "id: 2\ndata: b\n\nid: 3\ndata: c\n\n");
    /// ```
    pub fn subscribe(&self, topic: &str, last_event_id: Option<&str>) -> B::Subscription {
        self.backend.subscribe(topic, last_event_id)
    }

    /// Ends every subscription of every topic, for a server that shuts down: each yields
    /// the frames it already holds, then ends, so that the response ends and its client
    /// reconnects; subscriptions made afterwards end at once too. Publishing goes on
    /// (events are numbered and retained), but nobody receives them live any more.
    ///
    /// With `ssekit-axum` or `ssekit-warp`, a [`Shutdown`](ssekit_core::Shutdown) given to
    /// the responses does the same and writes a last frame; this is for servers that serve
    /// subscriptions some other way, or that shut the hub down on its own.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::{FutureExt, StreamExt};
    ///
    /// let hub = ssekit_hub::Hub::new();
    /// let mut open = hub.subscribe("talk", None);
    /// let Ok(id) = hub.publish("talk", ssekit_core::Event::new("last words")).into_inner();
    /// hub.close();
    /// let frame = open.next().now_or_never().unwrap().unwrap();
    /// assert_eq!(frame, format!("id: {id}\ndata: last words\n\n"));
    /// assert_eq!(open.next().now_or_never(), Some(None));
    /// assert_eq!(hub.subscribe("talk", None).next().now_or_never(), Some(None));
    /// ```
    pub fn close(&self) {
        self.backend.close();
    }

    /// The hub's counters: events published, subscribers, slow subscribers cut off.
    ///
    /// # Example
    ///
    /// ```
    /// let hub = ssekit_hub::Hub::new();
    /// let _subscription = hub.subscribe("talk", None);
    /// assert_eq!(hub.stats().subscribers, 1);
    /// ```
    pub fn stats(&self) -> HubStats {
        self.backend.stats()
    }

    /// The backend, for what only it offers.
    ///
    /// # Example
    ///
    /// ```
    /// let hub = ssekit_hub::Hub::new();
    /// assert_eq!(hub.backend().retained_len("talk"), 0);
    /// ```
    pub fn backend(&self) -> &B {
        &self.backend
    }
}

/// A named topic of a [`Hub`], from [`Hub::topic`]: the hub's `publish` and `subscribe`
/// with the name filled in. Cloning it is cheap.
///
/// # Example
///
/// ```
/// use futures_util::{FutureExt, StreamExt};
///
/// let hub = ssekit_hub::Hub::new();
/// let talk = hub.topic("talk");
/// let mut live = talk.subscribe(None);
/// let Ok(id) = talk.publish(ssekit_core::Event::new("hi")).into_inner();
/// let frame = live.next().now_or_never().unwrap().unwrap();
/// assert_eq!(frame, format!("id: {id}\ndata: hi\n\n"));
/// assert_eq!(talk.name(), "talk");
/// ```
#[derive(Debug)]
pub struct Topic<B = MemoryBackend> {
    backend: Arc<B>,
    name: Arc<str>,
}

impl<B> Clone for Topic<B> {
    fn clone(&self) -> Self {
        Self {
            backend: Arc::clone(&self.backend),
            name: Arc::clone(&self.name),
        }
    }
}

impl<B: Backend> Topic<B> {
    /// The topic's name.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_hub::Hub::new().topic("news").name(), "news");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Publishes `event` to this topic, as [`Hub::publish`] does.
    ///
    /// # Errors
    ///
    /// The future's: the backend's error, when it could not publish; never for
    /// [`MemoryBackend`].
    ///
    /// # Example
    ///
    /// ```
    /// let hub = ssekit_hub::Hub::with_config(ssekit_hub::HubConfig::new().first_id(1));
    /// let Ok(id) = hub.topic("news").publish(ssekit_core::Event::new("extra")).into_inner();
    /// assert_eq!(id, 1);
    /// ```
    pub fn publish(&self, event: Event) -> B::Publish {
        self.backend.publish(&self.name, event)
    }

    /// Subscribes to this topic, as [`Hub::subscribe`] does.
    ///
    /// # Example
    ///
    /// ```
    /// let topic = ssekit_hub::Hub::new().topic("news");
    /// let _subscription = topic.subscribe(Some("41"));
    /// ```
    pub fn subscribe(&self, last_event_id: Option<&str>) -> B::Subscription {
        self.backend.subscribe(&self.name, last_event_id)
    }
}
