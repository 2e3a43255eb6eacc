//! The seam between a [`Hub`](crate::Hub) and where its events live.

use std::future::Future;

use bytes::Bytes;
use futures_core::Stream;
use ssekit_core::Event;

use crate::stats::HubStats;

/// Where a hub's topics live: [`MemoryBackend`](crate::MemoryBackend) in this process (the
/// default), or a broker that several server instances share.
///
/// A backend must keep the hub's promises: every event of a topic gets an id, and a
/// subscriber that sends one of them as `Last-Event-ID` gets every later event of the
/// topic, in order, with no gap and no duplicate (or, when the id cannot be resumed, what
/// the backend documents). Its subscriptions yield whole frames, ready to write.
///
/// # Example
///
/// A backend that wraps the in-memory one to log every publication:
///
/// ```
/// use std::convert::Infallible;
/// use std::future::Ready;
/// use ssekit_core::Event;
/// use ssekit_hub::{Backend, Hub, HubStats, MemoryBackend, Subscription};
///
/// #[derive(Default)]
/// struct Logged(MemoryBackend);
///
/// impl Backend for Logged {
///     type Subscription = Subscription;
///     type Error = Infallible;
///     type Publish = Ready<Result<u64, Infallible>>;
///
///     fn publish(&self, topic: &str, event: Event) -> Self::Publish {
///         let Ok(id) = self.0.publish(topic, event).into_inner();
///         println!("{topic}: published {id}");
///         std::future::ready(Ok(id))
///     }
///
///     fn subscribe(&self, topic: &str, last_event_id: Option<&str>) -> Subscription {
///         self.0.subscribe(topic, last_event_id)
///     }
///
///     fn close(&self) {
///         self.0.close();
///     }
///
///     fn stats(&self) -> HubStats {
///         self.0.stats()
///     }
/// }
///
/// let hub = Hub::with_backend(Logged::default());
/// let Ok(id) = hub.publish("talk", Event::new("hi")).into_inner();
/// assert_eq!(hub.subscribe("talk", Some(&(id - 1).to_string())).backlog_len(), 1);
/// ```
pub trait Backend: Send + Sync + 'static {
    /// A subscriber's stream of encoded frames: several frames back to back in one item
    /// where they were ready together, each item whole frames.
    type Subscription: Stream<Item = Bytes> + Send + 'static;

    /// Why a publication failed ([`Infallible`](std::convert::Infallible) in memory).
    type Error: std::error::Error + Send + Sync + 'static;

    /// What [`publish`](Self::publish) returns: a future of the event's id, or of the
    /// error. A broker needs a round trip to assign an id; in memory the id is known at once,
    /// and the future is [`std::future::Ready`] (take its value with `into_inner`).
    type Publish: Future<Output = Result<u64, Self::Error>> + Send + 'static;

    /// Publishes `event` to every subscriber of `topic` (created on first use) and retains
    /// it for reconnecting ones, under a new id that replaces any id the event had; the
    /// future gives that id.
    ///
    /// The future owns what it needs (it borrows neither `self` nor `topic`), so it can be
    /// sent to another task. Whether a publication that is never awaited still happens is
    /// the backend's to document; in memory it has happened when `publish` returns.
    ///
    /// # Errors
    ///
    /// The future's: when the event could not be published (the broker is unreachable,
    /// say).
    fn publish(&self, topic: &str, event: Event) -> Self::Publish;

    /// Subscribes to `topic` (created on first use): the retained events after
    /// `last_event_id` first, when it is given, then every event published from now on.
    ///
    /// A backend that cannot subscribe returns a subscription that ends at once: the client
    /// reconnects, as after any other end of its stream.
    fn subscribe(&self, topic: &str, last_event_id: Option<&str>) -> Self::Subscription;

    /// Ends every subscription, for a server that shuts down: each yields what it already
    /// holds, then ends, so that its client reconnects (to the next instance, or to this one
    /// after the restart). Subscriptions made afterwards end at once too; publishing goes on.
    fn close(&self);

    /// The backend's counters.
    fn stats(&self) -> HubStats;
}
