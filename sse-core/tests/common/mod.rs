//! Helpers shared by the integration tests; each test crate uses part of them.
#![allow(dead_code)]

pub mod oracle;
pub mod pieces;

use std::time::Duration;

use ssekit_core::{Decoded, Decoder, Limits, Message};

/// Decodes `chunks` one push at a time, with no limits, pulling after each push.
pub fn decode_chunks<'a>(
    chunks: impl IntoIterator<Item = &'a [u8]>,
    emit_comments: bool,
) -> (Vec<Decoded>, String) {
    let mut decoder = Decoder::with_limits(Limits::unlimited());
    decoder.set_emit_comments(emit_comments);
    let mut items = Vec::new();
    for chunk in chunks {
        decoder.push(chunk);
        drain(&mut decoder, &mut items);
    }
    decoder.finish();
    drain(&mut decoder, &mut items);
    (items, decoder.last_event_id().to_string())
}

fn drain(decoder: &mut Decoder, items: &mut Vec<Decoded>) {
    while let Some(item) = decoder.next_decoded().expect("no limits, so no error") {
        items.push(item);
    }
}

/// Decodes `input` cut at each of `cuts` (offsets, in any order, duplicates allowed).
pub fn decode_cut(input: &[u8], cuts: &[usize], emit_comments: bool) -> (Vec<Decoded>, String) {
    let mut cuts: Vec<usize> = cuts.iter().map(|&cut| cut.min(input.len())).collect();
    cuts.sort_unstable();
    let mut start = 0;
    let mut chunks = Vec::new();
    for cut in cuts.into_iter().chain([input.len()]) {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    decode_chunks(chunks, emit_comments)
}

/// Asserts that `input` decodes to `expected`, with comments emitted, and leaves
/// `last_event_id`: fed whole, cut at every offset, cut at every pair of offsets (for short
/// inputs), and byte by byte; and that the oracle agrees.
pub fn assert_decodes_to(input: &[u8], expected: &[Decoded], last_event_id: &str) {
    let expected = (expected.to_vec(), last_event_id.to_string());
    assert_eq!(oracle::decode(input, true), expected, "oracle, whole input");
    assert_eq!(decode_cut(input, &[], true), expected, "whole input");
    for cut in 0..=input.len() {
        assert_eq!(decode_cut(input, &[cut], true), expected, "cut at {cut}");
    }
    if input.len() <= 80 {
        for first in 0..=input.len() {
            for second in first..=input.len() {
                let cuts = [first, second];
                assert_eq!(decode_cut(input, &cuts, true), expected, "cuts at {cuts:?}");
            }
        }
    }
    let bytes = input.chunks(1);
    assert_eq!(decode_chunks(bytes, true), expected, "byte by byte");
}

/// Like [`assert_decodes_to`], for any last event id.
pub fn assert_decodes(input: &[u8], expected: &[Decoded]) {
    let last_event_id = decode_cut(input, &[], true).1;
    assert_decodes_to(input, expected, &last_event_id);
}

/// A delivered message.
pub fn message(event_type: &str, data: &str, last_event_id: &str) -> Decoded {
    Decoded::Message(Message::new(event_type, data, last_event_id))
}

/// A message of the default type, with no last event id.
pub fn data(data: &str) -> Decoded {
    message("message", data, "")
}

/// A `retry` value taken.
pub fn retry(millis: u64) -> Decoded {
    Decoded::Retry(Duration::from_millis(millis))
}

/// A comment's text.
pub fn comment(text: &str) -> Decoded {
    Decoded::Comment(text.to_string())
}
