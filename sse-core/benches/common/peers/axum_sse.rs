//! Peer: `axum` 0.8 — `axum::response::sse::{Event, Sse}`:
//! `Event::default().data(..).id(..).event(..)`, built as it is polled, fed as a
//! `futures::stream::iter` of `Result<Event, Infallible>` to `Sse::new` (no `.keep_alive`),
//! turned into a response with `IntoResponse::into_response`, body polled frame by frame
//! (`drain_http_body`). No runtime: the body never waits.

use std::convert::Infallible;

use ::axum::response::IntoResponse;
use ::axum::response::sse::{Event, Sse};

use super::{Inputs, built_as_polled, drain_http_body};

/// Encodes every event, in order, through axum's `Sse` response, frame by frame.
pub fn encode(inputs: &Inputs, sink: &mut dyn FnMut(&[u8])) {
    let events = built_as_polled(inputs, |e| {
        Ok::<_, Infallible>(
            Event::default()
                .data(e.data.as_str())
                .id(e.id.as_str())
                .event(e.event_type.as_str()),
        )
    });
    let response = Sse::new(futures::stream::iter(events)).into_response();
    drain_http_body(response.into_body(), sink);
}
