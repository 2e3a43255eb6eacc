//! The transport over a `reqwest::Client` of the caller's (the `reqwest` feature): its
//! proxies, TLS roots, timeouts and connection pool, with this crate's reconnection rules.

use http_body_util::BodyExt;

use crate::request::Attempt;
use crate::transport::{BoxError, ResponseFuture, Transport};

/// Sends each attempt through a `reqwest::Client`.
///
/// The client follows redirects itself: build it with `redirect(Policy::none())` (as
/// [`ReqwestTransport::default`] does) so that the rules of this crate apply to them
/// ([`redirect`](crate::redirect)), or keep reqwest's policy knowingly. Give it no overall
/// `timeout`: it would cut every long stream; a `connect_timeout` and
/// [`EventSource::read_timeout`](crate::EventSource::read_timeout) are the ones to set.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ssekit_client::{EventSource, ReqwestTransport, Session, Url};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = reqwest::Client::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .redirect(reqwest::redirect::Policy::none())
///     .build()
///     .unwrap();
/// let session = Session::new(Url::parse("http://127.0.0.1:8080/talk").unwrap());
/// let events = EventSource::with(session, ReqwestTransport::new(client), ssekit_core::TokioTimer);
/// # let _ = events;
/// # }
/// ```
#[derive(Clone, Debug)]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// Sends through `client`.
    ///
    /// # Example
    ///
    /// ```
    /// let transport = ssekit_client::ReqwestTransport::new(reqwest::Client::new());
    /// # let _ = transport;
    /// ```
    pub fn new(client: reqwest::Client) -> Self {
        Self { client }
    }
}

impl Default for ReqwestTransport {
    /// A `reqwest::Client` that follows no redirect (the client follows them) and gives up
    /// on a connection after [`CONNECT_TIMEOUT`](crate::CONNECT_TIMEOUT).
    fn default() -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(crate::CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client with no TLS settings of its own builds");
        Self::new(client)
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, attempt: Attempt) -> ResponseFuture {
        let request = self
            .client
            .request(attempt.method, attempt.url)
            .headers(attempt.headers)
            .body(attempt.body);
        Box::pin(async move {
            let response = http::Response::from(request.send().await?);
            Ok(response.map(|body| body.map_err(BoxError::from).boxed()))
        })
    }
}
