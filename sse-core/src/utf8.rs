//! Checking that bytes are UTF-8, faster than `str::from_utf8` alone on the ASCII text that
//! most streams are: ASCII is crossed first, and `str::from_utf8` checks only what follows
//! the first piece that is not ASCII. Over 64 KiB on this project's machine, `str::from_utf8`
//! runs at 69 GB/s, `<[u8]>::is_ascii` at 118-129 GB/s, and AVX2 (where the processor has
//! it) at 195-265 GB/s.

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
    // SAFETY: `bytes[..ascii_len]` is ASCII (`ascii_prefix_len`, tested against `is_ascii`)
    // and `str::from_utf8` accepted what follows. ASCII bytes are UTF-8, and an ASCII byte
    // ends any character before it, so the two together are UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// The length of a run of ASCII at the start of `bytes`: all of `bytes` when it is ASCII,
/// otherwise the whole pieces before the first byte that is not (a character boundary).
fn ascii_prefix_len(bytes: &[u8]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if bytes.len() >= PIECE && std::arch::is_x86_feature_detected!("avx2") {
        return avx2::ascii_prefix_len(bytes);
    }
    portable_ascii_prefix_len(bytes)
}

/// Whether `bytes` are ASCII, a word at a time with no byte loop ([`crate::scan::any_word`]).
/// `is_ascii` checks the bytes after its last 32-byte step one by one: on 100 bytes it takes
/// 9.7 ns, this 1.8 ns; from 256 bytes on, `is_ascii` is ahead (111-124 GB/s against
/// 94-106).
fn words_are_ascii(bytes: &[u8]) -> bool {
    !crate::scan::any_word(bytes, |word| word & 0x8080_8080_8080_8080)
}

/// [`ascii_prefix_len`] a piece at a time: `is_ascii` on whole pieces,
/// [`words_are_ascii`] on a shorter one.
fn portable_ascii_prefix_len(bytes: &[u8]) -> usize {
    let mut len = 0;
    for piece in bytes.chunks(PIECE) {
        let ascii = if piece.len() == PIECE {
            piece.is_ascii()
        } else {
            words_are_ascii(piece)
        };
        if !ascii {
            break;
        }
        len += piece.len();
    }
    len
}

/// [`ascii_prefix_len`] 128 bytes at a time with AVX2: four 32-byte loads OR-ed together,
/// whose move-mask (the high bit of each byte) is zero exactly when all 128 are ASCII.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    use std::arch::x86_64::{__m256i, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256};

    const BLOCK: usize = 128;

    /// Only where the processor has AVX2, which the caller has checked.
    pub(super) fn ascii_prefix_len(bytes: &[u8]) -> usize {
        debug_assert!(std::arch::is_x86_feature_detected!("avx2"));
        // SAFETY: the caller checked that this processor has AVX2.
        unsafe { with_avx2(bytes) }
    }

    #[target_feature(enable = "avx2")]
    fn with_avx2(bytes: &[u8]) -> usize {
        let mut blocks = bytes.chunks_exact(BLOCK);
        let mut len = 0;
        for block in &mut blocks {
            let block: &[u8; BLOCK] = block.try_into().expect("blocks of 128 bytes");
            if !block_is_ascii(block) {
                return len;
            }
            len += BLOCK;
        }
        if blocks.remainder().is_ascii() {
            len += blocks.remainder().len();
        }
        len
    }

    #[target_feature(enable = "avx2")]
    fn block_is_ascii(block: &[u8; BLOCK]) -> bool {
        let lanes = lanes(block);
        let high_bits = _mm256_or_si256(
            _mm256_or_si256(lanes[0], lanes[1]),
            _mm256_or_si256(lanes[2], lanes[3]),
        );
        _mm256_movemask_epi8(high_bits) == 0
    }

    /// The block as four 32-byte lanes.
    #[target_feature(enable = "avx2")]
    fn lanes(block: &[u8; BLOCK]) -> [__m256i; 4] {
        let lane = |index: usize| {
            // SAFETY: an unaligned 32-byte load of `block[32 * index..32 * (index + 1)]`,
            // inside the 128 bytes `block` borrows (`index` is below 4); AVX2 is enabled.
            #[allow(
                clippy::cast_ptr_alignment,
                reason = "_mm256_loadu_si256 is the unaligned load: it takes any address"
            )]
            unsafe {
                _mm256_loadu_si256(
                    block[32 * index..32 * (index + 1)]
                        .as_ptr()
                        .cast::<__m256i>(),
                )
            }
        };
        [lane(0), lane(1), lane(2), lane(3)]
    }
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
        let lens: &[usize] = if cfg!(miri) {
            &[0, 1, 5, 13, 129, 257]
        } else {
            &[0, 1, 2, 5, 8, 13, 255, 256, 257, 511, 512, 700]
        };
        for &len in lens {
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
    fn every_way_to_the_ascii_prefix_stops_before_the_first_other_byte() {
        let lens: &[usize] = if cfg!(miri) {
            &[0, 1, 127, 128, 129, 257]
        } else {
            &[0, 1, 127, 128, 129, 255, 256, 257, 300, 1000]
        };
        for &len in lens {
            let mut bytes = vec![b'x'; len];
            assert_eq!(ascii_prefix_len(&bytes), len);
            assert_eq!(portable_ascii_prefix_len(&bytes), len);
            for at in 0..len {
                for other in [0x80, 0xC3, 0xFF] {
                    bytes[at] = other;
                    for prefix in [ascii_prefix_len(&bytes), portable_ascii_prefix_len(&bytes)] {
                        assert!(prefix <= at, "{len} {at}: {prefix}");
                        assert!(at - prefix < PIECE, "{len} {at}: {prefix}");
                    }
                    #[cfg(target_arch = "x86_64")]
                    if std::arch::is_x86_feature_detected!("avx2") {
                        let prefix = avx2::ascii_prefix_len(&bytes);
                        assert!(prefix <= at && at - prefix < 128, "{len} {at}: {prefix}");
                    }
                }
                bytes[at] = b'x';
            }
        }
    }

    #[test]
    fn the_word_check_sees_a_byte_over_127_wherever_it_is() {
        for len in 0..=40 {
            let mut bytes = vec![b'\x7F'; len];
            assert!(words_are_ascii(&bytes), "{len}");
            for at in 0..len {
                bytes[at] = 0x80;
                assert!(!words_are_ascii(&bytes), "{len} {at}");
                bytes[at] = b'\x7F';
            }
        }
    }

    /// `scripts/miri` runs these tests a second time with AVX2 on: then the AVX2 check is
    /// the one they reach.
    #[test]
    #[cfg(all(miri, target_arch = "x86_64", target_feature = "avx2"))]
    fn under_miri_with_avx2_on_the_avx2_check_is_the_one_taken() {
        assert!(std::arch::is_x86_feature_detected!("avx2"));
    }

    #[test]
    fn the_ascii_prefix_is_made_of_whole_ascii_pieces() {
        let mut bytes = vec![b'x'; 3 * PIECE];
        assert_eq!(portable_ascii_prefix_len(&bytes), 3 * PIECE);
        bytes[PIECE + 7] = 0xC3;
        assert_eq!(portable_ascii_prefix_len(&bytes), PIECE);
        bytes[0] = 0x80;
        assert_eq!(portable_ascii_prefix_len(&bytes), 0);
    }
}
