//! Following a redirect: where the next request goes, with which method and body, and which
//! credentials stay behind.

use http::{HeaderMap, Method, StatusCode, header};
use url::Url;

/// The most redirects one attempt follows.
pub const MAX_REDIRECTS: usize = 10;

/// The request a redirect leads to.
///
/// # Example
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
/// use ssekit_client::{Redirect, Url, redirect};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(header::LOCATION, HeaderValue::from_static("/v2/stream"));
/// let from = Url::parse("https://api.example.com/v1/stream?x=1").unwrap();
/// let next: Redirect = redirect(StatusCode::SEE_OTHER, &headers, &from, &Method::POST).unwrap().unwrap();
/// assert_eq!(next.url.as_str(), "https://api.example.com/v2/stream");
/// assert_eq!((next.method, next.keep_body, next.cross_origin), (Method::GET, false, false));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// Where the next request goes: the `Location`, resolved against the URL redirected
    /// from.
    pub url: Url,
    /// The next request's method: `GET` after a `303` (and after a `301` or `302` to a
    /// `POST`, as browsers do), the same method otherwise.
    pub method: Method,
    /// Whether the request body goes along (`307`, `308`, and a `301` or `302` of anything
    /// but a `POST`).
    pub keep_body: bool,
    /// Whether the redirect leaves the origin (scheme, host, port): then `Authorization`
    /// and `Cookie` are not sent ([`strip_credentials`]).
    pub cross_origin: bool,
}

/// Why a redirect could not be followed.
///
/// # Example
///
/// ```
/// use http::{HeaderMap, Method, StatusCode};
/// use ssekit_client::{RedirectError, Url, redirect};
///
/// let from = Url::parse("http://127.0.0.1/").unwrap();
/// let missing = redirect(StatusCode::FOUND, &HeaderMap::new(), &from, &Method::GET);
/// assert_eq!(missing, Some(Err(RedirectError::Location)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedirectError {
    /// The `Location` is missing, empty, or not a URL: an error, not a loop.
    Location,
}

impl std::fmt::Display for RedirectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a redirect with a missing, empty or unparsable Location")
    }
}

impl std::error::Error for RedirectError {}

/// The redirect a response is, if it is one (`301`, `302`, `303`, `307`, `308`) from `from`,
/// for a request with `method`; `None` for any other status.
///
/// # Errors
///
/// [`RedirectError::Location`] when the `Location` is missing, empty or not a URL (or not
/// an `http` or `https` one).
///
/// # Example
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
/// use ssekit_client::{Url, redirect};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(header::LOCATION, HeaderValue::from_static("https://other.example/s"));
/// let from = Url::parse("https://api.example.com/s").unwrap();
/// let next = redirect(StatusCode::TEMPORARY_REDIRECT, &headers, &from, &Method::POST);
/// let next = next.unwrap().unwrap();
/// assert_eq!((next.method, next.keep_body, next.cross_origin), (Method::POST, true, true));
/// assert_eq!(redirect(StatusCode::OK, &headers, &from, &Method::GET), None);
/// ```
pub fn redirect(
    status: StatusCode,
    headers: &HeaderMap,
    from: &Url,
    method: &Method,
) -> Option<Result<Redirect, RedirectError>> {
    let (method, keep_body) = match status.as_u16() {
        303 if *method == Method::HEAD => (Method::HEAD, false),
        303 => (Method::GET, false),
        301 | 302 if *method == Method::POST => (Method::GET, false),
        301 | 302 | 307 | 308 => (method.clone(), true),
        _ => return None,
    };
    Some(location(headers, from).map(|url| Redirect {
        cross_origin: url.origin() != from.origin(),
        url,
        method,
        keep_body,
    }))
}

fn location(headers: &HeaderMap, from: &Url) -> Result<Url, RedirectError> {
    let value = headers
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or(RedirectError::Location)?;
    let url = from.join(value).map_err(|_| RedirectError::Location)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(RedirectError::Location);
    }
    Ok(url)
}

/// Removes what must not follow a redirect to another origin: `Authorization`,
/// `Proxy-Authorization` and `Cookie`.
///
/// # Example
///
/// ```
/// use http::{HeaderMap, HeaderValue, header};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer secret"));
/// headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
/// ssekit_client::strip_credentials(&mut headers);
/// assert!(headers.get(header::AUTHORIZATION).is_none());
/// assert!(headers.get(header::ACCEPT_LANGUAGE).is_some());
/// ```
pub fn strip_credentials(headers: &mut HeaderMap) {
    for name in [
        header::AUTHORIZATION,
        header::PROXY_AUTHORIZATION,
        header::COOKIE,
    ] {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn to(location: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::LOCATION, HeaderValue::from_str(location).unwrap());
        headers
    }

    fn from() -> Url {
        Url::parse("https://api.example.com:8443/v1/events?topic=a").unwrap()
    }

    #[test]
    fn methods_and_bodies_by_status() {
        let cases = [
            (301, Method::GET, Method::GET, true),
            (301, Method::POST, Method::GET, false),
            (302, Method::POST, Method::GET, false),
            (302, Method::PUT, Method::PUT, true),
            (303, Method::POST, Method::GET, false),
            (303, Method::PUT, Method::GET, false),
            (303, Method::HEAD, Method::HEAD, false),
            (307, Method::POST, Method::POST, true),
            (308, Method::POST, Method::POST, true),
        ];
        for (status, method, next, keep_body) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            let redirect = redirect(status, &to("/next"), &from(), &method)
                .unwrap()
                .unwrap();
            assert_eq!(
                (redirect.method, redirect.keep_body),
                (next, keep_body),
                "{status} {method}"
            );
        }
        for status in [200, 204, 300, 304, 305, 306, 400, 500] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(
                redirect(status, &to("/next"), &from(), &Method::GET),
                None,
                "{status}"
            );
        }
    }

    #[test]
    fn locations_resolve_against_the_url_redirected_from() {
        let cases = [
            ("/v2", "https://api.example.com:8443/v2", false),
            ("next", "https://api.example.com:8443/v1/next", false),
            (
                "?topic=b",
                "https://api.example.com:8443/v1/events?topic=b",
                false,
            ),
            (
                "//api.example.com:8443/x",
                "https://api.example.com:8443/x",
                false,
            ),
            (
                "https://api.example.com/x",
                "https://api.example.com/x",
                true,
            ),
            (
                "http://api.example.com:8443/x",
                "http://api.example.com:8443/x",
                true,
            ),
            (
                "https://other.example:8443/x",
                "https://other.example:8443/x",
                true,
            ),
        ];
        for (location, expected, cross_origin) in cases {
            let redirect = redirect(StatusCode::FOUND, &to(location), &from(), &Method::GET);
            let redirect = redirect.unwrap().unwrap();
            assert_eq!(redirect.url.as_str(), expected, "{location}");
            assert_eq!(redirect.cross_origin, cross_origin, "{location}");
        }
    }

    #[test]
    fn a_missing_empty_or_unusable_location_is_an_error() {
        for headers in [
            HeaderMap::new(),
            to(""),
            to("   "),
            to("http://[::1"),
            to("ftp://example.com/"),
            to("mailto:a@b"),
        ] {
            let redirect = redirect(
                StatusCode::MOVED_PERMANENTLY,
                &headers,
                &from(),
                &Method::GET,
            );
            assert_eq!(redirect, Some(Err(RedirectError::Location)), "{headers:?}");
        }
    }
}
