//! Ending event streams for a graceful shutdown: a signal that many responses share, and the
//! last frame each one writes before it ends.
//!
//! An event stream never ends by itself, so a server that shuts down gracefully (stop
//! accepting, then wait for every response to finish) would wait for ever while one client
//! listens. A body wrapped with [`Shutdown::wrap`] ends when the signal completes: it writes
//! its last frame (a `retry:` hint by default) and ends cleanly, so that the server's own
//! graceful shutdown completes and the client reconnects to the next instance.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use pin_project_lite::pin_project;

use crate::encode;
use crate::event::Event;

/// The reconnection time that [`Shutdown`]'s default last frame asks clients for: 5 s, long
/// enough for a restarting server (or the next instance behind a load balancer) to listen
/// again, where a browser would otherwise come back after about 3 s and fail once more.
pub const DEFAULT_SHUTDOWN_RETRY: Duration = Duration::from_secs(5);

/// A shutdown signal for event streams, and the last frame they write when it comes.
///
/// Build it from any future that completes when the server should stop (Ctrl-C, a
/// `SIGTERM`, a channel), then give a clone to every response: [`wrap`](Self::wrap) here,
/// `Sse::shutdown` or the router-wide layer in the framework adapters. Clones share the
/// signal: whichever is polled first drives the future, and all of them see it complete.
/// A `Shutdown` is itself a future, so the same value can be handed to the server's own
/// graceful shutdown (`axum::serve(..).with_graceful_shutdown(shutdown.clone())`).
///
/// When the signal completes, a wrapped stream writes its last frame and ends, between two
/// frames (never inside an event). By default the last frame is `retry: 5000` and a blank
/// line: the client keeps no event from it, but waits [`DEFAULT_SHUTDOWN_RETRY`] before it
/// reconnects instead of coming back at once to a server that is going away.
///
/// # Example
///
/// ```
/// use futures_util::{StreamExt, stream};
/// use ssekit_core::{Event, Shutdown, encode_stream};
///
/// # futures_util::FutureExt::now_or_never(async {
/// // A stream that would never end, and a signal that has already come.
/// let events = stream::iter([Event::new("a")]).chain(stream::pending());
/// let shutdown = Shutdown::new(std::future::ready(()));
/// let frames: Vec<_> = shutdown.wrap(encode_stream(events)).map(Result::unwrap).collect().await;
/// assert_eq!(frames, ["retry: 5000\n\n"]);
/// # }).unwrap();
/// ```
#[derive(Clone)]
#[must_use = "a shutdown signal does nothing unless a stream is wrapped with it or it is polled"]
pub struct Shutdown {
    signal: Shared<BoxFuture<'static, ()>>,
    /// What a wrapped stream writes before it ends; `None` for nothing.
    last_frame: Option<Bytes>,
}

impl Shutdown {
    /// A shutdown that comes when `signal` completes, with the default last frame (a
    /// `retry:` hint of [`DEFAULT_SHUTDOWN_RETRY`]).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::Shutdown;
    ///
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let shutdown = Shutdown::new(async move {
    ///     let _ = stopped.await; // a dropped sender counts as a shutdown too
    /// });
    /// assert!(!shutdown.has_come());
    /// # drop(stop);
    /// ```
    pub fn new(signal: impl Future<Output = ()> + Send + 'static) -> Self {
        Self {
            signal: signal.boxed().shared(),
            last_frame: Some(retry_frame(DEFAULT_SHUTDOWN_RETRY)),
        }
    }

    /// Sets the reconnection time that the last frame asks for, in place of
    /// [`DEFAULT_SHUTDOWN_RETRY`]: `retry: <milliseconds>` and a blank line.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use ssekit_core::Shutdown;
    ///
    /// let shutdown = Shutdown::new(std::future::ready(())).retry(Duration::from_secs(30));
    /// assert_eq!(shutdown.last_frame().unwrap(), "retry: 30000\n\n");
    /// ```
    pub fn retry(mut self, retry: Duration) -> Self {
        self.last_frame = Some(retry_frame(retry));
        self
    }

    /// Makes `event` the last frame, in place of the `retry:` hint: an event the page
    /// handles ("the server is restarting"), for instance. Give it a
    /// [`retry`](Event::with_retry) to keep the hint too.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use ssekit_core::{Event, Shutdown};
    ///
    /// let goodbye = Event::new("restarting").with_event_type("shutdown")?.with_retry(Duration::from_secs(2));
    /// let shutdown = Shutdown::new(std::future::ready(())).last_event(&goodbye);
    /// assert_eq!(shutdown.last_frame().unwrap(), "event: shutdown\nretry: 2000\ndata: restarting\n\n");
    /// # Ok::<(), ssekit_core::FieldError>(())
    /// ```
    pub fn last_event(mut self, event: &Event) -> Self {
        self.last_frame = Some(event.to_bytes());
        self
    }

    /// Ends wrapped streams with no last frame.
    ///
    /// # Example
    ///
    /// ```
    /// let shutdown = ssekit_core::Shutdown::new(std::future::ready(())).without_last_frame();
    /// assert_eq!(shutdown.last_frame(), None);
    /// ```
    pub fn without_last_frame(mut self) -> Self {
        self.last_frame = None;
        self
    }

    /// The frame a wrapped stream writes before it ends, if any.
    ///
    /// # Example
    ///
    /// ```
    /// let shutdown = ssekit_core::Shutdown::new(std::future::pending());
    /// assert_eq!(shutdown.last_frame().unwrap(), "retry: 5000\n\n");
    /// ```
    pub fn last_frame(&self) -> Option<&Bytes> {
        self.last_frame.as_ref()
    }

    /// Whether the signal has completed (as seen by whichever clone polled it).
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::FutureExt;
    ///
    /// let shutdown = ssekit_core::Shutdown::new(std::future::ready(()));
    /// assert!(!shutdown.has_come()); // nothing has polled the signal yet
    /// assert_eq!(shutdown.clone().now_or_never(), Some(()));
    /// assert!(shutdown.has_come());
    /// ```
    pub fn has_come(&self) -> bool {
        self.signal.peek().is_some()
    }

    /// `frames` (the frames of an event-stream body, each item whole frames), ending at the
    /// shutdown: once the signal has completed, the next poll yields the last frame, and the
    /// one after it ends the stream. Until then the frames pass through untouched.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::{StreamExt, stream};
    /// use ssekit_core::{Event, KeepAlive, ResponseBody, Shutdown, TokioTimer};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let shutdown = Shutdown::new(async move { let _ = stopped.await; });
    /// let events = stream::iter([Event::new("a")]).chain(stream::pending());
    /// let body = ResponseBody::new(events, Some(KeepAlive::new()), TokioTimer);
    /// let mut body = shutdown.wrap(body);
    /// assert_eq!(body.next().await.unwrap().unwrap(), "data: a\n\n");
    /// stop.send(()).unwrap();
    /// assert_eq!(body.next().await.unwrap().unwrap(), "retry: 5000\n\n");
    /// assert!(body.next().await.is_none());
    /// # });
    /// ```
    pub fn wrap<S>(&self, frames: S) -> UntilShutdown<S> {
        UntilShutdown::new(frames, Some(self.clone()))
    }
}

impl Future for Shutdown {
    type Output = ();

    /// Completes once the signal has: any number of clones can wait on it.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().signal.poll_unpin(cx)
    }
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("has_come", &self.has_come())
            .field("last_frame", &self.last_frame)
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// The frames of an event-stream body that end at a [`Shutdown`]: the stream
    /// [`Shutdown::wrap`] returns. Items are those of the wrapped stream,
    /// `Result<Bytes, E>`; the last frame comes as an `Ok` item.
    #[must_use = "streams do nothing unless polled"]
    #[derive(Debug)]
    pub struct UntilShutdown<S> {
        #[pin]
        frames: S,
        // `None`: no shutdown to end at, the frames pass through.
        shutdown: Option<Shutdown>,
        // Set once the shutdown has come (and the last frame is out) or the frames ended.
        ended: bool,
    }
}

impl<S> UntilShutdown<S> {
    /// `frames`, ending at `shutdown` as [`Shutdown::wrap`] makes them, or passing through
    /// untouched when there is none: for a server whose shutdown is an option, with one
    /// body type either way.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::{StreamExt, stream};
    /// use ssekit_core::UntilShutdown;
    ///
    /// # futures_util::FutureExt::now_or_never(async {
    /// let frames = stream::iter([Ok::<_, ()>(bytes::Bytes::from_static(b"data: a\n\n"))]);
    /// let frames: Vec<_> = UntilShutdown::new(frames, None).map(Result::unwrap).collect().await;
    /// assert_eq!(frames, ["data: a\n\n"]);
    /// # }).unwrap();
    /// ```
    pub fn new(frames: S, shutdown: Option<Shutdown>) -> Self {
        Self {
            frames,
            shutdown,
            ended: false,
        }
    }

    /// The wrapped stream, for a caller that takes it back.
    ///
    /// # Example
    ///
    /// ```
    /// let frames = futures_util::stream::empty::<Result<bytes::Bytes, std::convert::Infallible>>();
    /// let wrapped = ssekit_core::Shutdown::new(std::future::pending()).wrap(frames);
    /// let _frames = wrapped.into_inner();
    /// ```
    pub fn into_inner(self) -> S {
        self.frames
    }
}

impl<S, E> Stream for UntilShutdown<S>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    type Item = Result<Bytes, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if *this.ended {
            return Poll::Ready(None);
        }
        // The signal first: a stream that always has a frame ready still ends at the
        // shutdown, between two of its frames.
        if let Some(shutdown) = this.shutdown {
            if shutdown.signal.poll_unpin(cx).is_ready() {
                *this.ended = true;
                return Poll::Ready(shutdown.last_frame.take().map(Ok));
            }
        }
        let item = this.frames.poll_next(cx);
        *this.ended = matches!(item, Poll::Ready(None));
        item
    }
}

/// `retry: <ms>` and the blank line that ends the frame.
fn retry_frame(retry: Duration) -> Bytes {
    let mut frame = BytesMut::new();
    encode::encode_retry(retry, &mut frame);
    frame.freeze()
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::Waker;

    use futures_util::{StreamExt, stream};

    use super::*;

    type Frames = Vec<Poll<Option<Result<Bytes, ()>>>>;

    fn poll_until_pending_or_end<S: Stream<Item = Result<Bytes, ()>>>(
        mut stream: Pin<&mut S>,
    ) -> Frames {
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = Vec::new();
        loop {
            let poll = stream.as_mut().poll_next(&mut cx);
            let done = matches!(poll, Poll::Pending | Poll::Ready(None));
            polls.push(poll);
            if done {
                return polls;
            }
        }
    }

    fn frame(text: &'static str) -> Poll<Option<Result<Bytes, ()>>> {
        Poll::Ready(Some(Ok(Bytes::from_static(text.as_bytes()))))
    }

    #[test]
    fn frames_pass_through_until_the_signal_then_the_last_frame_then_the_end() {
        let (stopped, stop) = futures_util::future::abortable(std::future::pending::<()>());
        let shutdown = Shutdown::new(async move {
            let _ = stopped.await;
        });
        let frames = stream::iter([Ok::<_, ()>(Bytes::from_static(b"data: a\n\n"))])
            .chain(stream::pending());
        let mut wrapped = pin!(shutdown.wrap(frames));
        assert_eq!(
            poll_until_pending_or_end(wrapped.as_mut()),
            [frame("data: a\n\n"), Poll::Pending]
        );
        stop.abort();
        assert_eq!(
            poll_until_pending_or_end(wrapped.as_mut()),
            [frame("retry: 5000\n\n"), Poll::Ready(None)]
        );
        assert_eq!(
            poll_until_pending_or_end(wrapped),
            [Poll::Ready(None)],
            "stays ended"
        );
    }

    #[test]
    fn a_stream_that_is_always_ready_still_ends_at_the_signal() {
        let shutdown = Shutdown::new(std::future::ready(())).retry(Duration::from_millis(250));
        let always = stream::repeat_with(|| Ok(Bytes::from_static(b"data: x\n\n")));
        let wrapped = pin!(shutdown.wrap(always));
        assert_eq!(
            poll_until_pending_or_end(wrapped),
            [frame("retry: 250\n\n"), Poll::Ready(None)]
        );
    }

    #[test]
    fn without_a_last_frame_the_stream_just_ends() {
        let shutdown = Shutdown::new(std::future::ready(())).without_last_frame();
        let wrapped = pin!(shutdown.wrap(stream::pending::<Result<Bytes, ()>>()));
        assert_eq!(poll_until_pending_or_end(wrapped), [Poll::Ready(None)]);
    }

    #[test]
    fn a_stream_that_ends_first_ends_without_the_last_frame() {
        let shutdown = Shutdown::new(std::future::pending());
        let frames = stream::iter([Ok(Bytes::from_static(b"data: a\n\n"))]);
        let wrapped = pin!(shutdown.wrap(frames));
        assert_eq!(
            poll_until_pending_or_end(wrapped),
            [frame("data: a\n\n"), Poll::Ready(None)]
        );
    }

    #[test]
    fn every_clone_sees_the_signal_whichever_polls_it() {
        let (stopped, stop) = futures_util::future::abortable(std::future::pending::<()>());
        let shutdown = Shutdown::new(async move {
            let _ = stopped.await;
        });
        let mut first = pin!(shutdown.wrap(stream::pending::<Result<Bytes, ()>>()));
        let mut second = pin!(
            shutdown
                .clone()
                .wrap(stream::pending::<Result<Bytes, ()>>())
        );
        assert_eq!(poll_until_pending_or_end(first.as_mut()), [Poll::Pending]);
        assert_eq!(poll_until_pending_or_end(second.as_mut()), [Poll::Pending]);
        stop.abort();
        assert_eq!(
            poll_until_pending_or_end(second),
            [frame("retry: 5000\n\n"), Poll::Ready(None)]
        );
        assert!(shutdown.has_come());
        assert_eq!(
            poll_until_pending_or_end(first),
            [frame("retry: 5000\n\n"), Poll::Ready(None)]
        );
    }

    #[test]
    fn the_retry_frame_is_what_the_decoder_takes_as_a_retry() {
        let shutdown = Shutdown::new(std::future::pending()).retry(Duration::from_millis(1234));
        let mut decoder = crate::Decoder::new();
        decoder.push(shutdown.last_frame().unwrap());
        assert_eq!(
            decoder.next_decoded().unwrap(),
            Some(crate::Decoded::Retry(Duration::from_millis(1234)))
        );
        assert_eq!(decoder.next_decoded().unwrap(), None);
    }
}
