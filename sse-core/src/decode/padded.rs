//! A byte buffer that can always be read a little past its end.

use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

/// How many bytes past the end of a [`PaddedBytes`] can be read.
pub(super) const PAD: usize = 32;

/// Bytes followed by [`PAD`] more that belong to no one: a window of up to `PAD + 1` bytes
/// can be read from any position before the end, so that short values are copied with one
/// fixed-size move instead of a `memcpy` call of their own length.
///
/// The backing buffer is either empty or holds the bytes and then the padding.
#[derive(Debug, Default)]
pub(super) struct PaddedBytes {
    buf: BytesMut,
    /// As in [`TextBuf`](super::text_buf::TextBuf): the room to take back at
    /// [`reclaim`](Self::reclaim).
    room_before_split: usize,
}

impl PaddedBytes {
    /// The bytes, without the padding.
    #[inline]
    pub(super) fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len()]
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.buf.len().saturating_sub(PAD)
    }

    /// `len` bytes from `start`, the padding included.
    #[inline]
    pub(super) fn window(&self, start: usize, len: usize) -> Option<&[u8]> {
        self.buf.get(start..start + len)
    }

    #[inline]
    pub(super) fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.buf.truncate(self.len());
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(&[0; PAD]);
    }

    /// Cuts off the first `len` bytes and hands out `range` of them, sharing this buffer's
    /// allocation; the rest stays.
    pub(super) fn split_front(&mut self, len: usize, range: Range<usize>) -> Bytes {
        assert!(len <= self.len());
        self.room_before_split = self.buf.capacity();
        let mut front = self.buf.split_to(len);
        front.truncate(range.end);
        front.advance(range.start);
        front.freeze()
    }

    /// Room for `additional` more bytes, and the padding.
    pub(super) fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional + PAD);
    }

    pub(super) fn capacity(&self) -> usize {
        self.buf.capacity().saturating_sub(PAD)
    }

    pub(super) fn clear(&mut self) {
        self.buf.clear();
    }

    /// As [`TextBuf::reclaim`](super::text_buf::TextBuf::reclaim).
    #[inline]
    pub(super) fn reclaim(&mut self) {
        super::text_buf::reclaim_room(&mut self.buf, &mut self.room_before_split);
    }

    /// Drops the first `len` bytes; the rest moves to the front of the same allocation.
    pub(super) fn drop_front(&mut self, len: usize) {
        let held = self.buf.len();
        self.buf.copy_within(len..held, 0);
        self.buf.truncate(held - len);
    }

    /// The bytes, leaving this empty.
    pub(super) fn take(&mut self) -> BytesMut {
        let len = self.len();
        self.room_before_split = 0;
        let mut bytes = std::mem::take(&mut self.buf);
        bytes.truncate(len);
        bytes
    }
}

impl From<BytesMut> for PaddedBytes {
    fn from(mut buf: BytesMut) -> Self {
        buf.extend_from_slice(&[0; PAD]);
        Self {
            buf,
            room_before_split: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_reaches_past_the_end_by_the_padding() {
        let mut bytes = PaddedBytes::default();
        assert_eq!(bytes.as_slice(), b"");
        bytes.extend_from_slice(b"abc");
        bytes.extend_from_slice(b"def");
        assert_eq!(bytes.as_slice(), b"abcdef");
        assert_eq!(bytes.window(5, PAD + 1).map(|w| w[0]), Some(b'f'));
        assert_eq!(bytes.window(6, PAD + 1), None);
        bytes.drop_front(2);
        assert_eq!(bytes.as_slice(), b"cdef");
        assert_eq!(bytes.window(3, PAD + 1).map(|w| w[0]), Some(b'f'));
        assert_eq!(bytes.split_front(3, 1..3), &b"de"[..]);
        assert_eq!(
            (bytes.as_slice(), bytes.window(0, PAD + 1).map(|w| w[0])),
            (&b"f"[..], Some(b'f'))
        );
        assert_eq!(&bytes.take()[..], b"f");
        assert_eq!(bytes.len(), 0);
        let bytes = PaddedBytes::from(BytesMut::from(&b"xy"[..]));
        assert_eq!((bytes.as_slice(), bytes.len()), (&b"xy"[..], 2));
    }
}
