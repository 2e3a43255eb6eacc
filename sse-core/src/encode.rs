//! Events to wire bytes.
//!
//! Every value is written so that the decoder reads back exactly what was given: multi-line
//! data and comments become one line each (the decoder joins data lines with LF), and each
//! field value follows a `": "`, so a value that starts with a space keeps it (a decoder drops
//! one leading space, the one we add).

use bytes::{BufMut, BytesMut};
use memchr::memchr2_iter;

use crate::event::Event;

const DATA: &[u8] = b"data: ";
const EVENT_TYPE: &[u8] = b"event: ";
const ID: &[u8] = b"id: ";
const RETRY: &[u8] = b"retry: ";
const COMMENT: &[u8] = b":";

/// The most digits a `u128` count of milliseconds can have.
const MAX_RETRY_DIGITS: usize = 39;

pub(crate) fn event_len(event: &Event) -> usize {
    let mut len = 0;
    if let Some(comment) = event.comment() {
        len += lines_len(COMMENT, comment);
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
    len + lines_len(DATA, event.data()) + 1
}

pub(crate) fn encode_event(event: &Event, buf: &mut BytesMut) {
    buf.reserve(event_len(event));
    if let Some(comment) = event.comment() {
        put_lines(buf, COMMENT, comment);
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
    put_lines(buf, DATA, event.data());
    buf.put_u8(b'\n');
}

/// Appends a comment frame: the comment's lines, then the blank line that closes the frame.
pub(crate) fn encode_comment(comment: &str, buf: &mut BytesMut) {
    buf.reserve(lines_len(COMMENT, comment) + 1);
    put_lines(buf, COMMENT, comment);
    buf.put_u8(b'\n');
}

fn put_line(buf: &mut BytesMut, prefix: &[u8], value: &[u8]) {
    buf.put_slice(prefix);
    buf.put_slice(value);
    buf.put_u8(b'\n');
}

fn put_lines(buf: &mut BytesMut, prefix: &[u8], text: &str) {
    for_each_line(text.as_bytes(), |line| put_line(buf, prefix, line));
}

fn lines_len(prefix: &[u8], text: &str) -> usize {
    let mut len = 0;
    for_each_line(text.as_bytes(), |line| len += prefix.len() + line.len() + 1);
    len
}

/// Calls `f` with each line of `text`, split at CR, LF and CRLF (one break, not two). A text
/// that ends in a line break has an empty last line, so that it survives the round trip.
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

    use super::*;

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
