//! A growable UTF-8 buffer whose front can be cut off and handed out without a copy.

use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};
use bytestring::ByteString;

/// Text in a [`BytesMut`]: appended to like a `String`, read as `&str`, and cut at its front
/// into [`ByteString`]s that share its allocation (a reference count, no copy), as a
/// decoder hands out an event's data.
///
/// Every byte held is UTF-8: the only ways in are `&str` and [`from_utf8`](Self::from_utf8),
/// and bytes only leave from the front at a character boundary.
#[derive(Debug, Default)]
pub(super) struct TextBuf {
    buf: BytesMut,
    /// The room the buffer had before its front was last cut off, to take back at
    /// [`reclaim`](Self::reclaim); 0 when there is nothing to take back.
    room_before_split: usize,
}

impl TextBuf {
    #[inline]
    #[allow(unsafe_code)]
    pub(super) fn as_str(&self) -> &str {
        // SAFETY: the buffer holds only UTF-8 (see the type's comment).
        unsafe { std::str::from_utf8_unchecked(&self.buf) }
    }

    #[inline]
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// `as_str()[range]`, or `None` where `range` is out of bounds or not on character
    /// boundaries.
    #[inline]
    pub(super) fn get(&self, range: Range<usize>) -> Option<&str> {
        self.as_str().get(range)
    }

    #[inline]
    pub(super) fn push_str(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
    }

    pub(super) fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Cuts the text down to `len` bytes.
    ///
    /// # Panics
    ///
    /// If `len` is not a character boundary.
    #[inline]
    pub(super) fn truncate(&mut self, len: usize) {
        assert!(self.as_str().is_char_boundary(len));
        self.buf.truncate(len);
    }

    pub(super) fn clear(&mut self) {
        self.buf.clear();
    }

    /// Drops the first `len` bytes, which must end at a character boundary. The rest moves
    /// to the front of the same allocation: a buffer grown to fit a long line is reused,
    /// where `BytesMut::advance` would leave the front unused until it grows again.
    pub(super) fn drop_front(&mut self, len: usize) {
        assert!(self.as_str().is_char_boundary(len));
        let held = self.buf.len();
        self.buf.copy_within(len..held, 0);
        self.buf.truncate(held - len);
    }

    /// Cuts off the first `len` bytes and hands out `range` of them, sharing this buffer's
    /// allocation; the rest stays. The allocation is reused once every piece handed out is
    /// dropped.
    ///
    /// # Panics
    ///
    /// If `range` is not within the first `len` bytes, or `len` or the ends of `range` are
    /// not character boundaries.
    #[allow(unsafe_code)]
    pub(super) fn split_front(&mut self, len: usize, range: Range<usize>) -> ByteString {
        let text = self.as_str();
        assert!(
            range.start <= range.end
                && range.end <= len
                && text.is_char_boundary(len)
                && text.is_char_boundary(range.start)
                && text.is_char_boundary(range.end)
        );
        self.room_before_split = self.buf.capacity();
        let mut front = self.buf.split_to(len);
        front.truncate(range.end);
        front.advance(range.start);
        // SAFETY: `front` holds `text[range]`: a slice of UTF-8 text between two character
        // boundaries (asserted above) is UTF-8.
        unsafe { ByteString::from_bytes_unchecked(front.freeze()) }
    }

    /// After [`split_front`](Self::split_front), moves what is left back to the start of the
    /// allocation if every piece cut from it has been dropped, while it is short. Without
    /// this, the buffer would take its room back only once it runs out of room at its end,
    /// by then often in the middle of a long line, which is then copied whole.
    #[inline]
    pub(super) fn reclaim(&mut self) {
        reclaim_room(&mut self.buf, &mut self.room_before_split);
    }

    /// The bytes, if they are UTF-8; given back otherwise.
    pub(super) fn from_utf8(buf: BytesMut) -> Result<Self, BytesMut> {
        if crate::utf8::to_str(&buf).is_some() {
            Ok(Self {
                buf,
                room_before_split: 0,
            })
        } else {
            Err(buf)
        }
    }

    /// The bytes, leaving this empty.
    pub(super) fn take_bytes(&mut self) -> BytesMut {
        self.room_before_split = 0;
        std::mem::take(&mut self.buf)
    }
}

/// Takes back the room `buf` had before its front was cut off (`room_before_split`, then
/// cleared; 0 means nothing to take back), without a new allocation: see
/// [`TextBuf::reclaim`].
#[inline]
pub(super) fn reclaim_room(buf: &mut BytesMut, room_before_split: &mut usize) {
    if *room_before_split != 0 {
        let wanted = room_before_split.saturating_sub(buf.len());
        // Where pieces are still held, the room is taken back later, or a new allocation
        // made, as `BytesMut` does when it grows.
        let _reclaimed = buf.try_reclaim(wanted);
        *room_before_split = 0;
    }
}

/// `bytes` as text without a copy if they are UTF-8; otherwise a copy with each invalid
/// sequence replaced by U+FFFD.
#[allow(unsafe_code)]
pub(super) fn shared_text(bytes: Bytes) -> ByteString {
    if crate::utf8::to_str(&bytes).is_some() {
        // SAFETY: `to_str` found the bytes to be UTF-8.
        unsafe { ByteString::from_bytes_unchecked(bytes) }
    } else {
        String::from_utf8_lossy(&bytes).into_owned().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cut_from_the_front_are_the_text_they_were() {
        let mut text = TextBuf::default();
        text.push_str("id: 1\ndata: h\u{e9}llo\n\ndata: more");
        let data = text.split_front(20, 12..18);
        assert_eq!(data, "h\u{e9}llo");
        assert_eq!(text.as_str(), "data: more");
        text.drop_front(6);
        text.push_str("\u{1d11e}");
        assert_eq!(text.get(0..4), Some("more"));
        assert_eq!(text.get(0..5), None);
        assert_eq!(text.get(0..8), Some("more\u{1d11e}"));
        text.truncate(4);
        assert_eq!((text.as_str(), text.len()), ("more", 4));
        let all = text.split_front(4, 0..4);
        assert_eq!((&*all, text.is_empty()), ("more", true));
        drop(data);
    }

    #[test]
    fn only_utf8_becomes_text() {
        assert!(TextBuf::from_utf8(BytesMut::from(&b"ok \xC3\xA9"[..])).is_ok());
        let refused = TextBuf::from_utf8(BytesMut::from(&b"no \xC3"[..])).unwrap_err();
        assert_eq!(&refused[..], b"no \xC3");
    }

    #[test]
    fn shared_text_is_the_bytes_or_their_replacement() {
        assert_eq!(shared_text(Bytes::from_static(b"caf\xC3\xA9")), "caf\u{e9}");
        assert_eq!(shared_text(Bytes::from_static(b"caf\xC3")), "caf\u{fffd}");
    }

    #[test]
    #[should_panic(expected = "is_char_boundary")]
    fn a_cut_inside_a_character_is_refused() {
        let mut text = TextBuf::default();
        text.push_str("\u{e9}");
        let _ = text.split_front(1, 0..1);
    }
}
