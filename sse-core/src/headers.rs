//! The HTTP around an event stream, for framework adapters: the response headers to set and
//! the request headers to read, with no HTTP library of our own.

use crate::event::check_id;

/// The media type of an event stream: the response's `Content-Type`, and what a client puts
/// in `Accept`.
///
/// # Example
///
/// ```
/// assert_eq!(ssekit_core::headers::EVENT_STREAM_MIME, "text/event-stream");
/// ```
pub const EVENT_STREAM_MIME: &str = "text/event-stream";

/// The response headers an event stream needs, as (lowercase name, value) pairs:
///
/// - `content-type: text/event-stream`;
/// - `cache-control: no-cache`, so that no cache stores or replays the stream;
/// - `x-accel-buffering: no`, so that nginx passes each event on at once instead of
///   buffering the response.
///
/// Deliberately absent: `content-length` (the stream has no end known in advance) and
/// `connection` (HTTP/2 forbids it, and Safari fails on it).
///
/// # Example
///
/// ```
/// let names: Vec<&str> = ssekit_core::headers::RESPONSE_HEADERS.iter().map(|(name, _)| *name).collect();
/// assert_eq!(names, ["content-type", "cache-control", "x-accel-buffering"]);
/// ```
pub const RESPONSE_HEADERS: [(&str, &str); 3] = [
    ("content-type", EVENT_STREAM_MIME),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),
];

/// The request header in which a reconnecting client sends the last event id it saw.
///
/// # Example
///
/// ```
/// assert_eq!(ssekit_core::headers::LAST_EVENT_ID, "last-event-id");
/// ```
pub const LAST_EVENT_ID: &str = "last-event-id";

/// Reads a `Last-Event-ID` header value: the id, if it is one an event could have carried
/// (UTF-8, with no CR, LF or U+0000); `None` otherwise, so that a malformed header is treated
/// as absent rather than failing the request.
///
/// # Example
///
/// ```
/// use ssekit_core::headers::last_event_id;
///
/// assert_eq!(last_event_id(b"42"), Some("42"));
/// assert_eq!(last_event_id("ж".as_bytes()), Some("ж"));
/// assert_eq!(last_event_id(b"\xff"), None);
/// assert_eq!(last_event_id(b"4\x002"), None);
/// ```
pub fn last_event_id(value: &[u8]) -> Option<&str> {
    let id = std::str::from_utf8(value).ok()?;
    check_id(id).ok().map(|()| id)
}

/// Whether an `Accept` header value asks for an event stream: one of its media ranges is
/// `text/event-stream` (in any case, with any parameters), not refused with `q=0`.
///
/// Wildcards (`*/*`, `text/*`) do not count: a browser's `EventSource` always names the type,
/// and answering a plain page request with an endless stream would hang it.
///
/// # Example
///
/// ```
/// use ssekit_core::headers::accepts_event_stream;
///
/// assert!(accepts_event_stream(b"text/event-stream"));
/// assert!(accepts_event_stream(b"text/html, Text/Event-Stream; q=0.5"));
/// assert!(!accepts_event_stream(b"*/*"));
/// assert!(!accepts_event_stream(b"text/event-stream;q=0"));
/// ```
pub fn accepts_event_stream(accept: &[u8]) -> bool {
    accept.split(|&byte| byte == b',').any(|range| {
        let mut parts = range.split(|&byte| byte == b';');
        let media_type = parts.next().map_or(&[][..], |part| part.trim_ascii());
        media_type.eq_ignore_ascii_case(EVENT_STREAM_MIME.as_bytes())
            && !parts.any(|parameter| is_zero_quality(parameter.trim_ascii()))
    })
}

/// Whether a `Content-Type` header value names an event stream: `text/event-stream`, in any
/// case, with any parameters. Middleware that treats event-stream responses apart (ending
/// them at a shutdown, say) asks this.
///
/// # Example
///
/// ```
/// use ssekit_core::headers::is_event_stream;
///
/// assert!(is_event_stream(b"text/event-stream"));
/// assert!(is_event_stream(b"Text/Event-Stream; charset=utf-8"));
/// assert!(!is_event_stream(b"text/html"));
/// assert!(!is_event_stream(b"text/event-streams"));
/// ```
pub fn is_event_stream(content_type: &[u8]) -> bool {
    let media_type = content_type.split(|&byte| byte == b';').next();
    media_type.is_some_and(|media_type| {
        media_type
            .trim_ascii()
            .eq_ignore_ascii_case(EVENT_STREAM_MIME.as_bytes())
    })
}

/// `q=0`, `q=0.0`, `q=0.000` and the like: the client refuses this media range.
fn is_zero_quality(parameter: &[u8]) -> bool {
    let Some((name, value)) = parameter.split_first_chunk::<2>() else {
        return false;
    };
    name.eq_ignore_ascii_case(b"q=")
        && value.first() == Some(&b'0')
        && value[1..].iter().all(|&byte| byte == b'.' || byte == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_zero_in_any_spelling_refuses() {
        for refused in ["q=0", "Q=0.0", "q=0.000"] {
            let accept = format!("text/event-stream; {refused}");
            assert!(!accepts_event_stream(accept.as_bytes()), "{accept}");
        }
        for accepted in ["q=0.5", "q=1", "charset=utf-8"] {
            let accept = format!("text/event-stream;{accepted}");
            assert!(accepts_event_stream(accept.as_bytes()), "{accept}");
        }
    }

    #[test]
    fn other_types_and_empty_values_do_not_ask() {
        for accept in [
            "",
            "text/html",
            "text/*",
            "text/event-streams",
            "event-stream",
            ",",
        ] {
            assert!(!accepts_event_stream(accept.as_bytes()), "{accept}");
        }
    }

    #[test]
    fn last_event_id_refuses_line_breaks() {
        assert_eq!(last_event_id(b"1\r\n"), None);
        assert_eq!(last_event_id(b""), Some(""));
    }
}
