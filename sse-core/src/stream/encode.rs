//! The server side: a stream of events to a stream of wire bytes, the events that are
//! ready together in one frame.

use std::convert::Infallible;
use std::fmt;
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
/// use ssekit_core::{Event, IntoEventResult};
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

/// How many bytes of encoded events [`EncodeStream`] gathers into one frame at most (unless
/// a single event is larger): enough for hundreds of small events per write, small enough
/// that a frame never waits long for the socket.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Encodes a stream of events into the bytes of a `text/event-stream` body, yielding each
/// event as soon as the event stream does.
///
/// Events that are ready together (the event stream yields them without waiting) go out in
/// one [`Bytes`] frame, up to [`MAX_FRAME_BYTES`]: a server then writes them with one system
/// call instead of one each. An event never waits for the next one: a frame is yielded as
/// soon as the event stream has nothing more ready.
///
/// # Example
///
/// ```
/// use futures_util::{StreamExt, stream};
/// use ssekit_core::{Event, encode_stream};
///
/// # futures_util::FutureExt::now_or_never(async {
/// let events = stream::iter([Event::new("one"), Event::new("two")]);
/// let frames: Vec<_> = encode_stream(events).map(Result::unwrap).collect().await;
/// assert_eq!(frames, ["data: one\n\ndata: two\n\n"]);
/// # }).unwrap();
/// ```
pub fn encode_stream<S>(events: S) -> EncodeStream<S>
where
    S: Stream,
    S::Item: IntoEventResult,
{
    EncodeStream {
        events,
        buf: BytesMut::new(),
        held: None,
    }
}

/// The error of the event stream `S`.
type ErrorOf<S> = <<S as Stream>::Item as IntoEventResult>::Error;

pin_project! {
    /// The stream [`encode_stream`] returns: `Result<Bytes, E>` items, where `E` is the event
    /// stream's error (an error item passes through in place of its frame, after the frame
    /// of the events that were ready before it).
    #[must_use = "streams do nothing unless polled"]
    pub struct EncodeStream<S>
    where
        S: Stream,
        S::Item: IntoEventResult,
    {
        #[pin]
        events: S,
        buf: BytesMut,
        // What the event stream yielded after the events of the last frame, for the next
        // poll: its error, or its end (`Some(None)`).
        held: Option<Option<ErrorOf<S>>>,
    }
}

impl<S> fmt::Debug for EncodeStream<S>
where
    S: Stream + fmt::Debug,
    S::Item: IntoEventResult,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodeStream")
            .field("events", &self.events)
            .field("holds_end_or_error", &self.held.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> EncodeStream<S>
where
    S: Stream,
    S::Item: IntoEventResult,
{
    /// The event stream, for a caller that takes it back.
    ///
    /// # Example
    ///
    /// ```
    /// let frames = ssekit_core::encode_stream(futures_util::stream::empty::<ssekit_core::Event>());
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
        let mut this = self.project();
        let first = match this.held.take() {
            Some(Some(error)) => return Poll::Ready(Some(Err(error))),
            Some(None) => return Poll::Ready(None),
            None => ready!(this.events.as_mut().poll_next(cx)),
        };
        let Some(first) = first else {
            return Poll::Ready(None);
        };
        first.into_event_result()?.encode_into(this.buf);
        while this.buf.len() < MAX_FRAME_BYTES {
            match this.events.as_mut().poll_next(cx) {
                Poll::Pending => break,
                Poll::Ready(Some(item)) => match item.into_event_result() {
                    Ok(event) => event.encode_into(this.buf),
                    Err(error) => {
                        *this.held = Some(Some(error));
                        break;
                    }
                },
                Poll::Ready(None) => {
                    *this.held = Some(None);
                    break;
                }
            }
        }
        Poll::Ready(Some(Ok(this.buf.split().freeze())))
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::Waker;

    use futures_util::stream;

    use super::*;

    /// Polls `frames` until it is pending or ends, with what each poll gave.
    fn poll_all<S>(
        frames: Pin<&mut EncodeStream<S>>,
    ) -> Vec<Poll<Option<Result<String, &'static str>>>>
    where
        S: Stream<Item = Result<Event, &'static str>>,
    {
        let mut frames = frames;
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = Vec::new();
        loop {
            let poll = frames.as_mut().poll_next(&mut cx);
            let done = matches!(poll, Poll::Pending | Poll::Ready(None));
            polls.push(poll.map(|item| {
                item.map(|frame| frame.map(|bytes| String::from_utf8(bytes.to_vec()).unwrap()))
            }));
            if done {
                return polls;
            }
        }
    }

    #[test]
    fn an_error_comes_after_the_frame_of_the_events_before_it_and_the_stream_goes_on() {
        let events = stream::iter([
            Ok(Event::new("a")),
            Ok(Event::new("b")),
            Err("lost"),
            Ok(Event::new("c")),
        ]);
        let frames = pin!(encode_stream(events));
        assert_eq!(
            poll_all(frames),
            [
                Poll::Ready(Some(Ok("data: a\n\ndata: b\n\n".to_string()))),
                Poll::Ready(Some(Err("lost"))),
                Poll::Ready(Some(Ok("data: c\n\n".to_string()))),
                Poll::Ready(None),
            ]
        );
    }

    #[test]
    fn a_frame_goes_out_as_soon_as_the_events_stop_being_ready() {
        // What the event stream answers to each poll, in turn: the first `Pending` ends the
        // first frame, the second is the encoder's answer to the next poll.
        let mut answers = [
            Poll::Ready(Some(Ok(Event::new("a")))),
            Poll::Ready(Some(Ok(Event::new("b")))),
            Poll::Pending,
            Poll::Pending,
            Poll::Ready(Some(Ok(Event::new("late")))),
        ]
        .into_iter();
        let events = stream::poll_fn(move |_| answers.next().unwrap_or(Poll::Ready(None)));
        let mut frames = pin!(encode_stream(events));
        assert_eq!(
            poll_all(frames.as_mut()),
            [
                Poll::Ready(Some(Ok("data: a\n\ndata: b\n\n".to_string()))),
                Poll::Pending,
            ]
        );
        assert_eq!(
            poll_all(frames),
            [
                Poll::Ready(Some(Ok("data: late\n\n".to_string()))),
                Poll::Ready(None),
            ]
        );
    }

    #[test]
    fn frames_stop_growing_past_the_size_limit() {
        let data = "x".repeat(1000);
        let count = 200;
        let events = stream::iter((0..count).map(|_| Ok(Event::new(data.as_str()))));
        let frames = pin!(encode_stream(events));
        let polls = poll_all(frames);
        let frames: Vec<String> = polls
            .into_iter()
            .filter_map(|poll| match poll {
                Poll::Ready(Some(Ok(frame))) => Some(frame),
                _ => None,
            })
            .collect();
        let event_len = Event::new(data.as_str()).encoded_len();
        assert!(frames.len() > 1);
        for frame in &frames {
            assert!(frame.len() < MAX_FRAME_BYTES + event_len, "{}", frame.len());
            assert_eq!(frame.len() % event_len, 0, "whole events only");
        }
        assert_eq!(frames.concat().len(), count * event_len);
    }
}
