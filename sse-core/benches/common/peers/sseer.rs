//! `sseer` 0.3.1 (feature `std`, for runtime-SIMD `memchr`; no `reqwest`/`json`):
//! `sseer::EventStream::new` over a `Stream<Item = Result<Bytes, Infallible>>`, as in the crate's
//! "Using `EventStream` directly" example. The peer only yields dispatched events (non-empty data
//! buffer), so every `Ok(Event)` is counted and `event.data.len()` summed. The first `Err`
//! (UTF-8 error) stops the loop.

use std::convert::Infallible;

use bytes::Bytes;
use futures::{StreamExt as _, executor::block_on, stream};

/// Decodes an event stream delivered as these chunks, in order, through the peer's decoder,
/// and returns (number of events delivered, total bytes of their `data` fields as the peer reports them).
pub fn decode(chunks: &[Bytes]) -> (usize, usize) {
    let input = stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>));
    let mut events = sseer::EventStream::new(input);
    block_on(async {
        let (mut n, mut bytes) = (0, 0);
        while let Some(item) = events.next().await {
            let Ok(event) = item else { break };
            n += 1;
            bytes += event.data.len();
        }
        (n, bytes)
    })
}
