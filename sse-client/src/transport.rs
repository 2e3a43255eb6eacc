//! How a request reaches the server: a small trait, and hyper's client behind it by default.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::request::Attempt;

/// Any error a transport reports.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response's body as the client reads it.
pub type ResponseBody = BoxBody<Bytes, BoxError>;

/// What [`Transport::send`] returns.
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<ResponseBody>, BoxError>> + Send>>;

/// Sends one request and gives back its response (head, then a body to read). The client
/// calls it for every attempt and every redirect, one at a time; a transport follows no
/// redirect of its own.
///
/// # Example
///
/// A transport that counts its requests around hyper's:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use ssekit_client::{Attempt, HyperTransport, ResponseFuture, Transport};
///
/// #[derive(Default)]
/// struct Counted {
///     inner: HyperTransport,
///     sent: AtomicUsize,
/// }
///
/// impl Transport for Counted {
///     fn send(&self, attempt: Attempt) -> ResponseFuture {
///         self.sent.fetch_add(1, Ordering::Relaxed);
///         self.inner.send(attempt)
///     }
/// }
/// # let _ = Counted::default();
/// ```
pub trait Transport: Send + Sync + 'static {
    /// Sends `attempt`'s request.
    fn send(&self, attempt: Attempt) -> ResponseFuture;
}

/// How long a connection may take to be made, by default.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a response's head may take to come, by default, once the request is sent.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// hyper's client (`hyper-util`'s, on tokio), over plain HTTP/1.1: the default transport.
///
/// # Example
///
/// ```
/// let transport = ssekit_client::HyperTransport::new();
/// # let _ = transport;
/// ```
#[derive(Clone, Debug)]
pub struct HyperTransport {
    client: Client<HttpConnector, Full<Bytes>>,
    response_timeout: Duration,
}

impl HyperTransport {
    /// A client with [`CONNECT_TIMEOUT`] and [`RESPONSE_TIMEOUT`].
    ///
    /// # Example
    ///
    /// ```
    /// let transport = ssekit_client::HyperTransport::default();
    /// # let _ = transport;
    /// ```
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            response_timeout: RESPONSE_TIMEOUT,
        }
    }
}

impl Default for HyperTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport for HyperTransport {
    fn send(&self, attempt: Attempt) -> ResponseFuture {
        let client = self.client.clone();
        let timeout = self.response_timeout;
        Box::pin(async move {
            let mut request = http::Request::builder()
                .method(attempt.method)
                .uri(attempt.url.as_str())
                .body(Full::new(attempt.body))?;
            *request.headers_mut() = attempt.headers;
            let response = tokio::time::timeout(timeout, client.request(request))
                .await
                .map_err(|_| "no response within the response timeout")??;
            Ok(response.map(|body| body.map_err(BoxError::from).boxed()))
        })
    }
}
