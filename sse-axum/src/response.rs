//! The event-stream response.

use std::convert::Infallible;
use std::fmt::Display;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderName, HeaderValue};
use http_body::Frame;
use pin_project_lite::pin_project;
use ssekit_core::{
    FramesBody, IntoEventResult, KeepAlive, ResponseBody, Shutdown, TokioTimer, UntilShutdown,
    headers,
};

/// An event-stream response: `200`, `Content-Type: text/event-stream`,
/// `Cache-Control: no-cache`, `X-Accel-Buffering: no`, no `Content-Length`, and a body that
/// sends each event the moment the stream yields it.
///
/// The stream's items are [`Event`](crate::Event)s, or `Result<Event, E>`. An error ends the
/// response cleanly (the client sees a normal end and reconnects) and is reported with
/// `tracing::error!`. A finite stream ends the response after its last event.
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
/// use ssekit_axum::{Event, KeepAlive, Sse};
///
/// let events = stream::iter([Ok::<_, std::io::Error>(Event::new("hello"))]);
/// let response = Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(5)));
/// # let _ = axum::response::IntoResponse::into_response(response);
/// ```
#[must_use]
#[derive(Debug)]
pub struct Sse<S> {
    events: S,
    keep_alive: Option<KeepAlive>,
    shutdown: Option<Shutdown>,
}

impl<S> Sse<S> {
    /// A response streaming `events`, with the default keep-alive.
    ///
    /// # Example
    ///
    /// ```
    /// let response = ssekit_axum::Sse::new(futures_util::stream::empty::<ssekit_axum::Event>());
    /// # let _ = axum::response::IntoResponse::into_response(response);
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
    /// use ssekit_axum::{KeepAlive, Sse};
    ///
    /// let events = futures_util::stream::empty::<ssekit_axum::Event>();
    /// let response = Sse::new(events).keep_alive(KeepAlive::new().comment("ping"));
    /// # let _ = axum::response::IntoResponse::into_response(response);
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
    /// let events = futures_util::stream::empty::<ssekit_axum::Event>();
    /// let response = ssekit_axum::Sse::new(events).without_keep_alive();
    /// # let _ = axum::response::IntoResponse::into_response(response);
    /// ```
    pub fn without_keep_alive(mut self) -> Self {
        self.keep_alive = None;
        self
    }

    /// Ends the response at `shutdown`: when its signal completes, the body writes the
    /// shutdown's last frame (a `retry:` hint by default) and ends, so that the server's
    /// graceful shutdown does not wait for this client. To do the same for every
    /// event-stream response of a router, layer it with
    /// [`ShutdownLayer`](crate::ShutdownLayer) instead.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_axum::{Event, Shutdown, Sse};
    ///
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let shutdown = Shutdown::new(async move { let _ = stopped.await; });
    /// let events = futures_util::stream::pending::<Event>();
    /// let response = Sse::new(events).shutdown(shutdown);
    /// # let _ = axum::response::IntoResponse::into_response(response);
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
/// use ssekit_axum::{Frames, Sse};
///
/// let frames = futures_util::stream::empty::<bytes::Bytes>();
/// let response: Sse<Frames<_>> = Sse::from_frames(frames);
/// # let _ = axum::response::IntoResponse::into_response(response);
/// ```
#[derive(Debug)]
pub struct Frames<F>(F);

impl<F> Sse<Frames<F>> {
    /// A response streaming frames that are already encoded, such as a fan-out hub's
    /// subscription (which encodes each event once for all its clients), with the same
    /// headers and default keep-alive as [`Sse::new`].
    ///
    /// Each item must be whole frames (events as [`Event::to_bytes`](crate::Event::to_bytes)
    /// writes them, one or several back to back), so that a keep-alive comment never lands
    /// inside an event. The response ends when the stream does.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::stream;
    /// use ssekit_axum::{Event, Sse};
    ///
    /// let frame = Event::new("hello").to_bytes();
    /// let response = Sse::from_frames(stream::iter([frame.clone(), frame]));
    /// # let _ = axum::response::IntoResponse::into_response(response);
    /// ```
    pub fn from_frames(frames: F) -> Self {
        Self::new(Frames(frames))
    }
}

impl<S> IntoResponse for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoEventResult,
    <S::Item as IntoEventResult>::Error: Display + Send + 'static,
{
    fn into_response(self) -> Response {
        let body = ResponseBody::new(self.events, self.keep_alive, TokioTimer);
        sse_response(UntilShutdown::new(body, self.shutdown))
    }
}

impl<F> IntoResponse for Sse<Frames<F>>
where
    F: Stream<Item = Bytes> + Send + 'static,
{
    fn into_response(self) -> Response {
        let body = FramesBody::new(self.events.0, self.keep_alive, TokioTimer);
        sse_response(UntilShutdown::new(body, self.shutdown))
    }
}

/// The event-stream response for a body of frames, with its headers.
fn sse_response<B, E>(frames: B) -> Response
where
    B: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Display,
{
    let mut response = Response::new(Body::new(SseBody { frames }));
    for (name, value) in headers::RESPONSE_HEADERS {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

pin_project! {
    /// A body of frames as an HTTP body: each frame a data frame; an error reported and
    /// turned into the body's end.
    struct SseBody<B> {
        #[pin]
        frames: B,
    }
}

impl<B, E> http_body::Body for SseBody<B>
where
    B: Stream<Item = Result<Bytes, E>>,
    E: Display,
{
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match ready!(self.project().frames.poll_next(cx)) {
            Some(Ok(bytes)) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
            Some(Err(error)) => {
                tracing::error!(%error, "event stream failed; ending the response");
                Poll::Ready(None)
            }
            None => Poll::Ready(None),
        }
    }
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
