//! Finding CR and LF without a byte loop: one pass over up to 64 bytes gives a bitmask of
//! their positions, with SSE2 on `x86_64` and a word at a time (SWAR) elsewhere. The decoder
//! reads lines off it, and the encoder splits data at its bits; the field checks search
//! short values a word at a time, where a call into `memchr` costs more than the search
//! itself.

use memchr::{memchr, memchr2};

/// How many bytes one bitmask covers.
pub(crate) const BLOCK: usize = 64;

/// Whether `bytes` holds a CR or LF. Values up to 64 bytes (ids, event types, most data)
/// are searched a word at a time in line, which is cheaper than a call into `memchr2` for
/// so few bytes; longer ones go to `memchr2`.
pub(crate) fn has_line_ending(bytes: &[u8]) -> bool {
    if bytes.len() > BLOCK {
        memchr2(b'\r', b'\n', bytes).is_some()
    } else {
        any_word(bytes, line_ending_bytes)
    }
}

/// Whether `bytes` holds a zero byte, searched as [`has_line_ending`] searches.
pub(crate) fn has_nul(bytes: &[u8]) -> bool {
    if bytes.len() > BLOCK {
        memchr(0, bytes).is_some()
    } else {
        any_word(bytes, zero_bytes)
    }
}

/// Whether `hit` marks a byte in any 8-byte word of `bytes`: the whole words, then the last
/// 8 bytes (which may overlap the words before), so that no byte is left to a loop. Under 8
/// bytes, one word made of the bytes themselves (some twice), with no padding to match.
#[inline]
pub(crate) fn any_word(bytes: &[u8], hit: fn(u64) -> u64) -> bool {
    let len = bytes.len();
    if len < 8 {
        let half = |half: &[u8]| u32::from_le_bytes(half.try_into().expect("four bytes"));
        let word = if len >= 4 {
            u64::from(half(&bytes[..4])) | (u64::from(half(&bytes[len - 4..])) << 32)
        } else if len > 0 {
            let picked = half(&[bytes[0], bytes[len / 2], bytes[len - 1], bytes[0]]);
            u64::from(picked) | (u64::from(picked) << 32)
        } else {
            return false;
        };
        return hit(word) != 0;
    }
    let word = |word: &[u8]| u64::from_le_bytes(word.try_into().expect("eight bytes"));
    let mut found = hit(word(&bytes[len - 8..]));
    for whole in bytes.chunks_exact(8) {
        found |= hit(word(whole));
    }
    found != 0
}

/// Bit `i` set where `block[i]` is CR or LF; `block` holds at most 64 bytes. A short block
/// (the end of what has arrived, often a few bytes of a small push) is read with no byte
/// loop too.
pub(crate) fn line_ending_mask(block: &[u8]) -> u64 {
    if let Ok(block) = <&[u8; BLOCK]>::try_from(block) {
        return full_block_mask(block);
    }
    #[cfg(target_arch = "x86_64")]
    {
        sse2::short_block_mask(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        swar_short_mask(block)
    }
}

/// [`line_ending_mask`] of fewer than 64 bytes, a word at a time: its last 8 bytes as one
/// more word (overlapping the words before); under 16 bytes, as [`under_sixteen_mask`].
#[cfg_attr(
    target_arch = "x86_64",
    allow(dead_code, reason = "tested against SSE2")
)]
fn swar_short_mask(block: &[u8]) -> u64 {
    let len = block.len();
    if len < 16 {
        return under_sixteen_mask(block);
    }
    let mut mask = 0;
    let mut index = 0;
    for word in block.chunks_exact(8) {
        let word = u64::from_le_bytes(word.try_into().expect("chunks of eight bytes"));
        mask |= u64::from(word_line_endings(word)) << index;
        index += 8;
    }
    let last = u64::from_le_bytes(block[len - 8..].try_into().expect("eight bytes"));
    mask | (u64::from(word_line_endings(last)) << (len - 8))
}

/// The same over exactly 64 bytes: with SSE2's compare and move-mask on `x86_64` (part of
/// every `x86_64` processor), a word at a time elsewhere.
#[inline]
pub(crate) fn full_block_mask(block: &[u8; BLOCK]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::full_block_mask(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        swar_block_mask(block)
    }
}

/// One of the crate's two places with `unsafe` code (the other is `utf8`'s ASCII check):
/// 16-byte loads and SSE2 instructions, which `std::arch` offers only as `unsafe` functions.
/// On this project's machine the mask of a 64-byte block takes 1.6 ns this way against 5.8 ns
/// a word at a time (SWAR), and the SWAR scan was a third of the decoder's time on LLM-style
/// streams (BENCHMARKS.md).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    use super::BLOCK;

    /// CR and LF as the signed bytes SSE2 compares.
    const CR: i8 = 0x0D;
    const LF: i8 = 0x0A;

    /// Bit `i` set where `block[i]` is CR or LF. Its own loop over the array, not the lane
    /// loop of [`short_block_mask`] on a slice: sharing that cost 3.5% of the decoder's
    /// throughput on corpus A (the length is no longer known at compile time).
    #[inline]
    pub(super) fn full_block_mask(block: &[u8; BLOCK]) -> u64 {
        let mut mask = 0;
        for (index, lane) in block.chunks_exact(16).enumerate() {
            let lane: &[u8; 16] = lane.try_into().expect("chunks of sixteen bytes");
            mask |= u64::from(lane_mask(lane)) << (16 * index);
        }
        mask
    }

    /// Bit `i` set where `block[i]` is CR or LF, for fewer than 64 bytes: four 16-byte lanes
    /// (overlapping where there are fewer than 64 bytes), or, under 16 bytes,
    /// [`under_sixteen_mask`](super::under_sixteen_mask).
    #[inline]
    pub(super) fn short_block_mask(block: &[u8]) -> u64 {
        let len = block.len();
        if len < 16 {
            return super::under_sixteen_mask(block);
        }
        // Four lanes whatever the length, the later ones moved back to end within the
        // block (overlapping the lanes before): no branch on how many lanes it holds.
        let last = len - 16;
        let lane_at = |at: usize| {
            let lane: &[u8; 16] = block[at..at + 16].try_into().expect("sixteen bytes");
            u64::from(lane_mask(lane)) << at
        };
        lane_at(0) | lane_at(last.min(16)) | lane_at(last.min(32)) | lane_at(last)
    }

    /// Bit `i` set where `lane[i]` is CR or LF.
    #[inline]
    fn lane_mask(lane: &[u8; 16]) -> u16 {
        // SAFETY: SSE2 is in every x86_64 target, so these instructions exist wherever this
        // compiles; the unaligned load reads exactly the 16 bytes `lane` borrows.
        #[allow(
            clippy::cast_ptr_alignment,
            reason = "_mm_loadu_si128 is the unaligned load: it takes any address"
        )]
        unsafe {
            let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
            let cr = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(CR));
            let lf = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(LF));
            // The move-mask sets only the low 16 bits.
            u16::try_from(_mm_movemask_epi8(_mm_or_si128(cr, lf)) & 0xFFFF).unwrap_or(0)
        }
    }
}

/// The mask of exactly 64 bytes, eight at a time: each 8-byte word gives the 8 bits of its
/// CR and LF positions with a few integer operations and no branch (SWAR), well ahead of a
/// byte loop that the compiler cannot turn into a vector move-mask.
#[cfg_attr(
    target_arch = "x86_64",
    allow(dead_code, reason = "tested against SSE2")
)]
fn swar_block_mask(block: &[u8; BLOCK]) -> u64 {
    let mut mask = 0;
    for (index, word) in block.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("chunks of eight bytes"));
        mask |= u64::from(word_line_endings(word)) << (index * 8);
    }
    mask
}

/// [`line_ending_mask`] of fewer than 16 bytes, read straight from the caller's bytes as two
/// overlapping words (8 or 4 bytes each), or as the first, middle and last byte under 4. A
/// copy into a padded lane first made the lane's load wait for the copy's stores: 13% of
/// each push's time went to that wait on short pushes.
fn under_sixteen_mask(block: &[u8]) -> u64 {
    let len = block.len();
    debug_assert!(len < 16);
    if len >= 8 {
        let first = u64::from_le_bytes(block[..8].try_into().expect("eight bytes"));
        let last = u64::from_le_bytes(block[len - 8..].try_into().expect("eight bytes"));
        return u64::from(word_line_endings(first))
            | (u64::from(word_line_endings(last)) << (len - 8));
    }
    if len >= 4 {
        let first = u32::from_le_bytes(block[..4].try_into().expect("four bytes"));
        let last = u32::from_le_bytes(block[len - 4..].try_into().expect("four bytes"));
        let bits = u64::from(word_line_endings(
            u64::from(first) | (u64::from(last) << 32),
        ));
        return (bits & 0xF) | ((bits >> 4) << (len - 4));
    }
    if len == 0 {
        return 0;
    }
    let (first, middle, last) = (block[0], block[len / 2], block[len - 1]);
    let bits = u64::from(word_line_endings(
        u64::from(first) | (u64::from(middle) << 8) | (u64::from(last) << 16),
    ));
    (bits & 1) | ((bits >> 1 & 1) << (len / 2)) | ((bits >> 2 & 1) << (len - 1))
}

/// Bit `i` set where byte `i` of the little-endian `word` is CR or LF.
fn word_line_endings(word: u64) -> u8 {
    let matches = line_ending_bytes(word);
    // The high bit of byte `i` moves to bit 56 + i; no two partial products overlap, so
    // nothing carries.
    let gathered = (matches >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
    u8::try_from(gathered).expect("eight bits")
}

/// The high bit of each byte of the result is set exactly where that byte of `word` is CR or
/// LF.
fn line_ending_bytes(word: u64) -> u64 {
    const EACH_BYTE: u64 = 0x0101_0101_0101_0101;
    zero_bytes(word ^ (EACH_BYTE * u64::from(b'\n')))
        | zero_bytes(word ^ (EACH_BYTE * u64::from(b'\r')))
}

/// The high bit of each byte of the result is set exactly where that byte of `word` is zero.
fn zero_bytes(word: u64) -> u64 {
    const LOW_SEVEN: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((word & LOW_SEVEN).wrapping_add(LOW_SEVEN)) | word | LOW_SEVEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_line_ending(byte: u8) -> bool {
        byte == b'\n' || byte == b'\r'
    }

    #[test]
    fn short_and_long_values_are_searched_alike() {
        for len in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 63, 64, 65, 128, 200] {
            let plain = vec![b'x'; len];
            assert!(!has_line_ending(&plain), "{len}");
            assert!(!has_nul(&plain), "{len}");
            for at in 0..len {
                for byte in [b'\r', b'\n'] {
                    let mut value = plain.clone();
                    value[at] = byte;
                    assert!(has_line_ending(&value), "{len} {at} {byte}");
                    assert!(!has_nul(&value));
                }
                let mut value = plain.clone();
                value[at] = 0;
                assert!(has_nul(&value), "{len} {at}");
                assert!(!has_line_ending(&value));
                // Bytes next to the searched ones are no match.
                value[at] = 0x80;
                assert!(!has_nul(&value));
                for near in [0x8D, 0x8A, 0x0C, 0x0B, 0x0E, 0x09] {
                    value[at] = near;
                    assert!(!has_line_ending(&value), "{len} {at} {near}");
                }
            }
        }
    }

    #[test]
    fn the_word_masks_agree_with_a_byte_by_byte_search() {
        let mut block = [0_u8; BLOCK];
        let seeds = if cfg!(miri) { 40 } else { 2000_u64 };
        for seed in 0..seeds {
            for (index, byte) in block.iter_mut().enumerate() {
                // Every value, dense in CR, LF and their neighbours.
                let pick = (seed * 31 + index as u64 * 17) % 23;
                *byte = match pick {
                    0 => b'\r',
                    1 => b'\n',
                    2 => 0x8D,
                    3 => 0x8A,
                    4 => 0x0C,
                    5 => 0x0B,
                    6 => 0x0E,
                    _ => seed.wrapping_mul(index as u64 + 7).to_le_bytes()[0],
                };
            }
            let expected = block.iter().enumerate().fold(0_u64, |mask, (i, &b)| {
                mask | (u64::from(is_line_ending(b)) << i)
            });
            assert_eq!(full_block_mask(&block), expected, "{block:?}");
            assert_eq!(swar_block_mask(&block), expected, "{block:?}");
            for len in 0..BLOCK {
                let short = expected & ((1 << len) - 1);
                assert_eq!(line_ending_mask(&block[..len]), short, "{len}: {block:?}");
                assert_eq!(swar_short_mask(&block[..len]), short, "{len}: {block:?}");
            }
        }
    }
}
