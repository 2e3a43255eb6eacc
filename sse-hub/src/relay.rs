//! What a backend that relays a broker's events through the in-memory fan-out learns from it.

/// What became of a frame given to [`MemoryBackend::relay`](crate::MemoryBackend::relay).
///
/// # Example
///
/// ```
/// use bytes::Bytes;
/// use ssekit_hub::{MemoryBackend, Relayed};
///
/// let backend = MemoryBackend::default();
/// let frame = |id: u64| Bytes::from(format!("id: {id}\ndata: x\n\n"));
/// assert_eq!(backend.relay("talk", 7, &frame(7)), Relayed::Delivered);
/// assert_eq!(backend.relay("talk", 7, &frame(7)), Relayed::Duplicate);
/// assert_eq!(backend.relay("talk", 9, &frame(9)), Relayed::Gap { expected: 8 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Relayed {
    /// The frame had the id the topic expected next (or was the first one of a topic made
    /// without a position): it is retained and queued for every subscriber.
    Delivered,
    /// The topic has had this id already: the frame was dropped.
    Duplicate,
    /// Ids were skipped: `expected` came next, the frame's id is larger. No subscriber may
    /// go on past the hole, so each one ends after what it holds (its client resumes from
    /// the last event it got), and the topic retains only this frame, from which it goes on.
    Gap {
        /// The id the topic was waiting for.
        expected: u64,
    },
}

/// Where a topic of a [`MemoryBackend`](crate::MemoryBackend) stands, from
/// [`MemoryBackend::position`](crate::MemoryBackend::position).
///
/// # Example
///
/// ```
/// use ssekit_hub::{Hub, HubConfig, TopicPosition};
///
/// let hub = Hub::with_config(HubConfig::new().first_id(10));
/// for data in ["a", "b"] {
///     let Ok(_) = hub.publish("talk", ssekit_core::Event::new(data)).into_inner();
/// }
/// let position = hub.backend().position("talk");
/// assert_eq!(position, Some(TopicPosition { first_retained: 10, next: 12 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicPosition {
    /// The id of the oldest event it retains (`next` when it retains none).
    pub first_retained: u64,
    /// The id its next event gets.
    pub next: u64,
}
