//! A server's `Retry-After`: how long it asks the client to wait.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, header};

/// The wait a response's `Retry-After` asks for at `now`: its delay in seconds, or the time
/// until its HTTP date (zero for a date already past). `None` when there is no such header,
/// or it is neither (then the client's own backoff decides).
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use http::{HeaderMap, HeaderValue, header};
/// use ssekit_client::retry_after;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
/// assert_eq!(retry_after(&headers, SystemTime::now()), Some(Duration::from_secs(120)));
///
/// headers.insert(header::RETRY_AFTER, HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"));
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_767); // 08:49:27 that day
/// assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(10)));
/// ```
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // A delay too long for a u64 of seconds is a wait as long as there is.
        return Some(value.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    // IMF-fixdate, and the obsolete RFC 850 and asctime forms (RFC 9110, section 5.6.7).
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use http::HeaderValue;

    use super::*;

    fn after(value: &'static str, now: SystemTime) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static(value));
        retry_after(&headers, now)
    }

    #[test]
    fn seconds_and_every_date_form() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_767);
        assert_eq!(after("0", now), Some(Duration::ZERO));
        assert_eq!(after(" 5 ", now), Some(Duration::from_secs(5)));
        assert_eq!(after("99999999999999999999999", now), Some(Duration::MAX));
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(after(date, now), Some(Duration::from_secs(10)), "{date}");
        }
        assert_eq!(
            after("Sun, 06 Nov 1994 08:49:17 GMT", now),
            Some(Duration::ZERO),
            "past"
        );
    }

    #[test]
    fn anything_else_is_no_retry_after() {
        let now = SystemTime::now();
        for value in ["", "-5", "1.5", "soon", "5s", "Sun, 06 Nov 1994"] {
            assert_eq!(after(value, now), None, "{value:?}");
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
