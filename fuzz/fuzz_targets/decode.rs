//! Any bytes, cut anywhere: no panic, the same output as decoding them whole, and the same as
//! the spec's transliteration.
#![no_main]

use ssekit_core::Limits;
use ssekit_fuzz::{decode_in_pieces, decode_whole, oracle, split_points_from};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (cuts, input) = split_points_from(data);
    let whole = decode_whole(input, Limits::unlimited());
    let pieces = decode_in_pieces(input, &cuts, Limits::unlimited(), |_, _| {});
    assert_eq!(pieces, whole);
    let (items, last_event_id) = oracle::decode(input, true);
    assert_eq!(whole, (items.into_iter().map(Ok).collect(), last_event_id));
});
