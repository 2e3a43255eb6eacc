//! The event-stream reply.

use std::convert::Infallible;
use std::fmt::Display;
use std::future::ready;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use ssekit_core::{
    FramesBody, IntoEventResult, KeepAlive, ResponseBody, Shutdown, TokioTimer, UntilShutdown,
    headers,
};
use sync_wrapper::SyncStream;
use warp::http::{HeaderName, HeaderValue};
use warp::reply::{Reply, Response};

/// An event-stream reply: `200`, `Content-Type: text/event-stream`,
/// `Cache-Control: no-cache`, `X-Accel-Buffering: no`, no `Content-Length`, and a body that
/// sends each event the moment the stream yields it.
///
/// The stream's items are [`Event`](crate::Event)s, or `Result<Event, E>`. An error ends the
/// reply cleanly (the client sees a normal end and reconnects) and is reported with
/// `tracing::error!`. A finite stream ends the reply after its last event. The stream need
/// not be `Sync`.
///
/// Keep-alive is on: a comment after 15 s of quiet (see [`KeepAlive`]).
///
/// For frames encoded beforehand (a fan-out hub's subscription), see
/// [`Sse::from_frames`].
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use futures_util::stream;
/// use ssekit_warp::{Event, KeepAlive, Sse};
///
/// let events = stream::iter([Ok::<_, std::io::Error>(Event::new("hello"))]);
/// let reply = Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(5)));
/// # let _ = warp::Reply::into_response(reply);
/// ```
#[must_use]
#[derive(Debug)]
pub struct Sse<S> {
    events: S,
    keep_alive: Option<KeepAlive>,
    shutdown: Option<Shutdown>,
}

impl<S> Sse<S> {
    /// A reply streaming `events`, with the default keep-alive.
    ///
    /// # Example
    ///
    /// ```
    /// let reply = ssekit_warp::Sse::new(futures_util::stream::empty::<ssekit_warp::Event>());
    /// # let _ = warp::Reply::into_response(reply);
    /// ```
    pub fn new(events: S) -> Self {
        Self {
            events,
            keep_alive: Some(KeepAlive::new()),
            shutdown: None,
        }
    }

    /// Sets the keep-alive interval and comment.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_warp::{KeepAlive, Sse};
    ///
    /// let events = futures_util::stream::empty::<ssekit_warp::Event>();
    /// let reply = Sse::new(events).keep_alive(KeepAlive::new().comment("ping"));
    /// # let _ = warp::Reply::into_response(reply);
    /// ```
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.keep_alive = Some(keep_alive);
        self
    }

    /// Turns keep-alive off.
    ///
    /// # Example
    ///
    /// ```
    /// let events = futures_util::stream::empty::<ssekit_warp::Event>();
    /// let reply = ssekit_warp::Sse::new(events).without_keep_alive();
    /// # let _ = warp::Reply::into_response(reply);
    /// ```
    pub fn without_keep_alive(mut self) -> Self {
        self.keep_alive = None;
        self
    }

    /// Ends the reply at `shutdown`: when its signal completes, the body writes the
    /// shutdown's last frame (a `retry:` hint by default) and ends, so that the server's
    /// graceful shutdown does not wait for this client. To do the same for every
    /// event-stream reply of a filter, wrap it with [`until_shutdown`](crate::until_shutdown)
    /// instead.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_warp::{Event, Shutdown, Sse};
    ///
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let shutdown = Shutdown::new(async move { let _ = stopped.await; });
    /// let events = futures_util::stream::pending::<Event>();
    /// let reply = Sse::new(events).shutdown(shutdown);
    /// # let _ = warp::Reply::into_response(reply);
    /// # drop(stop);
    /// ```
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }
}

/// Frames encoded beforehand, as [`Sse::from_frames`] streams them: the `S` of an
/// `Sse<Frames<F>>`.
///
/// # Example
///
/// ```
/// use ssekit_warp::{Frames, Sse};
///
/// let frames = futures_util::stream::empty::<bytes::Bytes>();
/// let reply: Sse<Frames<_>> = Sse::from_frames(frames);
/// # let _ = warp::Reply::into_response(reply);
/// ```
#[derive(Debug)]
pub struct Frames<F>(F);

impl<F> Sse<Frames<F>> {
    /// A reply streaming frames that are already encoded, such as a fan-out hub's
    /// subscription (which encodes each event once for all its clients), with the same
    /// headers and default keep-alive as [`Sse::new`].
    ///
    /// Each item must be whole frames (events as [`Event::to_bytes`](crate::Event::to_bytes)
    /// writes them, one or several back to back), so that a keep-alive comment never lands
    /// inside an event. The reply ends when the stream does.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::stream;
    /// use ssekit_warp::{Event, Sse};
    ///
    /// let frame = Event::new("hello").to_bytes();
    /// let reply = Sse::from_frames(stream::iter([frame.clone(), frame]));
    /// # let _ = warp::Reply::into_response(reply);
    /// ```
    pub fn from_frames(frames: F) -> Self {
        Self::new(Frames(frames))
    }
}

impl<S> Reply for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoEventResult,
    <S::Item as IntoEventResult>::Error: Display + Send + 'static,
{
    fn into_response(self) -> Response {
        let body = ResponseBody::new(self.events, self.keep_alive, TokioTimer);
        sse_reply(UntilShutdown::new(body, self.shutdown))
    }
}

impl<F> Reply for Sse<Frames<F>>
where
    F: Stream<Item = Bytes> + Send + 'static,
{
    fn into_response(self) -> Response {
        let body = FramesBody::new(self.events.0, self.keep_alive, TokioTimer);
        sse_reply(UntilShutdown::new(body, self.shutdown))
    }
}

/// The event-stream reply for a body of frames, with its headers: an error in the body is
/// reported and ends it.
fn sse_reply<B, E>(frames: B) -> Response
where
    B: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Display,
{
    let frames = frames.filter_map(|frame| {
        ready(match frame {
            Ok(bytes) => Some(Ok::<_, Infallible>(bytes)),
            Err(error) => {
                tracing::error!(%error, "event stream failed; ending the response");
                None
            }
        })
    });
    let mut response = warp::reply::stream(SyncStream::new(frames)).into_response();
    for (name, value) in headers::RESPONSE_HEADERS {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_is_on_by_default_and_can_be_turned_off() {
        let events = futures_util::stream::empty::<ssekit_core::Event>();
        let sse = Sse::new(events);
        assert_eq!(sse.keep_alive, Some(KeepAlive::new()));
        assert!(sse.shutdown.is_none());
        assert_eq!(sse.without_keep_alive().keep_alive, None);
    }
}
