//! What every attempt sends: the caller's method, URL, headers and body, with the headers an
//! event stream needs and the stored last event id.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use url::Url;

/// The `Last-Event-ID` request header.
pub const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// One attempt's request, before any redirect.
///
/// # Example
///
/// ```
/// use http::{HeaderMap, Method};
/// use ssekit_client::{Attempt, Url};
///
/// let url = Url::parse("https://api.example.com/events").unwrap();
/// let attempt = Attempt::new(Method::GET, url, &HeaderMap::new(), bytes::Bytes::new(), "41");
/// assert_eq!(attempt.headers["accept"], "text/event-stream");
/// assert_eq!(attempt.headers["cache-control"], "no-cache");
/// assert_eq!(attempt.headers["last-event-id"], "41");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The caller's method (`GET` by default).
    pub method: Method,
    /// The caller's URL: each attempt starts there again, whatever redirects the last one
    /// followed.
    pub url: Url,
    /// The caller's headers, then `Accept: text/event-stream` and `Cache-Control:
    /// no-cache` (in place of any the caller set), and `Last-Event-ID` when the stored id
    /// is not empty (never an empty one).
    pub headers: HeaderMap,
    /// The caller's body (empty for none).
    pub body: Bytes,
}

impl Attempt {
    /// The request for an attempt, with the stored `last_event_id`.
    ///
    /// # Example
    ///
    /// ```
    /// use http::{HeaderMap, Method};
    /// use ssekit_client::{Attempt, Url};
    ///
    /// let url = Url::parse("http://127.0.0.1:8080/talk").unwrap();
    /// let first = Attempt::new(Method::GET, url, &HeaderMap::new(), bytes::Bytes::new(), "");
    /// assert!(first.headers.get("last-event-id").is_none(), "no empty Last-Event-ID");
    /// ```
    pub fn new(
        method: Method,
        url: Url,
        headers: &HeaderMap,
        body: Bytes,
        last_event_id: &str,
    ) -> Self {
        let mut headers = headers.clone();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.remove(LAST_EVENT_ID);
        // The decoder never keeps an id with CR, LF or NUL, so the value is a valid header
        // value (any other byte is allowed, UTF-8 included); one given by the caller that is
        // not is left out rather than sent broken.
        if let Ok(value) = HeaderValue::from_bytes(last_event_id.as_bytes()) {
            if !last_event_id.is_empty() {
                headers.insert(LAST_EVENT_ID, value);
            }
        }
        Self {
            method,
            url,
            headers,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://127.0.0.1/events").unwrap()
    }

    #[test]
    fn the_stream_headers_win_over_the_callers_and_the_callers_others_stay() {
        let mut mine = HeaderMap::new();
        mine.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        mine.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        mine.insert(LAST_EVENT_ID, HeaderValue::from_static("stale"));
        let attempt = Attempt::new(Method::POST, url(), &mine, Bytes::from_static(b"{}"), "é7");
        assert_eq!(attempt.headers[header::ACCEPT], "text/event-stream");
        assert_eq!(attempt.headers.get_all(header::ACCEPT).iter().count(), 1);
        assert_eq!(attempt.headers[header::AUTHORIZATION], "Bearer t");
        assert_eq!(
            attempt.headers[LAST_EVENT_ID].as_bytes(),
            "é7".as_bytes(),
            "UTF-8 as is"
        );
        assert_eq!(attempt.body, "{}");
    }

    #[test]
    fn an_empty_or_unsendable_id_sends_no_header() {
        for id in ["", "a\nb", "a\rb", "a\0b"] {
            let attempt = Attempt::new(Method::GET, url(), &HeaderMap::new(), Bytes::new(), id);
            assert!(attempt.headers.get(LAST_EVENT_ID).is_none(), "{id:?}");
        }
    }
}
