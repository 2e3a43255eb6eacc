//! Events to wire bytes.
//!
//! Every value is written so that the decoder reads back exactly what was given: multi-line
//! data and comments become one line each (the decoder joins data lines with LF), and each
//! field value follows a `": "`, so a value that starts with a space keeps it (a decoder drops
//! one leading space, the one we add).

use bytes::{BufMut, BytesMut};
use memchr::{memchr, memchr_iter, memchr2, memmem};

use crate::event::EventRef;
use crate::scan;

const DATA: &[u8] = b"data: ";
const EVENT_TYPE: &[u8] = b"event: ";
const ID: &[u8] = b"id: ";
const RETRY: &[u8] = b"retry: ";
const COMMENT: &[u8] = b":";

/// The most digits a `u128` count of milliseconds can have.
const MAX_RETRY_DIGITS: usize = 39;

/// What a multi-line value looks like, found with whole-buffer searches (no walk line by
/// line), for its exact length on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    /// How many lines the value becomes: one more than its line breaks.
    lines: usize,
    /// How many of its bytes are line breaks (a CRLF is two bytes, one break).
    break_bytes: usize,
}

impl Shape {
    /// A value with no line break: one line.
    const UNBROKEN: Self = Self {
        lines: 1,
        break_bytes: 0,
    };

    fn of(text: &[u8]) -> Self {
        // Most short values have no line break: say so without a call into memchr2.
        let first = if text.len() <= scan::BLOCK && !scan::has_line_ending(text) {
            None
        } else {
            memchr2(b'\r', b'\n', text)
        };
        let Some(first) = first else {
            return Self::UNBROKEN;
        };
        let rest = &text[first..];
        if memchr(b'\r', rest).is_none() {
            let breaks = memchr_iter(b'\n', rest).count();
            return Self {
                lines: breaks + 1,
                break_bytes: breaks,
            };
        }
        let break_bytes = memchr_iter(b'\r', rest).count() + memchr_iter(b'\n', rest).count();
        let crlf = memmem::find_iter(rest, b"\r\n").count();
        Self {
            lines: break_bytes - crlf + 1,
            break_bytes,
        }
    }

    /// The bytes these lines take with `prefix` before each and LF after each.
    fn encoded_len(self, prefix: &[u8], text: &[u8]) -> usize {
        self.lines * (prefix.len() + 1) + text.len() - self.break_bytes
    }
}

pub(crate) fn event_len(event: &EventRef<'_>) -> usize {
    let data = Shape::of(event.data().as_bytes());
    let comment = event.comment().map(|comment| Shape::of(comment.as_bytes()));
    fields_len(event, comment, data)
}

fn fields_len(event: &EventRef<'_>, comment: Option<Shape>, data: Shape) -> usize {
    let mut len = 0;
    if let (Some(shape), Some(comment)) = (comment, event.comment()) {
        len += shape.encoded_len(COMMENT, comment.as_bytes());
    }
    if let Some(event_type) = event.event_type() {
        len += EVENT_TYPE.len() + event_type.len() + 1;
    }
    if let Some(id) = event.id() {
        len += ID.len() + id.len() + 1;
    }
    if let Some(retry) = event.retry() {
        len += RETRY.len() + digits(retry.as_millis()).1 + 1;
    }
    len + data.encoded_len(DATA, event.data().as_bytes()) + 1
}

pub(crate) fn encode_event(event: &EventRef<'_>, buf: &mut BytesMut) {
    make_room(event, buf);
    if let Some(comment) = event.comment() {
        put_lines(buf, COMMENT, comment.as_bytes());
    }
    if let Some(event_type) = event.event_type() {
        put_line(buf, EVENT_TYPE, event_type.as_bytes());
    }
    if let Some(id) = event.id() {
        put_line(buf, ID, id.as_bytes());
    }
    if let Some(retry) = event.retry() {
        let (digits, len) = digits(retry.as_millis());
        put_line(buf, RETRY, &digits[MAX_RETRY_DIGITS - len..]);
    }
    put_lines(buf, DATA, event.data().as_bytes());
    buf.put_u8(b'\n');
}

/// Makes room in `buf` for `event` without searching its data when it can. What the event
/// takes if its data and comment hold no line break is known at once, and exact for most
/// events: a buffer with that much room (a reused one) is written into as it is, and a line
/// break past the room grows it as a `Vec` grows. A buffer without that room must grow
/// anyway: it grows once, to the exact length, which costs a search for the line breaks.
fn make_room(event: &EventRef<'_>, buf: &mut BytesMut) {
    let unbroken = fields_len(
        event,
        event.comment().map(|_| Shape::UNBROKEN),
        Shape::UNBROKEN,
    );
    if buf.capacity() - buf.len() < unbroken {
        buf.reserve(event_len(event));
    }
}

/// Appends a comment frame: the comment's lines, then the blank line that closes the frame.
pub(crate) fn encode_comment(comment: &str, buf: &mut BytesMut) {
    buf.reserve(Shape::of(comment.as_bytes()).encoded_len(COMMENT, comment.as_bytes()) + 1);
    put_lines(buf, COMMENT, comment.as_bytes());
    buf.put_u8(b'\n');
}

/// Appends a frame that holds only a reconnection time: `retry: <ms>`, then the blank line.
/// A client takes the time and delivers nothing, since the frame has no data.
pub(crate) fn encode_retry(retry: std::time::Duration, buf: &mut BytesMut) {
    let (digits, len) = digits(retry.as_millis());
    buf.reserve(RETRY.len() + len + 2);
    put_line(buf, RETRY, &digits[MAX_RETRY_DIGITS - len..]);
    buf.put_u8(b'\n');
}

fn put_line(buf: &mut BytesMut, prefix: &[u8], value: &[u8]) {
    buf.extend_from_slice(prefix);
    buf.extend_from_slice(value);
    buf.put_u8(b'\n');
}

/// Writes `text` as lines that each start with `prefix` and end with LF: split at CR, LF and
/// CRLF (one break, not two), so a text that ends in a line break has an empty last line and
/// survives the round trip.
///
/// One pass over the text: a block mask per 64 bytes marks each CR and LF. An LF ends its
/// line as it is (copied with the line), a CR is written as an LF, and the LF of a CRLF is
/// passed over. No length is counted first (see [`make_room`]). In line always, so that each
/// call copies its constant prefix without a call into `memcpy`.
#[allow(
    clippy::inline_always,
    reason = "with plain `inline` it stays out of line and copies the prefix through `memcpy`: 8 KiB multi-line events took about 20% longer (`EventRef`: 22.3 against 18.2 ms)"
)]
#[inline(always)]
fn put_lines(buf: &mut BytesMut, prefix: &[u8], text: &[u8]) {
    if text.len() <= scan::BLOCK && !scan::has_line_ending(text) {
        put_line(buf, prefix, text);
        return;
    }
    let rest = &text[text.len() - text.len() % scan::BLOCK..];
    let masks = text
        .chunks_exact(scan::BLOCK)
        .map(|block| scan::full_block_mask(block.try_into().expect("whole blocks")))
        .chain(std::iter::once_with(|| scan::line_ending_mask(rest)));
    let mut line_start = 0;
    let mut crlf_lf = usize::MAX;
    for (index, mut breaks) in masks.enumerate() {
        let base = index * scan::BLOCK;
        while breaks != 0 {
            let at = base + breaks.trailing_zeros() as usize;
            breaks &= breaks - 1;
            let is_lf = text[at] == b'\n';
            if is_lf && at == crlf_lf {
                line_start = at + 1;
                continue;
            }
            buf.extend_from_slice(prefix);
            if is_lf {
                buf.extend_from_slice(&text[line_start..=at]);
            } else {
                buf.extend_from_slice(&text[line_start..at]);
                buf.put_u8(b'\n');
                crlf_lf = at + 1;
            }
            line_start = at + 1;
        }
    }
    put_line(buf, prefix, &text[line_start..]);
}

/// `n` in decimal, right-aligned in the array, and how many digits it has.
fn digits(mut n: u128) -> ([u8; MAX_RETRY_DIGITS], usize) {
    let mut out = [0; MAX_RETRY_DIGITS];
    let mut len = 0;
    loop {
        len += 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (n % 10) as u8;
        out[MAX_RETRY_DIGITS - len] = b'0' + digit;
        n /= 10;
        if n == 0 {
            return (out, len);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use memchr::memchr2_iter;

    use super::*;
    use crate::Event;

    /// The model of [`put_lines`]' split, a break at a time: calls `f` with each line of
    /// `text`, split at CR, LF and CRLF (one break, not two).
    fn for_each_line(text: &[u8], mut f: impl FnMut(&[u8])) {
        let mut line_start = 0;
        let mut breaks = memchr2_iter(b'\r', b'\n', text);
        while let Some(line_end) = breaks.next() {
            f(&text[line_start..line_end]);
            line_start = line_end + 1;
            if text[line_end] == b'\r' && text.get(line_start) == Some(&b'\n') {
                breaks.next();
                line_start += 1;
            }
        }
        f(&text[line_start..]);
    }

    fn lines(text: &str) -> Vec<String> {
        let mut lines = Vec::new();
        for_each_line(text.as_bytes(), |line| {
            lines.push(String::from_utf8(line.to_vec()).unwrap());
        });
        lines
    }

    #[test]
    fn crlf_is_one_break_and_cr_lf_alone_are_breaks() {
        assert_eq!(lines("a\r\nb\rc\nd"), ["a", "b", "c", "d"]);
        assert_eq!(lines("\n\r"), ["", "", ""]);
        assert_eq!(lines("\r\n"), ["", ""]);
        assert_eq!(lines(""), [""]);
    }

    /// Every text of up to eight bytes over `a`, CR and LF: the shape found with whole-buffer
    /// counts agrees with a walk line by line, and the frame is as long as promised.
    #[test]
    fn shapes_agree_with_the_lines() {
        let mut texts = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..8 {
            last = last
                .iter()
                .flat_map(|text| ["a", "\r", "\n"].map(|byte| format!("{text}{byte}")))
                .collect();
            texts.extend(last.iter().cloned());
        }
        for text in texts {
            let lines = lines(&text);
            let shape = Shape::of(text.as_bytes());
            assert_eq!(shape.lines, lines.len(), "{text:?}");
            let mut expected = String::new();
            for line in &lines {
                expected.push_str("data: ");
                expected.push_str(line);
                expected.push('\n');
            }
            let event = Event::new(text.clone());
            assert_eq!(event.to_bytes(), format!("{expected}\n"), "{text:?}");
            assert_eq!(event.encoded_len(), expected.len() + 1, "{text:?}");
        }
    }

    /// Values past the 64 bytes that are searched a word at a time, with the line breaks
    /// where a block of 64 ends: the frame is the one the line walk gives, as long as
    /// promised, and decodes back to the value (line breaks as LF).
    #[test]
    fn line_breaks_at_block_boundaries() {
        let x = |n| "x".repeat(n);
        let mut texts = vec![
            String::new(),
            "\n".repeat(64),
            "\r".repeat(64),
            "\r\n".repeat(64),
            "\r\n".repeat(300),
            format!("{}\r\n", x(64)).repeat(5),
            "\n\r".repeat(65),
            format!("{}\r\n{}", x(63), x(64)),
            format!("{}\r\n{}", x(127), x(10)),
            format!("{}\r", x(63)),
            format!("{}\r", x(127)),
            format!("{}\r\r\n", x(62)),
            // LF only, lines of a few hundred bytes (each crosses blocks with no break).
            format!("{}\n", x(254)).repeat(3),
            format!("{}\n", x(255)).repeat(3),
            format!("{}\n", x(256)).repeat(3) + &x(5),
            format!("{}\n{}", x(1000), x(3)),
            format!("\n{}\n{}", x(700), x(700)),
            format!("{}\n", x(600)).repeat(3),
        ];
        for len in [63, 64, 65, 127, 128, 129] {
            texts.push(x(len));
            for at in [0, 1, len / 2, len - 2, len - 1] {
                for byte in ['\r', '\n'] {
                    let mut text = x(len).into_bytes();
                    text[at] = byte as u8;
                    texts.push(String::from_utf8(text).unwrap());
                }
            }
        }
        for text in texts {
            let mut expected = String::new();
            for line in lines(&text) {
                expected.push_str("data: ");
                expected.push_str(&line);
                expected.push('\n');
            }
            expected.push('\n');
            let event = Event::new(text.clone());
            assert_eq!(event.to_bytes(), expected, "{text:?}");
            assert_eq!(event.encoded_len(), expected.len(), "{text:?}");
            let mut buf = BytesMut::from(&b"before"[..]);
            event.encode_into(&mut buf);
            assert_eq!(&buf[6..], expected.as_bytes(), "{text:?}");
            let mut decoder = crate::Decoder::new();
            decoder.push(event.to_bytes());
            let Some(crate::Decoded::Message(message)) = decoder.next_decoded().unwrap() else {
                panic!("no message for {text:?}");
            };
            assert_eq!(
                message.data(),
                text.replace("\r\n", "\n").replace('\r', "\n")
            );
        }
    }

    #[test]
    fn retry_digits() {
        let encoded = |ms| {
            Event::new("")
                .with_retry(Duration::from_millis(ms))
                .to_bytes()
        };
        assert_eq!(encoded(0), "retry: 0\ndata: \n\n");
        assert_eq!(encoded(u64::MAX), "retry: 18446744073709551615\ndata: \n\n");
        let longest = Event::new("").with_retry(Duration::MAX);
        assert_eq!(longest.encoded_len(), longest.to_bytes().len());
    }

    #[test]
    fn comment_frame() {
        let mut buf = BytesMut::new();
        encode_comment("", &mut buf);
        encode_comment("a\r\nb", &mut buf);
        assert_eq!(&buf[..], b":\n\n:a\n:b\n\n");
    }

    #[test]
    fn encode_grows_the_buffer_at_most_once() {
        let event = Event::new("x".repeat(10_000) + "\n\r\n\r")
            .with_event_type("t")
            .unwrap()
            .with_comment("c\nc");
        let mut buf = BytesMut::new();
        event.encode_into(&mut buf);
        assert_eq!(buf.len(), event.encoded_len());
        assert_eq!(buf.capacity(), event.encoded_len());
    }
}
