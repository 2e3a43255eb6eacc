//! `russe` 0.3.1 (no optional features): `tokio_util::codec::FramedRead::new(
//! tokio_util::io::StreamReader::new(stream), russe::Decoder::default())` over a
//! `Stream<Item = io::Result<Bytes>>`, which is exactly how the crate's own `reqwest` integration
//! (`ReqwestExt::sse_stream`) wires it. `FramedRead` needs no Tokio runtime, so it is driven with
//! `futures::executor::block_on`. Only `Event::Message` is counted (`Comment`/`Retry` skipped);
//! note the peer also emits `Message` for frames with `id`/`event` but no `data` line (empty
//! `data`), and it cannot distinguish those from `data:` with an empty value, so such frames
//! count here as the peer reports them. The first `Err` stops the loop.

use std::io;

use bytes::Bytes;
use futures::{StreamExt as _, executor::block_on, stream};
use russe::Event;
use tokio_util::{codec::FramedRead, io::StreamReader};

/// Decodes an event stream delivered as these chunks, in order, through the peer's decoder,
/// and returns (number of events delivered, total bytes of their `data` fields as the peer reports them).
pub fn decode(chunks: &[Bytes]) -> (usize, usize) {
    let reader = StreamReader::new(stream::iter(chunks.iter().cloned().map(Ok::<_, io::Error>)));
    let mut events = FramedRead::new(reader, russe::Decoder::default());
    block_on(async {
        let (mut n, mut bytes) = (0, 0);
        while let Some(item) = events.next().await {
            match item {
                Ok(Event::Message(msg)) => {
                    n += 1;
                    bytes += msg.data.len();
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        (n, bytes)
    })
}
