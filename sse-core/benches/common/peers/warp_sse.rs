//! Peer: `warp` 0.4 — `warp::sse::{Event, reply}` (no "server" feature needed):
//! `Event::default().data(..).id(..).event(..)` fed as a `futures::stream::iter` of
//! `Result<Event, Infallible>` to `warp::sse::reply` (no `keep_alive()`), turned into a
//! response with `warp::Reply::into_response`, body collected with
//! `http_body_util::BodyExt::collect`. Driver: `futures::executor::block_on`.

use std::convert::Infallible;

use ::warp::Reply;
use ::warp::sse::Event;
use bytes::Bytes;
use http_body_util::BodyExt;

use super::Input;

/// Encodes every event, in order, through warp's SSE reply and returns the body bytes.
pub fn encode(events: &[Input]) -> Bytes {
    let events: Vec<Result<Event, Infallible>> = events
        .iter()
        .map(|e| Ok(Event::default().data(e.data).id(e.id).event(e.event_type)))
        .collect();
    let response = ::warp::sse::reply(futures::stream::iter(events)).into_response();
    futures::executor::block_on(response.into_body().collect())
        .expect("warp sse body error")
        .to_bytes()
}
