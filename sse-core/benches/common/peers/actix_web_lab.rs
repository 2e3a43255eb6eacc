//! Peer: `actix-web-lab` 0.29 — `actix_web_lab::sse::{Data, Event, Sse}`:
//! `Data::new(..).id(..).event(..)` into `Event`, fed as a `futures::stream::iter` to
//! `Sse::from_infallible_stream` (no `with_keep_alive`). `Sse` is the response body
//! (`actix_web::body::MessageBody`); it is drained with `actix_web::body::to_bytes`.
//! Driver: `futures::executor::block_on` (no tokio timer is touched without keep-alive).

use ::actix_web_lab::sse::{Data, Event, Sse};
use bytes::Bytes;

use super::Input;

/// Encodes every event, in order, through actix-web-lab's `Sse` body and returns the bytes.
pub fn encode(events: &[Input]) -> Bytes {
    let events: Vec<Event> = events
        .iter()
        .map(|e| {
            Data::new(e.data.to_owned())
                .id(e.id.to_owned())
                .event(e.event_type.to_owned())
                .into()
        })
        .collect();
    let body = Sse::from_infallible_stream(futures::stream::iter(events));
    futures::executor::block_on(::actix_web::body::to_bytes(body))
        .expect("actix-web-lab sse body error")
}
