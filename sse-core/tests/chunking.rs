//! Property tests of the decoder: for any bytes and any way of cutting them into chunks, the
//! output equals decoding them whole, and equals what the oracle (a character-by-character
//! transliteration of the spec) says a client sees.

mod common;

use common::pieces::decode_in_pieces;
use common::{decode_cut, oracle};
use proptest::prelude::*;
use ssekit_core::{DecodeError, Decoded, Limits};

/// The bytes of a possible byte order mark the decoder may hold at the start of the stream.
const BOM_PREFIX: usize = 2;

/// Decodes `input` cut at `cuts` (offsets in any order) under `limits`, errors included,
/// checking after each pull that the decoder holds no more than the limits allow.
fn decode_limited(
    input: &[u8],
    cuts: &[usize],
    limits: Limits,
) -> Vec<Result<Decoded, DecodeError>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut longest_chunk = 0;
    let (items, _) = decode_in_pieces(input, &cuts, limits, |decoder, chunk| {
        longest_chunk = longest_chunk.max(chunk);
        // A partial line, one chunk, the event's data, its type and id buffers, and the
        // first two bytes of a byte order mark, held until the third tells whether it is one.
        let bound = limits.max_line_len
            + longest_chunk
            + limits.max_event_size
            + 2 * limits.max_line_len
            + BOM_PREFIX;
        assert!(
            decoder.buffered_len() <= bound,
            "{} > {bound}",
            decoder.buffered_len()
        );
    });
    items
}

/// Found by the property below: a BOM pushed a byte at a time, under limits of zero, held
/// two bytes against a bound that forgot them.
#[test]
fn a_byte_order_mark_byte_by_byte_stays_within_the_bound() {
    let limits = Limits::new().max_line_len(0).max_event_size(0);
    let items = decode_limited(b"\xEF\xBB\xBF", &[1, 2], limits);
    assert!(items.is_empty(), "{items:?}");
}

/// Bytes that look like an event stream: field names, separators, every kind of line ending,
/// BOMs, NULs, digits, valid and broken UTF-8, and some noise.
fn event_stream_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data".to_vec()),
        Just(b"event".to_vec()),
        Just(b"id".to_vec()),
        Just(b"retry".to_vec()),
        Just(b"message".to_vec()),
        Just(b":".to_vec()),
        Just(b": ".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("é😀".as_bytes().to_vec()),
        Just(b"\xC3".to_vec()),
        Just(b"\xF0\x9F".to_vec()),
        Just(b"\xFF".to_vec()),
        proptest::collection::vec(b'0'..=b'9', 1..25),
        "[a-z]{1,3}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 1..4),
    ];
    proptest::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn any_chunking_decodes_like_the_whole(
        input in event_stream_bytes(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let cuts: Vec<usize> = cuts.iter().map(|cut| cut % (input.len() + 1)).collect();
        prop_assert_eq!(decode_cut(&input, &cuts, true), decode_cut(&input, &[], true));
    }

    #[test]
    fn whole_input_decodes_like_the_oracle(input in event_stream_bytes()) {
        prop_assert_eq!(decode_cut(&input, &[], true), oracle::decode(&input, true));
        prop_assert_eq!(decode_cut(&input, &[], false), oracle::decode(&input, false));
    }

    #[test]
    fn arbitrary_bytes_in_arbitrary_chunks_decode_like_the_oracle(
        input in proptest::collection::vec(any::<u8>(), 0..512),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let cuts: Vec<usize> = cuts.iter().map(|cut| cut % (input.len() + 1)).collect();
        prop_assert_eq!(decode_cut(&input, &cuts, true), oracle::decode(&input, true));
    }

    #[test]
    fn any_chunking_trips_the_limits_like_the_whole(
        input in event_stream_bytes(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        max_line_len in 0..40_usize,
        max_event_size in 0..60_usize,
    ) {
        let limits = Limits::new().max_line_len(max_line_len).max_event_size(max_event_size);
        prop_assert_eq!(decode_limited(&input, &cuts, limits), decode_limited(&input, &[], limits));
        let bytes: Vec<usize> = (0..input.len()).collect();
        prop_assert_eq!(decode_limited(&input, &bytes, limits), decode_limited(&input, &[], limits));
    }

    #[test]
    fn limits_that_never_trip_change_nothing(input in event_stream_bytes()) {
        let longest_line = input.split(|&b| b == b'\r' || b == b'\n').map(<[u8]>::len).max().unwrap_or(0);
        let limits = Limits::new().max_line_len(longest_line).max_event_size(input.len() + 1);
        let expected: Vec<_> = oracle::decode(&input, true).0.into_iter().map(Ok).collect();
        prop_assert_eq!(decode_limited(&input, &[], limits), expected);
    }

    #[test]
    fn byte_by_byte_decodes_like_the_oracle(input in event_stream_bytes()) {
        let cuts: Vec<usize> = (0..input.len()).collect();
        prop_assert_eq!(decode_cut(&input, &cuts, true), oracle::decode(&input, true));
    }
}

/// Like [`event_stream_bytes`], but valid UTF-8 with many multi-byte characters, and only
/// now and then a byte that is not.
fn text_stream_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => Just(b"data:".to_vec()),
        2 => Just(b"event:".to_vec()),
        2 => Just(b"id:".to_vec()),
        1 => Just(b":".to_vec()),
        2 => Just(b" ".to_vec()),
        2 => Just(b"\n".to_vec()),
        1 => Just(b"\r".to_vec()),
        1 => Just(b"\r\n".to_vec()),
        2 => Just(b"\n\n".to_vec()),
        1 => Just("\u{FEFF}".as_bytes().to_vec()),
        4 => Just("é😀".as_bytes().to_vec()),
        4 => Just("€".as_bytes().to_vec()),
        4 => Just("ü".as_bytes().to_vec()),
        4 => Just("😀".as_bytes().to_vec()),
        4 => "[a-z]{1,8}".prop_map(String::into_bytes),
        1 => Just(b"\xE2\x82".to_vec()),
        1 => Just(b"\xFF".to_vec()),
    ];
    proptest::collection::vec(piece, 0..64).prop_map(|pieces| pieces.concat())
}

/// Offsets that cut `len` bytes into pushes of `lengths`, taken in turn.
fn cuts_by_lengths(len: usize, lengths: &[usize]) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut at = 0;
    for length in lengths.iter().cycle() {
        at += length;
        if at >= len {
            return cuts;
        }
        cuts.push(at);
    }
    cuts
}

/// Long streams in pushes of 256 bytes and more (held as text while they are valid UTF-8, a
/// code point cut at the end of one waiting for the next), with a few short pushes between
/// them (held as bytes).
fn long_pushes() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    (
        proptest::collection::vec(
            prop_oneof![3 => text_stream_bytes(), 1 => event_stream_bytes()],
            1..24,
        ),
        proptest::collection::vec(prop_oneof![3 => 256..400_usize, 1 => 1..8_usize], 1..8),
    )
        .prop_map(|(streams, lengths)| {
            let input = streams.concat();
            let cuts = cuts_by_lengths(input.len(), &lengths);
            (input, cuts)
        })
}

proptest! {
    #[test]
    fn long_pushes_decode_like_the_oracle((input, cuts) in long_pushes()) {
        prop_assert_eq!(decode_cut(&input, &cuts, true), oracle::decode(&input, true));
    }

    #[test]
    fn long_pushes_trip_the_limits_like_the_whole(
        (input, cuts) in long_pushes(),
        max_line_len in 0..300_usize,
        max_event_size in 0..600_usize,
    ) {
        let limits = Limits::new().max_line_len(max_line_len).max_event_size(max_event_size);
        prop_assert_eq!(decode_limited(&input, &cuts, limits), decode_limited(&input, &[], limits));
    }
}
