//! `sse-stream` 0.3, both ways.
//!
//! Decoding:
//! `sse-stream` 0.3.0 (default features `memchr`, `simdutf8`): `sse_stream::SseByteStream::new`
//! over a `Stream<Item = Result<Bytes, Infallible>>`, the README's recommended path for byte
//! streams (it skips the `http_body` frame adaptation of `SseStream`). The peer yields raw
//! blocks including metadata-only ones (`data: None`); only blocks with `Some(data)` are
//! counted. A decoding error ends the peer's stream; we stop there and return what was
//! delivered.
//!
//! Encoding:
//! Peer: `sse-stream` 0.3 — `sse_stream::Sse` builder (`.data().id().event()`), built as it is
//! polled, fed as a `futures::stream::iter` of `Result<Sse, Infallible>` into
//! `sse_stream::SseBody::new` (its `http_body::Body` encoder, no keep-alive), polled frame by
//! frame without a runtime (`drain_http_body`).

use std::convert::Infallible;

use bytes::Bytes;
use futures::{StreamExt as _, executor::block_on, stream};
use sse_stream::{Sse, SseBody};

use super::{Inputs, drain_http_body};

/// Decodes an event stream delivered as these chunks, in order, through the peer's decoder,
/// and returns (number of events delivered, total bytes of their `data` fields as the peer reports them).
pub fn decode(chunks: &[Bytes]) -> (usize, usize) {
    let input = stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>));
    let mut events = sse_stream::SseByteStream::new(input);
    block_on(async {
        let (mut n, mut bytes) = (0, 0);
        while let Some(item) = events.next().await {
            let Ok(sse) = item else { break };
            if let Some(data) = sse.data {
                n += 1;
                bytes += data.len();
            }
        }
        (n, bytes)
    })
}

/// Encodes every event, in order, through `SseBody`, frame by frame.
pub fn encode(inputs: &Inputs, sink: &mut dyn FnMut(&[u8])) {
    let events = inputs.iter().map(|e| {
        Ok::<_, Infallible>(
            Sse::default()
                .data(e.data.as_str())
                .id(e.id.as_str())
                .event(e.event_type.as_str()),
        )
    });
    let body = SseBody::new(futures::stream::iter(events));
    drain_http_body(body, sink);
}
