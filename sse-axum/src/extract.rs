//! Extractors for the request side of an event stream.

use std::convert::Infallible;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{StatusCode, header};
use ssekit_core::headers;

/// The id a reconnecting client sent in `Last-Event-ID`, so that the handler can resume after
/// it. `None` when the header is absent, and also when it holds no valid id (not UTF-8, or
/// holding CR, LF or U+0000): this extractor never rejects a request.
///
/// # Example
///
/// ```
/// use ssekit_axum::LastEventId;
///
/// async fn handler(LastEventId(last_event_id): LastEventId) -> String {
///     format!("resuming after {last_event_id:?}")
/// }
/// # let _: axum::Router = axum::Router::new().route("/", axum::routing::get(handler));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LastEventId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for LastEventId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let value = parts.headers.get(headers::LAST_EVENT_ID);
        let id = value.and_then(|value| headers::last_event_id(value.as_bytes()));
        Ok(Self(id.map(str::to_owned)))
    }
}

/// Extracts only from requests whose `Accept` asks for `text/event-stream`, as a browser's
/// `EventSource` does; others are rejected with [`NotAcceptable`] (`406`). Take an
/// `Option<AcceptsEventStream>` to serve something else to them instead.
///
/// # Example
///
/// ```
/// use axum::response::{Html, IntoResponse, Response};
/// use ssekit_axum::{AcceptsEventStream, Event, Sse};
///
/// async fn talk(accepts: Option<AcceptsEventStream>) -> Response {
///     match accepts {
///         Some(AcceptsEventStream) => {
///             Sse::new(futures_util::stream::iter([Event::new("hi")])).into_response()
///         }
///         None => Html("<p>open me with EventSource</p>").into_response(),
///     }
/// }
/// # let _: axum::Router = axum::Router::new().route("/talk", axum::routing::get(talk));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcceptsEventStream;

impl AcceptsEventStream {
    fn from_parts(parts: &Parts) -> Option<Self> {
        let mut accept = parts.headers.get_all(header::ACCEPT).iter();
        accept
            .any(|value| headers::accepts_event_stream(value.as_bytes()))
            .then_some(Self)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AcceptsEventStream {
    type Rejection = NotAcceptable;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, NotAcceptable> {
        Self::from_parts(parts).ok_or(NotAcceptable)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AcceptsEventStream {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Infallible> {
        Ok(Self::from_parts(parts))
    }
}

/// The rejection of [`AcceptsEventStream`]: `406 Not Acceptable`, with an empty body.
///
/// # Example
///
/// ```
/// use axum::response::IntoResponse;
///
/// let response = ssekit_axum::NotAcceptable.into_response();
/// assert_eq!(response.status(), 406);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAcceptable;

impl IntoResponse for NotAcceptable {
    fn into_response(self) -> Response {
        StatusCode::NOT_ACCEPTABLE.into_response()
    }
}
