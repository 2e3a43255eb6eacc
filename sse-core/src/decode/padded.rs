//! A byte buffer that can always be read a little past its end.

/// How many bytes past the end of a [`PaddedBytes`] can be read.
pub(super) const PAD: usize = 32;

/// Bytes followed by [`PAD`] more that belong to no one: a window of up to `PAD + 1` bytes
/// can be read from any position before the end, so that short values are copied with one
/// fixed-size move instead of a `memcpy` call of their own length.
///
/// The backing vector is either empty or holds the bytes and then the padding.
#[derive(Debug, Default)]
pub(super) struct PaddedBytes {
    buf: Vec<u8>,
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

    /// Drops the first `len` bytes; the rest moves to the front of the same allocation.
    pub(super) fn drop_front(&mut self, len: usize) {
        let held = self.buf.len();
        self.buf.copy_within(len..held, 0);
        self.buf.truncate(held - len);
    }

    /// The bytes as a vector, leaving this empty.
    pub(super) fn take(&mut self) -> Vec<u8> {
        let len = self.len();
        let mut bytes = std::mem::take(&mut self.buf);
        bytes.truncate(len);
        bytes
    }
}

impl From<Vec<u8>> for PaddedBytes {
    fn from(mut buf: Vec<u8>) -> Self {
        buf.extend_from_slice(&[0; PAD]);
        Self { buf }
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
        assert_eq!(bytes.take(), b"cdef");
        assert_eq!(bytes.len(), 0);
        let bytes = PaddedBytes::from(b"xy".to_vec());
        assert_eq!((bytes.as_slice(), bytes.len()), (&b"xy"[..], 2));
    }
}
