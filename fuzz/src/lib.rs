//! What the fuzz targets share: turning fuzz input into chunks, and decoding them.

use sse_core::{DecodeError, Decoded, Decoder, Limits};

/// The spec, transliterated slowly and obviously: the decoder must agree with it.
#[path = "../../sse-core/tests/common/oracle.rs"]
pub mod oracle;

/// Splits fuzz input into cut points and the event stream: the first byte says how many cuts
/// (up to 15), each following byte is the gap to the next cut (1 to 64 bytes), and the rest is
/// the stream.
pub fn split_points_from(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&count, rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    let count = usize::from(count % 16).min(rest.len());
    let (gaps, input) = rest.split_at(count);
    let mut cut = 0;
    let cuts = gaps
        .iter()
        .map(|&gap| {
            cut += 1 + usize::from(gap % 64);
            cut.min(input.len())
        })
        .collect();
    (cuts, input)
}

/// Everything the decoder yields, errors included, and its last event id.
pub type Output = (Vec<Result<Decoded, DecodeError>>, String);

/// Decodes `input` pushed in pieces cut at `cuts` (ascending), pulling after each push and
/// calling `check` on the decoder after each pull.
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
        let end = end.max(start);
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
