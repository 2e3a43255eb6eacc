//! Cutting the pushed bytes into lines: line endings, a leading BOM, and where to resume.

use bytes::{Buf, BytesMut};

/// The UTF-8 byte order mark, dropped once at the very start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The bytes pushed and not yet consumed, and what is known about them.
#[derive(Debug, Default)]
pub(super) struct LineReader {
    /// Always starts at the beginning of a line (or inside a line being skipped).
    input: BytesMut,
    /// `input[..scanned]` holds no CR or LF: the search for a line ending resumes there, so
    /// each byte is searched once however the input is chunked.
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
    /// `buffered()[..len]` is a whole line; `consumed` bytes take it and its line ending.
    Line { len: usize, consumed: usize },
    /// `buffered()` holds the start of a line whose ending has not arrived.
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

    pub(super) fn push(&mut self, bytes: &[u8]) {
        if !self.finished {
            self.input.extend_from_slice(bytes);
        }
    }

    pub(super) fn finish(&mut self) {
        self.finished = true;
    }

    pub(super) fn is_finished(&self) -> bool {
        self.finished
    }

    pub(super) fn buffered(&self) -> &[u8] {
        &self.input
    }

    /// Finds the next line. A [`Scan::Line`] must be [`consume`](Self::consume)d before the
    /// next call.
    pub(super) fn scan(&mut self) -> Scan {
        if self.after_cr && !self.input.is_empty() {
            self.after_cr = false;
            if self.input[0] == b'\n' {
                self.input.advance(1);
            }
        }
        if self.at_stream_start && !self.drop_bom() {
            return Scan::StartUndecided;
        }
        let Some(offset) = memchr::memchr2(b'\r', b'\n', &self.input[self.scanned..]) else {
            self.scanned = self.input.len();
            return Scan::Partial;
        };
        let len = self.scanned + offset;
        let consumed = match (self.input[len], self.input.get(len + 1)) {
            (b'\r', Some(b'\n')) => len + 2,
            (b'\r', None) => {
                // The LF of a CRLF may start the next chunk.
                self.after_cr = true;
                len + 1
            }
            _ => len + 1,
        };
        Scan::Line { len, consumed }
    }

    pub(super) fn consume(&mut self, consumed: usize) {
        self.input.advance(consumed);
        self.scanned = 0;
    }

    /// Drops the start of the line being read: it is skipped, or the stream ended within it.
    pub(super) fn discard_partial(&mut self) {
        self.input.clear();
        self.scanned = 0;
    }

    /// Drops a leading BOM. False while the input is still a proper prefix of one and more
    /// bytes may come.
    fn drop_bom(&mut self) -> bool {
        let seen = self.input.len().min(BOM.len());
        if self.input[..seen] != BOM[..seen] {
            self.at_stream_start = false;
        } else if seen == BOM.len() {
            self.input.advance(BOM.len());
            self.at_stream_start = false;
        } else if self.finished {
            self.at_stream_start = false;
        }
        !self.at_stream_start
    }
}
