//! `sse-codec` 0.3.3: `sse_codec::decode_stream(reader)` (a `futures_codec::FramedRead` with
//! `SSECodec`) takes an `AsyncRead`, not a chunk stream, so the chunks are adapted with
//! `futures::TryStreamExt::into_async_read` over a `Stream<Item = io::Result<Bytes>>`
//! (`FramedRead` copies each read through an 8 KiB stack buffer; chunks <= 8 KiB arrive intact).
//! Only `Event::Message` is counted; `Event::Retry` is skipped. The first `Err` stops the loop.

use std::io;

use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _, executor::block_on, stream};
use sse_codec::Event;

/// Decodes an event stream delivered as these chunks, in order, through the peer's decoder,
/// and returns (number of events delivered, total bytes of their `data` fields as the peer reports them).
pub fn decode(chunks: &[Bytes]) -> (usize, usize) {
    let reader = stream::iter(chunks.iter().cloned().map(Ok::<_, io::Error>)).into_async_read();
    let mut events = sse_codec::decode_stream(reader);
    block_on(async {
        let (mut n, mut bytes) = (0, 0);
        while let Some(item) = events.next().await {
            match item {
                Ok(Event::Message { data, .. }) => {
                    n += 1;
                    bytes += data.len();
                }
                Ok(Event::Retry { .. }) => {}
                Err(_) => break,
            }
        }
        (n, bytes)
    })
}
