//! What the fuzz targets share: turning fuzz input into chunks, and decoding them.

/// The spec, transliterated slowly and obviously: the decoder must agree with it.
#[path = "../../sse-core/tests/common/oracle.rs"]
pub mod oracle;

/// Decoding in pieces, shared with the chunking property tests.
#[path = "../../sse-core/tests/common/pieces.rs"]
mod pieces;

pub use pieces::{Output, decode_in_pieces, decode_whole};

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
