//! Checking that bytes are UTF-8, faster than `str::from_utf8` alone on the ASCII text that
//! most streams are: `<[u8]>::is_ascii` crosses ASCII at about twice the speed (129 against
//! 69 GB/s over 64 KiB on this project's machine), and `str::from_utf8` checks only what
//! follows the first piece that is not ASCII.

/// How many bytes one `is_ascii` call looks at before the check moves on: small enough
/// that a stream with an occasional non-ASCII character checks little twice, large enough
/// that the calls cost nothing beside the bytes.
const PIECE: usize = 256;

/// `bytes` as text, if they are UTF-8: the same answer as `str::from_utf8(bytes).ok()`.
#[inline]
#[allow(unsafe_code)]
pub(crate) fn to_str(bytes: &[u8]) -> Option<&str> {
    let ascii_len = ascii_prefix_len(bytes);
    if ascii_len < bytes.len() {
        std::str::from_utf8(&bytes[ascii_len..]).ok()?;
    }
    // SAFETY: `bytes[..ascii_len]` is ASCII (`is_ascii` said so of each of its pieces) and
    // `str::from_utf8` accepted the rest. ASCII bytes are UTF-8, and an ASCII byte ends any
    // character before it, so the two together are UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// The length of the longest run of whole pieces at the start of `bytes` that are all ASCII
/// (all of `bytes` when it is ASCII): always a character boundary.
fn ascii_prefix_len(bytes: &[u8]) -> usize {
    let mut len = 0;
    for piece in bytes.chunks(PIECE) {
        if !piece.is_ascii() {
            break;
        }
        len += piece.len();
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_from_utf8_on_every_placement_of_every_kind_of_byte() {
        let samples: [&[u8]; 9] = [
            b"a",
            "é".as_bytes(),
            "€".as_bytes(),
            "𝄞".as_bytes(),
            b"\xFF",
            b"\xC3",
            b"\xE2\x82",
            b"\x80",
            b"\xED\xA0\x80",
        ];
        for len in [0_usize, 1, 255, 256, 257, 511, 512, 700] {
            for at in [0, 1, len / 2, len.saturating_sub(1), len] {
                for sample in samples {
                    let mut bytes = vec![b'x'; len];
                    let at = at.min(len);
                    bytes.splice(at..at, sample.iter().copied());
                    assert_eq!(
                        to_str(&bytes),
                        std::str::from_utf8(&bytes).ok(),
                        "{len} {at} {sample:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_ascii_prefix_is_made_of_whole_ascii_pieces() {
        let mut bytes = vec![b'x'; 3 * PIECE];
        assert_eq!(ascii_prefix_len(&bytes), 3 * PIECE);
        bytes[PIECE + 7] = 0xC3;
        assert_eq!(ascii_prefix_len(&bytes), PIECE);
        bytes[0] = 0x80;
        assert_eq!(ascii_prefix_len(&bytes), 0);
    }
}
