//! `eventsource-stream` 0.2.3 (default `std`): the `Eventsource::eventsource()` extension
//! (= `EventStream::new`) on a `Stream<Item = Result<Bytes, Infallible>>`, as in the crate docs
//! (`bytes_stream().eventsource()`). The peer only yields dispatched events (non-empty data
//! buffer), so every `Ok(Event)` is counted. The first `Err` (UTF-8 or parser error) stops the loop.

use std::convert::Infallible;

use bytes::Bytes;
use eventsource_stream::Eventsource as _;
use futures::{StreamExt as _, executor::block_on, stream};

/// Decodes an event stream delivered as these chunks, in order, through the peer's decoder,
/// and returns (number of events delivered, total bytes of their `data` fields as the peer reports them).
pub fn decode(chunks: &[Bytes]) -> (usize, usize) {
    let mut events = stream::iter(chunks.iter().cloned().map(Ok::<_, Infallible>)).eventsource();
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
