//! Decoding input cut into pieces, errors included: shared by the chunking property tests
//! and the fuzz targets (which include this file by path).

use ssekit_core::{DecodeError, Decoded, Decoder, Limits};

/// Everything the decoder yields, errors included, and its last event id.
pub type Output = (Vec<Result<Decoded, DecodeError>>, String);

/// Decodes `input` pushed in pieces cut at `cuts` (ascending; a cut before the previous one
/// makes an empty piece), with comments emitted, pulling after each push and calling `check`
/// with the decoder and the piece's length after each pull.
pub fn decode_in_pieces(
    input: &[u8],
    cuts: &[usize],
    limits: Limits,
    mut check: impl FnMut(&Decoder, usize),
) -> Output {
    let mut decoder = Decoder::with_limits(limits);
    decoder.set_emit_comments(true);
    let mut items = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain([&input.len()]) {
        let end = end.clamp(start, input.len());
        decoder.push(&input[start..end]);
        pull_all(&mut decoder, &mut items);
        check(&decoder, end - start);
        start = end;
    }
    decoder.finish();
    pull_all(&mut decoder, &mut items);
    (items, decoder.last_event_id().to_string())
}

/// Decodes `input` in one push.
pub fn decode_whole(input: &[u8], limits: Limits) -> Output {
    decode_in_pieces(input, &[], limits, |_, _| {})
}

fn pull_all(decoder: &mut Decoder, items: &mut Vec<Result<Decoded, DecodeError>>) {
    loop {
        match decoder.next_decoded() {
            Ok(None) => return,
            Ok(Some(item)) => items.push(Ok(item)),
            Err(error) => items.push(Err(error)),
        }
    }
}
