//! Cutting the pushed bytes into lines: line endings, a leading BOM, and where to resume.
//!
//! Line endings are found 64 bytes at a time: one pass over a block gives a bitmask of its CR
//! and LF positions ([`crate::scan`]), and the lines it holds are then read off the mask
//! without scanning again. A block with no line ending hands over to `memchr2`, which is
//! faster over the long stretches of a long line. The start of each push is searched before
//! it is copied in, from the caller's bytes.
//!
//! The bytes are held as a `String` while they are valid UTF-8, checked once per push over
//! the whole chunk: a line or value is then a slice of that text, with no check of its own.
//! A code point cut by the end of a chunk waits apart until the next push completes it. Bytes
//! that are not UTF-8, and small pushes, go to a byte buffer, whose lines are decoded one by
//! one, until what it holds is consumed. The byte buffer is padded
//! ([`PaddedBytes`]): a short value in it is copied as a fixed-size window.

use std::ops::Range;

use bytestring::ByteString;

use super::padded::PaddedBytes;
use super::text_buf::TextBuf;
use crate::scan::{BLOCK, line_ending_mask};

/// The UTF-8 byte order mark, dropped once at the very start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The bytes pushed and not yet consumed, and what is known about them.
#[derive(Debug, Default)]
pub(super) struct LineReader {
    /// What is held while it is all valid UTF-8 ([`Held::Text`]); empty otherwise.
    text: TextBuf,
    /// What is held once it holds bytes that are not UTF-8 ([`Held::Bytes`]); empty
    /// otherwise. Padded, so that short values can be copied as a window.
    bytes: PaddedBytes,
    held: Held,
    /// In text mode, the start of a code point cut by the end of the last push: the bytes
    /// after `text`, not in it until the next push completes them.
    pending: [u8; 4],
    pending_len: usize,
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

/// What [`LineReader::search_ahead`] found in a push: the mask of its first block, or how
/// many bytes at its start hold no line ending.
#[derive(Clone, Copy, Debug)]
enum Ahead {
    Mask(u64),
    Clear(usize),
}

/// Which buffer holds the input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Held {
    #[default]
    Text,
    Bytes,
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

    /// Appends `bytes`. The caller [`compact`](Self::compact)s first when
    /// [`compacts_before`](Self::compacts_before) says so.
    pub(super) fn push(&mut self, bytes: &[u8]) {
        if self.finished {
            return;
        }
        self.text.reclaim();
        self.bytes.reclaim();
        let held_before = self.input().len();
        if bytes.len() < SMALL_PUSH {
            let ahead = self.search_ahead(bytes);
            self.append_small(bytes);
            self.take_ahead(ahead, held_before, bytes.len());
        } else {
            self.push_large(bytes, held_before);
        }
    }

    /// [`push`](Self::push) of a push held as text if it is UTF-8.
    #[inline(never)]
    fn push_large(&mut self, bytes: &[u8], held_before: usize) {
        let ahead = self.search_ahead(bytes);
        self.append_large(bytes);
        self.take_ahead(ahead, held_before, bytes.len());
    }

    /// Takes what [`search_ahead`](Self::search_ahead) found in a push of `len` bytes,
    /// appended at `held_before`.
    #[inline]
    fn take_ahead(&mut self, ahead: Option<Ahead>, held_before: usize, len: usize) {
        if let Some(ahead) = ahead {
            // The pushed bytes were searched where they came from; a cut code point's bytes,
            // which wait apart, hold no line ending.
            let held = self.input().len();
            match ahead {
                Ahead::Mask(mask) => {
                    self.mask_base = held_before;
                    self.mask = mask;
                    self.scanned = (held_before + len.min(BLOCK)).min(held);
                }
                Ahead::Clear(clear) => self.scanned = (held_before + clear).min(held),
            }
        }
    }

    /// Appends a push shorter than [`SMALL_PUSH`]: it is held as bytes.
    fn append_small(&mut self, bytes: &[u8]) {
        // Room for the consumed bytes left in front, once: no growth from push to push.
        let room = 2 * COMPACT_AT;
        if self.bytes.capacity() < room && self.held == Held::Bytes {
            self.bytes.reserve(room - self.bytes.len());
        }
        // Checking a few bytes at a time costs more than checking each line's value.
        if self.held == Held::Text {
            self.switch_to_bytes(bytes);
        } else {
            self.bytes.extend_from_slice(bytes);
        }
    }

    /// Appends a larger push, as text if what is held and the push are UTF-8.
    fn append_large(&mut self, bytes: &[u8]) {
        if self.held == Held::Bytes && self.bytes.len() <= RETRY_TEXT_LEN {
            // Back to text once what is held is valid again: checked only while it is short,
            // so that a long line is never checked twice.
            match TextBuf::from_utf8(self.bytes.take()) {
                Ok(text) => {
                    self.text = text;
                    self.held = Held::Text;
                }
                Err(bytes) => self.bytes = bytes.into(),
            }
        }
        if self.held == Held::Text {
            self.push_text(bytes);
        } else {
            self.bytes.extend_from_slice(bytes);
        }
    }

    /// With every byte held searched and no line ending waiting in the mask, searches the
    /// start of a push before it is appended, where it came from: a search right after the
    /// copy reads bytes still on their way to memory, and stalls. Within a long line, a push
    /// longer than a block is searched by `memchr2` for its first line ending; otherwise the
    /// mask of its first block is taken.
    #[inline]
    fn search_ahead(&self, bytes: &[u8]) -> Option<Ahead> {
        if !self.searches_ahead(bytes) {
            return None;
        }
        Some(if self.in_long_line(bytes) {
            Ahead::Clear(memchr::memchr2(b'\r', b'\n', bytes).unwrap_or(bytes.len()))
        } else {
            Ahead::Mask(line_ending_mask(&bytes[..bytes.len().min(BLOCK)]))
        })
    }

    /// Whether a push of `bytes` is searched before it is appended: every byte held is
    /// searched and no line ending waits in the mask.
    #[inline]
    fn searches_ahead(&self, bytes: &[u8]) -> bool {
        self.all_searched() && self.pending_len == 0 && !bytes.is_empty()
    }

    /// Every byte held has been searched, and no line ending found is left in the mask.
    #[inline]
    fn all_searched(&self) -> bool {
        self.scanned == self.input().len() && self.mask == 0
    }

    /// Whether `bytes` go on a line already longer than two blocks, with more than a block
    /// of them: then the search ahead of them is for their first line ending.
    #[inline]
    fn in_long_line(&self, bytes: &[u8]) -> bool {
        self.input().len() - self.start > 2 * BLOCK && bytes.len() > BLOCK
    }

    /// Appends `bytes` in text mode: valid UTF-8 joins the text, a code point cut at the end
    /// waits in `pending`, anything else switches to bytes.
    fn push_text(&mut self, mut bytes: &[u8]) {
        if self.pending_len > 0 {
            let width = utf8_width(self.pending[0]);
            let take = (width - self.pending_len).min(bytes.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&bytes[..take]);
            self.pending_len += take;
            bytes = &bytes[take..];
            match std::str::from_utf8(&self.pending[..self.pending_len]) {
                Ok(text) => {
                    self.text.push_str(text);
                    self.pending_len = 0;
                }
                Err(error) if error.error_len().is_none() => return,
                Err(_) => return self.switch_to_bytes(bytes),
            }
        }
        let cut = incomplete_tail_start(bytes);
        match crate::utf8::to_str(&bytes[..cut]) {
            Some(text) => {
                self.text.push_str(text);
                let tail = &bytes[cut..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len();
            }
            None => self.switch_to_bytes(bytes),
        }
    }

    /// Leaves text mode: what is held, the pending bytes, then `bytes`.
    fn switch_to_bytes(&mut self, bytes: &[u8]) {
        self.bytes = self.text.take_bytes().into();
        self.bytes
            .extend_from_slice(&self.pending[..self.pending_len]);
        self.pending_len = 0;
        self.bytes.extend_from_slice(bytes);
        self.held = Held::Bytes;
    }

    pub(super) fn finish(&mut self) {
        self.finished = true;
    }

    pub(super) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Everything held, consumed bytes included: lines are ranges into it. In text mode the
    /// pending bytes of a cut code point are not in it; no line ends within them.
    pub(super) fn input(&self) -> &[u8] {
        if self.held == Held::Text {
            self.text.as_bytes()
        } else {
            self.bytes.as_slice()
        }
    }

    /// `len` bytes of the input from `start`, where that many are held; in byte mode up to
    /// [`PAD`](super::padded::PAD) of them may lie past the end of the input.
    #[inline]
    pub(super) fn window(&self, start: usize, len: usize) -> Option<&[u8]> {
        if self.held == Held::Text {
            self.text.as_bytes().get(start..start + len)
        } else {
            self.bytes.window(start, len)
        }
    }

    /// `input()[range]` as text, without a check, while the input is held as text. `range`
    /// must lie on character boundaries (line starts and ends, bytes after a colon or
    /// space): otherwise, and in byte mode, `None`.
    #[inline]
    pub(super) fn text(&self, range: std::ops::Range<usize>) -> Option<&str> {
        if self.held == Held::Text {
            self.text.get(range)
        } else {
            None
        }
    }

    /// How many bytes of the line being read have arrived.
    pub(super) fn partial_len(&self) -> usize {
        self.input().len() - self.start + self.pending_len
    }

    /// Appends the first bytes of the line being read to `head`, up to `max`.
    pub(super) fn partial_head(&self, head: &mut Vec<u8>, max: usize) {
        let line = &self.input()[self.start..];
        let from_line = line.len().min(max);
        head.extend_from_slice(&line[..from_line]);
        let from_pending = self.pending_len.min(max - from_line);
        head.extend_from_slice(&self.pending[..from_pending]);
    }

    /// Whether [`scan`](Self::scan) can only answer [`Scan::Partial`] until more bytes come:
    /// every byte held is searched, no line ending is left in the mask, and no CR or BOM
    /// waits for the next byte. The usual state after the lines of a push are read.
    #[inline]
    pub(super) fn needs_more(&self) -> bool {
        self.all_searched() && !self.after_cr && !self.at_stream_start && !self.finished
    }

    /// Finds the next line. A [`Scan::Line`] must be [`consume`](Self::consume)d before the
    /// next call. In line where it is called: most lines end at the next bit of the mask.
    #[inline]
    pub(super) fn scan(&mut self) -> Scan {
        if self.after_cr || self.at_stream_start {
            return self.scan_at_edge();
        }
        self.scan_line()
    }

    /// [`scan`](Self::scan) after a CR that ended the input, or at the stream's start.
    #[inline(never)]
    fn scan_at_edge(&mut self) -> Scan {
        if self.after_cr && self.start < self.input().len() {
            self.after_cr = false;
            if self.input()[self.start] == b'\n' {
                self.start += 1;
            }
        }
        if self.at_stream_start && !self.drop_bom() {
            return Scan::StartUndecided;
        }
        self.scan_line()
    }

    #[allow(
        clippy::inline_always,
        reason = "left out of the line loop by thin LTO otherwise: D 16 KiB borrowed 1.4x slower"
    )]
    #[inline(always)]
    fn scan_line(&mut self) -> Scan {
        let Some(end) = self.next_line_ending() else {
            return Scan::Partial;
        };
        let next = match (self.input()[end], self.input().get(end + 1)) {
            (b'\r', Some(b'\n')) => {
                // The LF's bit, if it was scanned, is the next in the mask: drop it now, so
                // that the next search does not step over it.
                let lf = end + 1 - self.mask_base;
                if lf < BLOCK {
                    self.mask &= !(1 << lf);
                }
                end + 2
            }
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

    /// [`consume`](Self::consume)s up to `next`, where the line ending before it was read
    /// without a [`scan`](Self::scan) (the blank line after a single data line): its bits
    /// leave the mask, so that the next scan need not step over them out of line.
    #[inline]
    pub(super) fn consume_past(&mut self, next: usize) {
        self.start = next;
        let stepped = u32::try_from(next.saturating_sub(self.mask_base)).unwrap_or(u32::MAX);
        self.mask &= u64::MAX.checked_shl(stepped).unwrap_or(0);
    }

    /// Drops the start of the line being read: it is skipped, or the stream ended within it.
    pub(super) fn discard_partial(&mut self) {
        self.start = self.input().len();
        self.scanned = self.start;
        self.mask = 0;
        self.pending_len = 0;
    }

    /// Forgets everything consumed, if that is everything held: the buffer is reused from
    /// its start.
    pub(super) fn clear_if_consumed(&mut self) {
        if self.start == self.input().len() && !self.at_stream_start {
            self.text.clear();
            self.bytes.clear();
            self.start = 0;
            self.scanned = 0;
            self.mask = 0;
        }
    }

    /// The position of the next line ending at or after `start`, if one has arrived: the
    /// mask's next bit, in line, or else a search.
    #[inline]
    fn next_line_ending(&mut self) -> Option<usize> {
        if self.mask != 0 && self.scanned >= self.start {
            let at = self.mask_base + self.mask.trailing_zeros() as usize;
            if at >= self.start {
                self.mask &= self.mask - 1;
                return Some(at);
            }
        }
        if self.all_searched() {
            // The usual end of a small push.
            return None;
        }
        self.search_line_ending()
    }

    /// [`next_line_ending`](Self::next_line_ending) past the bits at hand: the rest of the
    /// mask, then the next blocks.
    #[inline(never)]
    fn search_line_ending(&mut self) -> Option<usize> {
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
            let input = if self.held == Held::Text {
                self.text.as_bytes()
            } else {
                self.bytes.as_slice()
            };
            let rest = &input[self.scanned..];
            if rest.is_empty() {
                return None;
            }
            let block = &rest[..rest.len().min(BLOCK)];
            self.mask_base = self.scanned;
            self.mask = line_ending_mask(block);
            self.scanned += block.len();
            if self.mask == 0 && block.len() == BLOCK && self.scanned - self.start > 2 * BLOCK {
                // A long line: let memchr2 cross the rest of it. Not for a line of a block
                // or two, which most are: the call costs more than the next mask.
                let rest = &input[self.scanned..];
                match memchr::memchr2(b'\r', b'\n', rest) {
                    Some(offset) => {
                        self.mask_base = self.scanned + offset;
                        self.mask = 1;
                        self.scanned = self.mask_base + 1;
                    }
                    None => self.scanned = input.len(),
                }
            }
        }
    }

    /// Whether a push of `len` bytes drops the consumed bytes first (ranges into
    /// [`input`](Self::input) move then): before a push large enough to be held as text, or
    /// once [`COMPACT_AT`] bytes are consumed. Small pushes mostly just append, so that a
    /// partial line is not moved again at each one.
    pub(super) fn compacts_before(&self, len: usize) -> bool {
        self.start > 0 && (len >= SMALL_PUSH || self.start >= COMPACT_AT)
    }

    /// Drops the consumed bytes, keeping what is known about the rest: ranges into
    /// [`input`](Self::input) taken before are invalid then. The unconsumed tail
    /// moves to the front of the same allocation, so a buffer that has grown to fit a long
    /// line is reused rather than given back and asked for again.
    pub(super) fn compact(&mut self) {
        let consumed = self.start;
        if consumed == 0 {
            return;
        }
        if self.held == Held::Text {
            // `consumed` is a line start or just after a BOM: a character boundary.
            self.text.drop_front(consumed);
        } else {
            self.bytes.drop_front(consumed);
        }
        self.rebase(consumed);
    }

    /// Cuts off the consumed bytes, as [`compact`](Self::compact) drops them, and hands out
    /// `range` of them as text without a copy: checked as UTF-8 in byte mode, and copied
    /// with each invalid sequence replaced if it is not.
    pub(super) fn split_consumed(&mut self, range: Range<usize>) -> ByteString {
        let consumed = self.start;
        let text = if self.held == Held::Text {
            self.text.split_front(consumed, range)
        } else {
            super::text_buf::shared_text(self.bytes.split_front(consumed, range))
        };
        self.rebase(consumed);
        text
    }

    /// Moves what is known about the input back by `consumed` bytes, dropped from its front.
    fn rebase(&mut self, consumed: usize) {
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
        let input = self.input();
        let seen = input.len().min(BOM.len());
        if input[..seen] != BOM[..seen] {
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

/// Pushes shorter than this are held as bytes: `str::from_utf8` on a few bytes costs as much
/// as on a few hundred, so they are checked line by line instead.
const SMALL_PUSH: usize = 256;

/// How many consumed bytes small pushes leave in front of the line being read before one
/// drops them.
const COMPACT_AT: usize = 2048;

/// How short the bytes held in byte mode must be for a push to try text mode again.
const RETRY_TEXT_LEN: usize = 1024;

/// How many bytes the UTF-8 sequence that `lead` starts has (1 for anything that is not a
/// lead byte of a longer one).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Where a multi-byte sequence that `bytes` ends before its last byte starts, or
/// `bytes.len()` if it ends with no such cut. Only the lead byte's width is looked at: a
/// sequence that could never be completed fails its check once the next push completes it.
fn incomplete_tail_start(bytes: &[u8]) -> usize {
    let len = bytes.len();
    for back in 1..=len.min(3) {
        let byte = bytes[len - back];
        if byte & 0xC0 != 0x80 {
            return if back < utf8_width(byte) {
                len - back
            } else {
                len
            };
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut reader = LineReader::new();
        let mut lines = Vec::new();
        for chunk in chunks {
            if reader.compacts_before(chunk.len()) {
                reader.compact();
            }
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
    fn long_lines_pushed_in_large_pieces_end_where_they_end() {
        // Lines long enough for the search ahead of a push, with every ending, pushed in
        // pieces that are held as text: ASCII, with a character of two bytes,
        // or with a byte that is not UTF-8 (then held as bytes).
        for other in [&b""[..], "\u{e9}".as_bytes(), b"\xFF"] {
            let mut text = Vec::new();
            let mut expected = Vec::new();
            for (n, len) in [300, 1000, 5, 129, 2000, 0, 700].into_iter().enumerate() {
                let mut line = vec![b'a' + u8::try_from(n).unwrap(); len];
                if n == 4 {
                    line.splice(1500..1500 + other.len(), other.iter().copied());
                }
                text.extend_from_slice(&line);
                text.extend_from_slice([&b"\n"[..], b"\r", b"\r\n"][n % 3]);
                expected.push(line);
            }
            for piece in [256, 257, 300, 511, 1024] {
                let chunks: Vec<&[u8]> = text.chunks(piece).collect();
                assert_eq!(lines(&chunks), expected, "{piece} {other:?}");
            }
        }
    }

    #[test]
    fn lines_after_a_line_ending_stepped_over_unscanned_are_found() {
        // Each line is followed by a blank line that is stepped over without a scan, as a
        // single-line event's is, at every offset in and across blocks, with LF and CRLF;
        // every third by one more blank line, which must still be found.
        let mut text = Vec::new();
        let mut expected = Vec::new();
        for len in 1..150 {
            let ending: &[u8] = if len % 2 == 0 { b"\n" } else { b"\r\n" };
            let blanks = if len % 3 == 0 { 2 } else { 1 };
            text.extend(std::iter::repeat_n(b'x', len));
            text.extend_from_slice(ending);
            expected.push(vec![b'x'; len]);
            for _ in 0..blanks {
                text.extend_from_slice(ending);
                expected.push(Vec::new());
            }
        }
        for piece in [text.len(), 1, 37, 64, 100] {
            let mut reader = LineReader::new();
            let mut found = Vec::new();
            for chunk in text.chunks(piece) {
                if reader.compacts_before(chunk.len()) {
                    reader.compact();
                }
                reader.push(chunk);
                while let Scan::Line { start, end, next } = reader.scan() {
                    let line = &reader.input()[start..end];
                    found.push(line.to_vec());
                    let input = reader.input();
                    let blank = match (input.get(next), input.get(next + 1)) {
                        _ if line.is_empty() => 0,
                        (Some(b'\n'), _) => 1,
                        (Some(b'\r'), Some(b'\n')) if input[end] == b'\r' => 2,
                        _ => 0,
                    };
                    if blank == 0 {
                        reader.consume(next);
                    } else {
                        // Where the blank line has arrived with its line.
                        found.push(Vec::new());
                        reader.consume_past(next + blank);
                    }
                }
            }
            assert_eq!(found, expected, "{piece}");
        }
    }

    #[test]
    fn crlf_across_a_block_boundary_is_one_line_ending() {
        let mut text = vec![b'x'; 63];
        text.extend_from_slice(b"\r\ny\n");
        assert_eq!(lines(&[&text]), [vec![b'x'; 63], b"y".to_vec()]);
    }
}
