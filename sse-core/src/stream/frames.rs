//! The body of an event-stream response whose frames were encoded before they got here.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use pin_project_lite::pin_project;

use crate::keep_alive::{KeepAlive, KeepAliveStream, Timer};

pin_project! {
    /// The frames of an event-stream response body whose events are already encoded (by a
    /// fan-out hub that encodes each event once for every client, say): the frames as the
    /// stream yields them, and keep-alive comments in the quiet intervals (when asked for).
    ///
    /// Items are `Result<Bytes, Infallible>`, the shape of [`ResponseBody`](crate::ResponseBody)'s
    /// items, so that an adapter serves both bodies the same way. The frames pass through
    /// untouched: they must be whole frames (each ending with its blank line), as
    /// [`Event::to_bytes`](crate::Event::to_bytes) writes them, or a keep-alive comment could
    /// land inside an event.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::{StreamExt, stream};
    /// use ssekit_core::{Event, FramesBody, KeepAlive, TokioTimer};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let frames = stream::iter([Event::new("a").to_bytes(), Event::new("b").to_bytes()]);
    /// let body = FramesBody::new(frames, Some(KeepAlive::new()), TokioTimer);
    /// let frames: Vec<_> = body.map(Result::unwrap).collect().await;
    /// assert_eq!(frames, ["data: a\n\n", "data: b\n\n"]);
    /// # });
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct FramesBody<S, T: Timer> {
        #[pin]
        frames: KeepAliveStream<Infallibly<S>, T>,
    }
}

impl<S, T: Timer> FramesBody<S, T> {
    /// The body for `frames`, with keep-alive comments on `timer`'s clock unless
    /// `keep_alive` is `None`.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::stream;
    /// use ssekit_core::{FramesBody, TokioTimer};
    ///
    /// let frames = stream::iter([bytes::Bytes::from_static(b"data: x\n\n")]);
    /// let _body = FramesBody::new(frames, None, TokioTimer);
    /// ```
    pub fn new(frames: S, keep_alive: Option<KeepAlive>, timer: T) -> Self {
        Self {
            frames: KeepAliveStream::new(Infallibly { frames }, keep_alive, timer),
        }
    }
}

impl<S, T> Stream for FramesBody<S, T>
where
    S: Stream<Item = Bytes>,
    T: Timer,
{
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.project().frames.poll_next(cx)
    }
}

pin_project! {
    /// Frames as the `Result` items [`KeepAliveStream`] takes.
    struct Infallibly<S> {
        #[pin]
        frames: S,
    }
}

impl<S: Stream<Item = Bytes>> Stream for Infallibly<S> {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(ready!(self.project().frames.poll_next(cx)).map(Ok))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.frames.size_hint()
    }
}
