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
pub struct Input<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub data: &'a str,
}

/// Encodes every event through an encoder and returns the body bytes a client receives.
pub type EncodeFn = fn(&[Input<'_>]) -> Bytes;

pub fn encoders() -> Vec<(&'static str, EncodeFn)> {
    vec![
        ("sse-core/encode_into", ours::encode_into as EncodeFn),
        ("sse-core/encode_stream", ours::encode_stream),
        ("sse-stream", sse_stream::encode),
        ("actix-web-lab", actix_web_lab::encode),
        ("axum/Sse", axum_sse::encode),
        ("warp/sse", warp_sse::encode),
    ]
}

pub fn decoders() -> Vec<(&'static str, DecodeFn)> {
    vec![
        ("sse-core/sans-io", ours::decode_sans_io as DecodeFn),
        ("sse-core/sans-io-borrowed", ours::decode_borrowed),
        ("sse-core/stream", ours::decode_stream),
        ("sse-stream", sse_stream::decode),
        ("sseer", sseer::decode),
        ("sse-parse", sse_parse::decode),
        ("eventsource-stream", eventsource_stream::decode),
        ("async-sse", async_sse::decode),
        ("sse-codec", sse_codec::decode),
        ("russe", russe::decode),
    ]
}
