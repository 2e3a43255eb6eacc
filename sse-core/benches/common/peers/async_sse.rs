//! `async-sse` 5.1.0: `async_sse::decode(reader)` takes an `AsyncBufRead`, not a chunk stream,
//! so the chunks are adapted with `futures::TryStreamExt::into_async_read` over a
//! `Stream<Item = io::Result<Bytes>>` (each chunk is exposed as the reader's fill buffer, so chunk
//! boundaries reach the peer unchanged). Only `Event::Message` is counted, with
//! `Message::data().len()`; `Event::Retry` frames are skipped. The first `Err` stops the loop.

use std::io;

use async_sse::Event;
use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _, executor::block_on, stream};

/// Decodes an event stream delivered as these chunks, in order, through the peer's decoder,
/// and returns (number of events delivered, total bytes of their `data` fields as the peer reports them).
pub fn decode(chunks: &[Bytes]) -> (usize, usize) {
    let reader = stream::iter(chunks.iter().cloned().map(Ok::<_, io::Error>)).into_async_read();
    let mut events = async_sse::decode(reader);
    block_on(async {
        let (mut n, mut bytes) = (0, 0);
        while let Some(item) = events.next().await {
            match item {
                Ok(Event::Message(msg)) => {
                    n += 1;
                    bytes += msg.data().len();
                }
                Ok(Event::Retry(_)) => {}
                Err(_) => break,
            }
        }
        (n, bytes)
    })
}
