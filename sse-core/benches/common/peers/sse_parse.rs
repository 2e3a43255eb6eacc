//! `sse-parse` 0.1.0 (default `std`): `sse_parse::EventStream::new` over a
//! `Stream<Item = Result<Bytes, Infallible>>` (the crate's async layer over its sans-IO
//! `SseParser`, which it feeds each chunk and calls `finish()` on at end of input). The peer only
//! yields dispatched events and never reports parse errors (invalid UTF-8 becomes U+FFFD), so
//! every `Ok(Event)` is counted.

use std::convert::Infallible;

use bytes::Bytes;
use futures::{StreamExt as _, executor::block_on, stream};

/// Decodes an event stream delivered as these chunks, in order, through the peer's decoder,
/// and returns (number of events delivered, total bytes of their `data` fields as the peer reports them).
pub fn decode(chunks: &[Bytes]) -> (usize, usize) {
    let input = stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>));
    let mut events = sse_parse::EventStream::new(input);
    block_on(async {
        let (mut n, mut bytes) = (0, 0);
        // The error type is uninhabited here (`Error<Infallible>`).
        while let Some(Ok(event)) = events.next().await {
            n += 1;
            bytes += event.data.len();
        }
        (n, bytes)
    })
}
