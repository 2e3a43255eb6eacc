//! Every decoder and encoder measured, ours first, behind one signature each. Each peer is
//! driven the way its own documentation shows, over the same chunks or the same events.

mod actix_web_lab;
mod async_sse;
mod axum_sse;
mod eventsource_stream;
mod ours;
mod russe;
mod sse_codec;
mod sse_parse;
mod sse_stream;
mod sseer;
mod warp_sse;

use bytes::Bytes;

/// Decodes the chunks in order; returns (events delivered, bytes of their data).
pub type DecodeFn = fn(&[Bytes]) -> (usize, usize);

/// One event to encode: data may hold LF (multi-line); the id and type are single-line.
pub struct Input {
    pub id: String,
    pub event_type: String,
    pub data: String,
}

/// The events to encode, shared: a response body that takes only `'static` streams (axum,
/// warp, actix-web-lab) builds each event from them as it is polled, like every other
/// encoder, instead of from a list of every event built beforehand.
pub type Inputs = std::sync::Arc<[Input]>;

/// Encodes every event through an encoder, handing each body frame to the sink as it comes
/// (as a server writes each frame to its socket and lets it go).
pub type EncodeFn = fn(&Inputs, &mut dyn FnMut(&[u8]));

/// Each input built into an encoder's event as the iterator is advanced, by an iterator
/// that owns a hold on the inputs: what a body that takes only `'static` streams is fed.
pub fn built_as_polled<T>(
    inputs: &Inputs,
    build: impl Fn(&Input) -> T + Send + 'static,
) -> impl Iterator<Item = T> + Send + 'static {
    let inputs = std::sync::Arc::clone(inputs);
    (0..inputs.len()).map(move |index| build(&inputs[index]))
}

/// Polls an `http_body::Body` of ready frames to its end without a runtime, handing each
/// data frame to `sink`.
pub fn drain_http_body<B>(body: B, sink: &mut dyn FnMut(&[u8]))
where
    B: http_body::Body + Unpin,
    B::Error: std::fmt::Debug,
{
    use bytes::Buf;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    let mut body = body;
    let mut context = Context::from_waker(Waker::noop());
    loop {
        match Pin::new(&mut body).poll_frame(&mut context) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Ok(mut data) = frame.into_data() {
                    while data.has_remaining() {
                        let chunk = data.chunk();
                        sink(chunk);
                        let len = chunk.len();
                        data.advance(len);
                    }
                }
            }
            Poll::Ready(Some(Err(error))) => panic!("body error: {error:?}"),
            Poll::Ready(None) => return,
            Poll::Pending => panic!("a body of ready events never waits"),
        }
    }
}

pub fn encoders() -> Vec<(&'static str, EncodeFn)> {
    vec![
        ("ssekit-core/encode_into", ours::encode_into as EncodeFn),
        ("ssekit-core/encode_ref", ours::encode_ref),
        ("ssekit-core/encode_stream", ours::encode_stream),
        ("sse-stream", sse_stream::encode),
        ("actix-web-lab", actix_web_lab::encode),
        ("axum/Sse", axum_sse::encode),
        ("warp/sse", warp_sse::encode),
    ]
}

pub fn decoders() -> Vec<(&'static str, DecodeFn)> {
    vec![
        ("ssekit-core/sans-io", ours::decode_sans_io as DecodeFn),
        ("ssekit-core/sans-io-borrowed", ours::decode_borrowed),
        ("ssekit-core/stream", ours::decode_stream),
        ("sse-stream", sse_stream::decode),
        ("sseer", sseer::decode),
        ("sse-parse", sse_parse::decode),
        ("eventsource-stream", eventsource_stream::decode),
        ("async-sse", async_sse::decode),
        ("sse-codec", sse_codec::decode),
        ("russe", russe::decode),
    ]
}
