//! Peer: `axum` 0.8 — `axum::response::sse::{Event, Sse}`:
//! `Event::default().data(..).id(..).event(..)` fed as a `futures::stream::iter` of
//! `Result<Event, Infallible>` to `Sse::new` (no `.keep_alive`), turned into a response with
//! `IntoResponse::into_response`, body collected with `http_body_util::BodyExt::collect`.
//! Driver: `futures::executor::block_on`.

use std::convert::Infallible;

use ::axum::response::IntoResponse;
use ::axum::response::sse::{Event, Sse};
use bytes::Bytes;
use http_body_util::BodyExt;

use super::Input;

/// Encodes every event, in order, through axum's `Sse` response and returns the body bytes.
pub fn encode(events: &[Input]) -> Bytes {
    let events: Vec<Result<Event, Infallible>> = events
        .iter()
        .map(|e| Ok(Event::default().data(e.data).id(e.id).event(e.event_type)))
        .collect();
    let response = Sse::new(futures::stream::iter(events)).into_response();
    futures::executor::block_on(response.into_body().collect())
        .expect("axum sse body error")
        .to_bytes()
}
