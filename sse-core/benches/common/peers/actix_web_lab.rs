//! Peer: `actix-web-lab` 0.29 — `actix_web_lab::sse::{Data, Event, Sse}`:
//! `Data::new(..).id(..).event(..)` into `Event`, built as it is polled, fed as a
//! `futures::stream::iter` to `Sse::from_infallible_stream` (no `with_keep_alive`). `Sse` is
//! the response body (`actix_web::body::MessageBody`), polled frame by frame without a runtime.
//! Driver: `futures::executor::block_on` (no tokio timer is touched without keep-alive).

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use ::actix_web::body::MessageBody;
use ::actix_web_lab::sse::{Data, Event, Sse};

use super::{Inputs, built_as_polled};

/// Encodes every event, in order, through actix-web-lab's `Sse` body, frame by frame.
pub fn encode(inputs: &Inputs, sink: &mut dyn FnMut(&[u8])) {
    let events = built_as_polled(inputs, |e| {
        Event::from(
            Data::new(e.data.as_str())
                .id(e.id.as_str())
                .event(e.event_type.as_str()),
        )
    });
    let body = Sse::from_infallible_stream(futures::stream::iter(events));
    let mut body = pin!(body);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        match body.as_mut().poll_next(&mut context) {
            Poll::Ready(Some(Ok(frame))) => sink(&frame),
            Poll::Ready(Some(Err(error))) => panic!("actix-web-lab sse body error: {error:?}"),
            Poll::Ready(None) => return,
            Poll::Pending => panic!("a body of ready events never waits"),
        }
    }
}
