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
use sse_core::{IntoEventResult, KeepAlive, ResponseBody, TokioTimer, headers};

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
/// # Example
///
/// ```
/// use std::time::Duration;
/// use futures_util::stream;
/// use sse_axum::{Event, KeepAlive, Sse};
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
}

impl<S> Sse<S> {
    /// A response streaming `events`, with the default keep-alive.
    ///
    /// # Example
    ///
    /// ```
    /// let response = sse_axum::Sse::new(futures_util::stream::empty::<sse_axum::Event>());
    /// # let _ = axum::response::IntoResponse::into_response(response);
    /// ```
    pub fn new(events: S) -> Self {
        Self {
            events,
            keep_alive: Some(KeepAlive::new()),
        }
    }

    /// Sets the keep-alive interval and comment.
    ///
    /// # Example
    ///
    /// ```
    /// use sse_axum::{KeepAlive, Sse};
    ///
    /// let events = futures_util::stream::empty::<sse_axum::Event>();
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
    /// let events = futures_util::stream::empty::<sse_axum::Event>();
    /// let response = sse_axum::Sse::new(events).without_keep_alive();
    /// # let _ = axum::response::IntoResponse::into_response(response);
    /// ```
    pub fn without_keep_alive(mut self) -> Self {
        self.keep_alive = None;
        self
    }
}

impl<S> IntoResponse for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: IntoEventResult,
    <S::Item as IntoEventResult>::Error: Display,
{
    fn into_response(self) -> Response {
        let body = ResponseBody::new(self.events, self.keep_alive, TokioTimer);
        let mut response = Response::new(Body::new(SseBody { frames: body }));
        for (name, value) in headers::RESPONSE_HEADERS {
            response.headers_mut().insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        response
    }
}

pin_project! {
    /// [`ResponseBody`] as an HTTP body: each frame a data frame; an error reported and
    /// turned into the body's end.
    struct SseBody<S> {
        #[pin]
        frames: ResponseBody<S, TokioTimer>,
    }
}

impl<S> http_body::Body for SseBody<S>
where
    S: Stream,
    S::Item: IntoEventResult,
    <S::Item as IntoEventResult>::Error: Display,
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
        let events = futures_util::stream::empty::<sse_core::Event>();
        let sse = Sse::new(events);
        assert_eq!(sse.keep_alive, Some(KeepAlive::new()));
        assert_eq!(sse.without_keep_alive().keep_alive, None);
    }
}
