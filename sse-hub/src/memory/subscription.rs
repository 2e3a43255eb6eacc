//! A subscriber's end: replayed frames, then live ones, joined into batches when several wait.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

use super::queue::Receiver;
use super::topic::Topic;

/// A subscription to a topic of the in-memory hub: a stream of encoded frames, ready for
/// `Sse::from_frames` (in `ssekit-axum` and `ssekit-warp`).
///
/// The retained events after the subscriber's `Last-Event-ID` come first, then the live
/// ones. Frames that are ready together come as one item, up to the hub's
/// [batch size](crate::HubConfig::batch_bytes), so that the server writes them at once.
///
/// The stream ends only when the subscriber falls more than its
/// [backlog](crate::HubConfig::backlog) behind, after yielding what was already waiting: the
/// client then reconnects with the last id it got. Dropping the subscription (the client
/// went away) unsubscribes.
///
/// # Example
///
/// ```
/// use futures_util::{FutureExt, StreamExt};
///
/// let hub = ssekit_hub::Hub::new();
/// let mut subscription = hub.subscribe("talk", None);
/// let Ok(a) = hub.publish("talk", ssekit_core::Event::new("a")).into_inner();
/// let Ok(b) = hub.publish("talk", ssekit_core::Event::new("b")).into_inner();
/// assert_eq!(subscription.backlog_len(), 2);
/// let batch = subscription.next().now_or_never().unwrap().unwrap();
/// assert_eq!(batch, format!("id: {a}\ndata: a\n\nid: {b}\ndata: b\n\n"));
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Subscription {
    /// Frames to yield before the live queue: the replay, then a frame taken from the queue
    /// that did not fit in the last batch.
    ready: VecDeque<Bytes>,
    live: Receiver,
    batch_bytes: usize,
    /// Held for its `Drop`: unsubscribes.
    _membership: Membership,
}

impl Subscription {
    pub(crate) fn new(
        replay: VecDeque<Bytes>,
        live: Receiver,
        batch_bytes: usize,
        topic: Arc<Topic>,
        key: u64,
    ) -> Self {
        Self {
            ready: replay,
            live,
            batch_bytes,
            _membership: Membership { topic, key },
        }
    }

    /// How many frames wait to be yielded: replayed ones not yet yielded, and live ones
    /// queued. The live ones never exceed the hub's backlog.
    ///
    /// # Example
    ///
    /// ```
    /// let hub = ssekit_hub::Hub::new();
    /// let subscription = hub.subscribe("talk", None);
    /// assert_eq!(subscription.backlog_len(), 0);
    /// ```
    pub fn backlog_len(&self) -> usize {
        self.ready.len() + self.live.len()
    }

    /// The next frame that is ready now, without waiting.
    fn next_ready(&mut self, cx: &mut Context<'_>) -> Option<Bytes> {
        if let Some(frame) = self.ready.pop_front() {
            return Some(frame);
        }
        match self.live.poll_recv(cx) {
            Poll::Ready(frame) => frame,
            Poll::Pending => None,
        }
    }

    /// `first`, with the frames ready after it appended while they fit in the batch size.
    /// Copying them into one buffer costs less than writing each one on its own.
    fn batch_from(&mut self, first: Bytes, cx: &mut Context<'_>) -> Bytes {
        let mut batch: Option<BytesMut> = None;
        while let Some(frame) = self.next_ready(cx) {
            let len = batch.as_ref().map_or(first.len(), BytesMut::len);
            if len + frame.len() > self.batch_bytes {
                self.ready.push_front(frame);
                break;
            }
            batch
                .get_or_insert_with(|| {
                    let capacity = self.batch_bytes.min(2 * (len + frame.len()));
                    let mut batch = BytesMut::with_capacity(capacity);
                    batch.extend_from_slice(&first);
                    batch
                })
                .extend_from_slice(&frame);
        }
        batch.map_or(first, BytesMut::freeze)
    }
}

impl Stream for Subscription {
    type Item = Bytes;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let this = self.get_mut();
        let first = match this.ready.pop_front() {
            Some(frame) => frame,
            None => match ready!(this.live.poll_recv(cx)) {
                Some(frame) => frame,
                None => return Poll::Ready(None),
            },
        };
        Poll::Ready(Some(this.batch_from(first, cx)))
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("backlog_len", &self.backlog_len())
            .field("batch_bytes", &self.batch_bytes)
            .finish_non_exhaustive()
    }
}

/// The subscriber's place in its topic, given up on drop.
struct Membership {
    topic: Arc<Topic>,
    key: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.topic.unsubscribe(self.key);
    }
}
