//! Peer: `warp` 0.4 — `warp::sse::{Event, reply}` (no "server" feature needed):
//! `Event::default().data(..).id(..).event(..)` fed as a `futures::stream::iter` of
//! `Result<Event, Infallible>` to `warp::sse::reply` (no `keep_alive()`), turned into a
//! response with `warp::Reply::into_response`, body polled frame by frame without a runtime
//! (`drain_http_body`).

use std::convert::Infallible;

use ::warp::Reply;
use ::warp::sse::Event;

use super::{Input, drain_http_body};

/// Encodes every event, in order, through warp's SSE reply, frame by frame.
pub fn encode(events: &[Input], sink: &mut dyn FnMut(&[u8])) {
    let events: Vec<Result<Event, Infallible>> = events
        .iter()
        .map(|e| Ok(Event::default().data(e.data).id(e.id).event(e.event_type)))
        .collect();
    let response = ::warp::sse::reply(futures::stream::iter(events)).into_response();
    drain_http_body(response.into_body(), sink);
}
