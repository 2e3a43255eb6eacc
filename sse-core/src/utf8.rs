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
pub(crate) fn to_str(bytes: &[u8]) -> Option<&str> {
    to_str_past_ascii(bytes, 0)
}

/// [`to_str`], where this module's own checks found `bytes[..known_ascii]` to be ASCII.
#[inline]
#[allow(unsafe_code)]
fn to_str_past_ascii(bytes: &[u8], known_ascii: usize) -> Option<&str> {
    let known_ascii = known_ascii.min(bytes.len());
    let ascii_len = known_ascii + ascii_prefix_len(&bytes[known_ascii..]);
    if ascii_len < bytes.len() {
        std::str::from_utf8(&bytes[ascii_len..]).ok()?;
    }
    // SAFETY: `bytes[..ascii_len]` is ASCII (`known_ascii` comes from this module's checks
    // of these bytes, the rest from `ascii_prefix_len`; both tested against `is_ascii`) and
    // `str::from_utf8` accepted what follows. ASCII bytes are UTF-8, and an ASCII byte ends
    // any character before it, so the two together are UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Bytes searched for their first line ending, and what the same pass saw of ASCII: within
/// a long line, a push is searched and then checked as UTF-8, two passes over bytes that
/// come from memory the first time. With AVX2 they are one pass, which over 16 KiB pieces of
/// 8 MiB (more than fits in the caches but the last) runs at 87-90 GB/s, against 61-65 for
/// `memchr2` then the ASCII check, and 95-98 for `memchr2` alone.
pub(crate) struct Searched<'a> {
    bytes: &'a [u8],
    line_ending: usize,
    /// `bytes[..ascii_len]` is ASCII.
    ascii_len: usize,
}

impl<'a> Searched<'a> {
    /// Searches `bytes` for a CR or LF, checking ASCII on the way where AVX2 is there.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let (line_ending, ascii_len) = avx2::line_ending_and_ascii(bytes);
            return Self {
                bytes,
                line_ending,
                ascii_len,
            };
        }
        Self {
            bytes,
            line_ending: memchr::memchr2(b'\r', b'\n', bytes).unwrap_or(bytes.len()),
            ascii_len: 0,
        }
    }

    /// Where the first CR or LF is, or the length if there is none.
    pub(crate) fn line_ending(&self) -> usize {
        self.line_ending
    }

    /// The first `len` bytes as text, if they are UTF-8, checking only what the search did
    /// not see to be ASCII.
    pub(crate) fn prefix_to_str(&self, len: usize) -> Option<&'a str> {
        to_str_past_ascii(&self.bytes[..len], self.ascii_len)
    }
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
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8, _mm256_setzero_si256,
    };

    const BLOCK: usize = 128;

    /// CR and LF as the signed bytes AVX2 compares.
    const CR: i8 = 0x0D;
    const LF: i8 = 0x0A;

    /// Where the first CR or LF of `bytes` is (or its length), and how many bytes at its
    /// start are known to be ASCII: the blocks searched, if they all are, or none. Only
    /// where the processor has AVX2, which the caller has checked.
    pub(super) fn line_ending_and_ascii(bytes: &[u8]) -> (usize, usize) {
        debug_assert!(std::arch::is_x86_feature_detected!("avx2"));
        // SAFETY: the caller checked that this processor has AVX2.
        unsafe { search_with_avx2(bytes) }
    }

    #[target_feature(enable = "avx2")]
    fn search_with_avx2(bytes: &[u8]) -> (usize, usize) {
        let (cr, lf) = (_mm256_set1_epi8(CR), _mm256_set1_epi8(LF));
        let line_endings = |lane: __m256i| {
            _mm256_or_si256(_mm256_cmpeq_epi8(lane, cr), _mm256_cmpeq_epi8(lane, lf))
        };
        let bits =
            |lane: __m256i| u64::from(u32::from_ne_bytes(_mm256_movemask_epi8(lane).to_ne_bytes()));
        let mut high_bits = _mm256_setzero_si256();
        let mut blocks = bytes.chunks_exact(BLOCK);
        let mut start = 0;
        for block in &mut blocks {
            let lanes = lanes(block.try_into().expect("blocks of 128 bytes"));
            high_bits = _mm256_or_si256(
                high_bits,
                _mm256_or_si256(
                    _mm256_or_si256(lanes[0], lanes[1]),
                    _mm256_or_si256(lanes[2], lanes[3]),
                ),
            );
            let ends = lanes.map(line_endings);
            let any = _mm256_or_si256(
                _mm256_or_si256(ends[0], ends[1]),
                _mm256_or_si256(ends[2], ends[3]),
            );
            if _mm256_movemask_epi8(any) != 0 {
                let low = bits(ends[0]) | (bits(ends[1]) << 32);
                let high = bits(ends[2]) | (bits(ends[3]) << 32);
                let offset = if low != 0 {
                    low.trailing_zeros()
                } else {
                    64 + high.trailing_zeros()
                };
                let ascii = if _mm256_movemask_epi8(high_bits) == 0 {
                    start + BLOCK
                } else {
                    0
                };
                return (start + offset as usize, ascii);
            }
            start += BLOCK;
        }
        let rest = blocks.remainder();
        let line_ending = memchr::memchr2(b'\r', b'\n', rest).map_or(bytes.len(), |at| start + at);
        let ascii = if _mm256_movemask_epi8(high_bits) != 0 {
            0
        } else if rest.is_ascii() {
            bytes.len()
        } else {
            start
        };
        (line_ending, ascii)
    }

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
    fn a_search_finds_the_first_line_ending_and_knows_only_ascii_as_ascii() {
        let others: [&[u8]; 4] = [b"\xC3\xA9", "€".as_bytes(), b"\xFF", b"\xE2\x82"];
        // Under Miri (scripts/miri), the lengths that reach each path of the AVX2 search
        // and its remainder, and a coarser step through the prefixes.
        let (lens, step): (&[usize], usize) = if cfg!(miri) {
            (&[0, 1, 127, 128, 129, 257], 61)
        } else {
            (&[0, 1, 127, 128, 129, 255, 256, 300, 1000], 7)
        };
        for &len in lens {
            for ending in [
                None,
                Some(0),
                Some(1),
                Some(len / 2),
                Some(len.saturating_sub(1)),
            ] {
                for other in [None, Some(0), Some(len / 3), Some(len.saturating_sub(2))] {
                    for sample in others {
                        let mut bytes = vec![b'x'; len];
                        if let Some(at) = other.filter(|&at| at + sample.len() <= len) {
                            bytes[at..at + sample.len()].copy_from_slice(sample);
                        }
                        if let Some(at) = ending.filter(|&at| at < len) {
                            bytes[at] = if at % 2 == 0 { b'\n' } else { b'\r' };
                        }
                        let searched = Searched::new(&bytes);
                        let first = memchr::memchr2(b'\r', b'\n', &bytes).unwrap_or(len);
                        assert_eq!(searched.line_ending(), first, "{len} {ending:?} {other:?}");
                        assert!(bytes[..searched.ascii_len].is_ascii(), "{len} {other:?}");
                        for end in (0..=len).step_by(step).chain([len]) {
                            assert_eq!(
                                searched.prefix_to_str(end),
                                std::str::from_utf8(&bytes[..end]).ok(),
                                "{len} {ending:?} {other:?} {end}"
                            );
                        }
                    }
                }
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

    /// `scripts/miri` runs these tests a second time with AVX2 on: then the AVX2 search is
    /// the one they reach.
    #[test]
    #[cfg(all(miri, target_arch = "x86_64", target_feature = "avx2"))]
    fn under_miri_with_avx2_on_the_avx2_search_is_the_one_taken() {
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
