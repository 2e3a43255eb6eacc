//! Every decoder and encoder measured, ours first, behind one signature each.

mod ours;

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
    ]
}

pub fn decoders() -> Vec<(&'static str, DecodeFn)> {
    vec![
        ("sse-core/sans-io", ours::decode_sans_io as DecodeFn),
        ("sse-core/sans-io-borrowed", ours::decode_borrowed),
        ("sse-core/stream", ours::decode_stream),
    ]
}
