//! What a response means for the stream: open it, stop for good, or try again later.

use http::{HeaderMap, StatusCode, header};

/// What the client does with a response (after redirects were followed).
///
/// # Example
///
/// ```
/// use http::{HeaderMap, HeaderValue, StatusCode, header};
/// use ssekit_client::{StopReason, Verdict, verdict};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
/// assert_eq!(verdict(StatusCode::OK, &headers), Verdict::Open);
/// assert_eq!(verdict(StatusCode::NO_CONTENT, &headers), Verdict::Stop(StopReason::NoContent));
/// assert_eq!(verdict(StatusCode::SERVICE_UNAVAILABLE, &headers), Verdict::Retry);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `200` with an event stream: read it.
    Open,
    /// Stop for good, for this reason: a browser's `EventSource` would too.
    Stop(StopReason),
    /// Try again after a wait: the server is overloaded, restarting or asks for time (`408`,
    /// `429`, `5xx`), where a browser would stop.
    Retry,
}

/// Why the client stopped for good.
///
/// # Example
///
/// ```
/// use ssekit_client::StopReason;
///
/// assert_eq!(StopReason::NoContent.as_str(), "no-content");
/// assert_eq!(StopReason::Status(401).as_str(), "status");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// `204 No Content`: the server's way to say "do not reconnect".
    NoContent,
    /// A status that means no stream will come: another 2xx, a 3xx that was not followed,
    /// a 4xx but 408 and 429.
    Status(u16),
    /// A `200` whose `Content-Type` is not `text/event-stream` (or is missing).
    ContentType,
}

impl StopReason {
    /// The reason's name in the test-service contract (`no-content`, `status`,
    /// `content-type`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_client::StopReason::ContentType.as_str(), "content-type");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NoContent => "no-content",
            Self::Status(_) => "status",
            Self::ContentType => "content-type",
        }
    }
}

/// The verdict on a response with `status` and `headers`, by the rules of `CLIENT.md`:
///
/// | status | verdict |
/// |---|---|
/// | `200` with `Content-Type: text/event-stream` (any case, any parameters) | open |
/// | `200` with another or no `Content-Type` | stop: content type |
/// | `204` | stop: no content |
/// | other `1xx`, `2xx`, `3xx`; `4xx` but `408` and `429` | stop: status |
/// | `408`, `429`, `5xx` | retry |
///
/// # Example
///
/// ```
/// use http::{HeaderMap, StatusCode};
/// use ssekit_client::{StopReason, Verdict, verdict};
///
/// let no_headers = HeaderMap::new();
/// assert_eq!(verdict(StatusCode::OK, &no_headers), Verdict::Stop(StopReason::ContentType));
/// assert_eq!(verdict(StatusCode::UNAUTHORIZED, &no_headers), Verdict::Stop(StopReason::Status(401)));
/// assert_eq!(verdict(StatusCode::TOO_MANY_REQUESTS, &no_headers), Verdict::Retry);
/// ```
pub fn verdict(status: StatusCode, headers: &HeaderMap) -> Verdict {
    match status.as_u16() {
        200 if is_event_stream(headers) => Verdict::Open,
        200 => Verdict::Stop(StopReason::ContentType),
        204 => Verdict::Stop(StopReason::NoContent),
        408 | 429 | 500..=599 => Verdict::Retry,
        other => Verdict::Stop(StopReason::Status(other)),
    }
}

/// Whether the response's `Content-Type` has the MIME essence `text/event-stream`: the type
/// and subtype, compared without case, before any `;` and parameters.
fn is_event_stream(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("text/event-stream")
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn with_content_type(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn an_event_stream_is_the_essence_whatever_the_case_and_parameters() {
        for value in [
            "text/event-stream",
            "TEXT/Event-Stream",
            "text/event-stream;",
            "text/event-stream; charset=utf-8",
            " text/event-stream ;charset=UTF-8",
        ] {
            assert_eq!(
                verdict(StatusCode::OK, &with_content_type(value)),
                Verdict::Open,
                "{value}"
            );
        }
        for value in [
            "text/plain",
            "text/event-streams",
            "text/event",
            "application/json",
            "",
            "event-stream",
        ] {
            assert_eq!(
                verdict(StatusCode::OK, &with_content_type(value)),
                Verdict::Stop(StopReason::ContentType),
                "{value}"
            );
        }
    }

    #[test]
    fn every_status_gets_the_verdict_of_the_table() {
        let stream = with_content_type("text/event-stream");
        for code in 100..=599_u16 {
            let Ok(status) = StatusCode::from_u16(code) else {
                continue;
            };
            let expected = match code {
                200 => Verdict::Open,
                204 => Verdict::Stop(StopReason::NoContent),
                408 | 429 | 500..=599 => Verdict::Retry,
                _ => Verdict::Stop(StopReason::Status(code)),
            };
            assert_eq!(verdict(status, &stream), expected, "{code}");
        }
    }
}
