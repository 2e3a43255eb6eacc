//! Any bytes under small limits, cut anywhere: the decoder never holds more than the limits
//! allow (plus the chunk just pushed), and trips them the same way however the bytes are cut.
#![no_main]

use ssekit_core::Limits;
use ssekit_fuzz::{decode_in_pieces, decode_whole, split_points_from};

/// The most bytes of a BOM the decoder holds while it waits for the third.
const BOM_PREFIX: usize = 2;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&[line, event], data)) = data.split_first_chunk::<2>() else {
        return;
    };
    let limits = Limits::new()
        .max_line_len(usize::from(line % 64))
        .max_event_size(usize::from(event));
    let (cuts, input) = split_points_from(data);
    let pieces = decode_in_pieces(input, &cuts, limits, |decoder, chunk| {
        // The partial line (at most the limit, plus the chunk that just came), the event's
        // data, and its type and id, each bounded by a limit; or, at the very start, the
        // first two bytes of what may still become a BOM.
        let bound = limits.max_line_len + chunk + limits.max_event_size + 2 * limits.max_line_len;
        let bound = bound.max(BOM_PREFIX);
        assert!(
            decoder.buffered_len() <= bound,
            "{} > {bound}",
            decoder.buffered_len()
        );
    });
    assert_eq!(pieces, decode_whole(input, limits));
});
