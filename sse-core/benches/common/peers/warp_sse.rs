//! Peer: `warp` 0.4 — `warp::sse::{Event, reply}` (no "server" feature needed):
//! `Event::default().data(..).id(..).event(..)`, built as it is polled, fed as a
//! `futures::stream::iter` of `Result<Event, Infallible>` to `warp::sse::reply` (no
//! `keep_alive()`), turned into a response with `warp::Reply::into_response`, body polled frame
//! by frame without a runtime (`drain_http_body`).

use std::convert::Infallible;

use ::warp::Reply;
use ::warp::sse::Event;

use super::{Inputs, built_as_polled, drain_http_body};

/// Encodes every event, in order, through warp's SSE reply, frame by frame.
pub fn encode(inputs: &Inputs, sink: &mut dyn FnMut(&[u8])) {
    let events = built_as_polled(inputs, |e| {
        Ok::<_, Infallible>(
            Event::default()
                .data(e.data.as_str())
                .id(e.id.as_str())
                .event(e.event_type.as_str()),
        )
    });
    let response = ::warp::sse::reply(futures::stream::iter(events)).into_response();
    drain_http_body(response.into_body(), sink);
}
