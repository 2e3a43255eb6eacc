//! The server side: a stream of events to a stream of wire bytes, one frame per event.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use pin_project_lite::pin_project;

use crate::event::Event;

/// What an [`EncodeStream`] accepts as items: an [`Event`], or a `Result<Event, E>` for
/// streams that can fail.
///
/// # Example
///
/// ```
/// use sse_core::{Event, IntoEventResult};
///
/// let event = Event::new("x");
/// assert_eq!(event.clone().into_event_result(), Ok::<_, std::convert::Infallible>(event));
/// ```
pub trait IntoEventResult {
    /// The stream's error; [`Infallible`] for a stream of plain events.
    type Error;

    /// The event, or the error that takes its place.
    ///
    /// # Errors
    ///
    /// The item's own error, passed through.
    fn into_event_result(self) -> Result<Event, Self::Error>;
}

impl IntoEventResult for Event {
    type Error = Infallible;

    fn into_event_result(self) -> Result<Event, Infallible> {
        Ok(self)
    }
}

impl<E> IntoEventResult for Result<Event, E> {
    type Error = E;

    fn into_event_result(self) -> Result<Event, E> {
        self
    }
}

/// Encodes a stream of events into the bytes of a `text/event-stream` body, one [`Bytes`]
/// frame per event, yielded as soon as the event is.
///
/// # Example
///
/// ```
/// use futures_util::{StreamExt, stream};
/// use sse_core::{Event, encode_stream};
///
/// # futures_util::FutureExt::now_or_never(async {
/// let events = stream::iter([Event::new("one"), Event::new("two")]);
/// let frames: Vec<_> = encode_stream(events).map(Result::unwrap).collect().await;
/// assert_eq!(frames, ["data: one\n\n", "data: two\n\n"]);
/// # }).unwrap();
/// ```
pub fn encode_stream<S>(events: S) -> EncodeStream<S> {
    EncodeStream {
        events,
        buf: BytesMut::new(),
    }
}

pin_project! {
    /// The stream [`encode_stream`] returns: `Result<Bytes, E>` items, where `E` is the event
    /// stream's error (an error item passes through in place of its frame).
    #[must_use = "streams do nothing unless polled"]
    #[derive(Debug)]
    pub struct EncodeStream<S> {
        #[pin]
        events: S,
        buf: BytesMut,
    }
}

impl<S> EncodeStream<S> {
    /// The event stream, for a caller that takes it back.
    ///
    /// # Example
    ///
    /// ```
    /// let frames = sse_core::encode_stream(futures_util::stream::empty::<sse_core::Event>());
    /// let _events = frames.into_inner();
    /// ```
    pub fn into_inner(self) -> S {
        self.events
    }
}

impl<S> Stream for EncodeStream<S>
where
    S: Stream,
    S::Item: IntoEventResult,
{
    type Item = Result<Bytes, <S::Item as IntoEventResult>::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        let Some(item) = ready!(this.events.poll_next(cx)) else {
            return Poll::Ready(None);
        };
        Poll::Ready(Some(item.into_event_result().map(|event| {
            event.encode_into(this.buf);
            this.buf.split().freeze()
        })))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.events.size_hint()
    }
}
