//! Cutting the pushed bytes into lines: line endings, a leading BOM, and where to resume.
//!
//! Line endings are found 64 bytes at a time: one pass over a block gives a bitmask of its CR
//! and LF positions ([`crate::scan`]), and the lines it holds are then read off the mask
//! without scanning again. A block with no line ending hands over to `memchr2`, which is
//! faster over the long stretches of a long line.

use bytes::BytesMut;

use crate::scan::{BLOCK, line_ending_mask};

/// The UTF-8 byte order mark, dropped once at the very start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The bytes pushed and not yet consumed, and what is known about them.
#[derive(Debug, Default)]
pub(super) struct LineReader {
    input: BytesMut,
    /// `input[..start]` is consumed: the next line (or the rest of a skipped one) starts here.
    /// Consumed bytes stay until the next push, so that what was read from them can still be
    /// borrowed.
    start: usize,
    /// Line endings not yet returned: bit `i` set means one at `mask_base + i`.
    mask: u64,
    mask_base: usize,
    /// `input[..scanned]` has been searched: its line endings were returned or are in `mask`.
    /// Each byte is searched once, however the input is chunked.
    scanned: usize,
    /// The last line ended in CR, so an LF that comes next belongs to that line ending.
    after_cr: bool,
    /// Nothing has been read yet, so a leading BOM may still be on its way.
    at_stream_start: bool,
    /// The caller said no more bytes will come.
    finished: bool,
}

/// What [`LineReader::scan`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scan {
    /// `input()[start..end]` is a whole line; the one after it starts at `next`.
    Line {
        start: usize,
        end: usize,
        next: usize,
    },
    /// `partial()` is the start of a line whose ending has not arrived.
    Partial,
    /// The stream so far is a proper prefix of a BOM: nothing can be said of it yet.
    StartUndecided,
}

impl LineReader {
    pub(super) fn new() -> Self {
        Self {
            at_stream_start: true,
            ..Self::default()
        }
    }

    /// Drops the consumed bytes, then appends `bytes`. Ranges into [`input`](Self::input)
    /// taken before are invalid afterwards.
    pub(super) fn push(&mut self, bytes: &[u8]) {
        if self.finished {
            return;
        }
        self.compact();
        self.input.extend_from_slice(bytes);
    }

    pub(super) fn finish(&mut self) {
        self.finished = true;
    }

    pub(super) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Everything held, consumed bytes included: lines are ranges into it.
    pub(super) fn input(&self) -> &[u8] {
        &self.input
    }

    /// The start of the line being read, up to what has arrived.
    pub(super) fn partial(&self) -> &[u8] {
        &self.input[self.start..]
    }

    /// Finds the next line. A [`Scan::Line`] must be [`consume`](Self::consume)d before the
    /// next call.
    pub(super) fn scan(&mut self) -> Scan {
        if self.after_cr && self.start < self.input.len() {
            self.after_cr = false;
            if self.input[self.start] == b'\n' {
                self.start += 1;
            }
        }
        if self.at_stream_start && !self.drop_bom() {
            return Scan::StartUndecided;
        }
        let Some(end) = self.next_line_ending() else {
            return Scan::Partial;
        };
        let next = match (self.input[end], self.input.get(end + 1)) {
            (b'\r', Some(b'\n')) => end + 2,
            (b'\r', None) => {
                // The LF of a CRLF may start the next chunk.
                self.after_cr = true;
                end + 1
            }
            _ => end + 1,
        };
        Scan::Line {
            start: self.start,
            end,
            next,
        }
    }

    pub(super) fn consume(&mut self, next: usize) {
        self.start = next;
    }

    /// Drops the start of the line being read: it is skipped, or the stream ended within it.
    pub(super) fn discard_partial(&mut self) {
        self.start = self.input.len();
        self.scanned = self.input.len();
        self.mask = 0;
    }

    /// Forgets everything consumed, if that is everything held: the buffer is reused from
    /// its start.
    pub(super) fn clear_if_consumed(&mut self) {
        if self.start == self.input.len() && !self.at_stream_start {
            self.input.clear();
            self.start = 0;
            self.scanned = 0;
            self.mask = 0;
        }
    }

    /// The position of the next line ending at or after `start`, if one has arrived.
    fn next_line_ending(&mut self) -> Option<usize> {
        if self.scanned < self.start {
            // A CRLF's LF, or a BOM, was stepped over beyond what was searched.
            self.scanned = self.start;
            self.mask = 0;
        }
        loop {
            while self.mask != 0 {
                let at = self.mask_base + self.mask.trailing_zeros() as usize;
                self.mask &= self.mask - 1;
                if at >= self.start {
                    return Some(at);
                }
            }
            let rest = &self.input[self.scanned..];
            if rest.is_empty() {
                return None;
            }
            let block = &rest[..rest.len().min(BLOCK)];
            self.mask_base = self.scanned;
            self.mask = line_ending_mask(block);
            self.scanned += block.len();
            if self.mask == 0 && block.len() == BLOCK {
                // A long line: let memchr2 cross the rest of it.
                let rest = &self.input[self.scanned..];
                match memchr::memchr2(b'\r', b'\n', rest) {
                    Some(offset) => {
                        self.mask_base = self.scanned + offset;
                        self.mask = 1;
                        self.scanned = self.mask_base + 1;
                    }
                    None => self.scanned = self.input.len(),
                }
            }
        }
    }

    /// Drops the consumed bytes, keeping what is known about the rest. The unconsumed tail
    /// moves to the front of the same allocation, so a buffer that has grown to fit a long
    /// line is reused rather than given back and asked for again.
    fn compact(&mut self) {
        let consumed = self.start;
        if consumed == 0 {
            return;
        }
        let held = self.input.len();
        self.input.copy_within(consumed..held, 0);
        self.input.truncate(held - consumed);
        self.start = 0;
        self.scanned = self.scanned.saturating_sub(consumed);
        if self.mask_base >= consumed {
            self.mask_base -= consumed;
        } else {
            // Bits before the new start are stale: shift them out.
            let stale = u32::try_from(consumed - self.mask_base).unwrap_or(u32::MAX);
            self.mask = self.mask.checked_shr(stale).unwrap_or(0);
            self.mask_base = 0;
        }
    }

    /// Drops a leading BOM. False while the input is still a proper prefix of one and more
    /// bytes may come.
    fn drop_bom(&mut self) -> bool {
        let seen = self.input.len().min(BOM.len());
        if self.input[..seen] != BOM[..seen] {
            self.at_stream_start = false;
        } else if seen == BOM.len() {
            self.start = BOM.len();
            self.at_stream_start = false;
        } else if self.finished {
            self.at_stream_start = false;
        }
        !self.at_stream_start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut reader = LineReader::new();
        let mut lines = Vec::new();
        for chunk in chunks {
            reader.push(chunk);
            while let Scan::Line { start, end, next } = reader.scan() {
                lines.push(reader.input()[start..end].to_vec());
                reader.consume(next);
            }
        }
        lines
    }

    #[test]
    fn masks_find_every_line_ending_in_and_across_blocks() {
        let mut text = Vec::new();
        for len in 0..200 {
            text.extend(std::iter::repeat_n(b'x', len));
            text.push(if len % 3 == 0 { b'\r' } else { b'\n' });
        }
        let expected: Vec<Vec<u8>> = (0..200).map(|len| vec![b'x'; len]).collect();
        assert_eq!(lines(&[&text]), expected);
        let chunks: Vec<&[u8]> = text.chunks(37).collect();
        assert_eq!(lines(&chunks), expected);
    }

    #[test]
    fn crlf_across_a_block_boundary_is_one_line_ending() {
        let mut text = vec![b'x'; 63];
        text.extend_from_slice(b"\r\ny\n");
        assert_eq!(lines(&[&text]), [vec![b'x'; 63], b"y".to_vec()]);
    }
}
