//! The body of an event-stream response, as framework adapters serve it.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use pin_project_lite::pin_project;

use super::encode::{EncodeStream, IntoEventResult, encode_stream};
use crate::keep_alive::{KeepAlive, KeepAliveStream, Timer};

pin_project! {
    /// The frames of an event-stream response body: each event encoded as soon as the event
    /// stream yields it (those ready together in one frame, as [`encode_stream`] does),
    /// keep-alive comments in the quiet intervals (when asked for), and an end at the first
    /// error.
    ///
    /// Items are `Result<Bytes, E>`, with `E` the event stream's error. An error is the last
    /// item: the body ends after it, so that a server can end the response cleanly and
    /// report the error, instead of cutting the connection.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::{StreamExt, stream};
    /// use ssekit_core::{Event, KeepAlive, ResponseBody, TokioTimer};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let events = stream::iter([Ok(Event::new("a")), Err("database gone"), Ok(Event::new("b"))]);
    /// let body = ResponseBody::new(events, Some(KeepAlive::new()), TokioTimer);
    /// let frames: Vec<_> = body.collect().await;
    /// assert_eq!(frames, [Ok("data: a\n\n".into()), Err("database gone")]);
    /// # });
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct ResponseBody<S, T>
    where
        S: Stream,
        S::Item: IntoEventResult,
        T: Timer,
    {
        #[pin]
        frames: KeepAliveStream<EncodeStream<S>, T>,
        ended: bool,
    }
}

impl<S, T> ResponseBody<S, T>
where
    S: Stream,
    S::Item: IntoEventResult,
    T: Timer,
{
    /// The body for `events`, with keep-alive comments on `timer`'s clock unless
    /// `keep_alive` is `None`.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::stream;
    /// use ssekit_core::{Event, ResponseBody, TokioTimer};
    ///
    /// let _body = ResponseBody::new(stream::iter([Event::new("x")]), None, TokioTimer);
    /// ```
    pub fn new(events: S, keep_alive: Option<KeepAlive>, timer: T) -> Self {
        Self {
            frames: KeepAliveStream::new(encode_stream(events), keep_alive, timer),
            ended: false,
        }
    }
}

impl<S, T> Stream for ResponseBody<S, T>
where
    S: Stream,
    S::Item: IntoEventResult,
    T: Timer,
{
    type Item = Result<Bytes, <S::Item as IntoEventResult>::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if *this.ended {
            return Poll::Ready(None);
        }
        let item = ready!(this.frames.poll_next(cx));
        *this.ended = !matches!(item, Some(Ok(_)));
        Poll::Ready(item)
    }
}
