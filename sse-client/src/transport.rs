//! How a request reaches the server: a small trait, and hyper's client behind it by default.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
#[cfg(feature = "rustls")]
use futures_util::future::Either;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;

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

#[cfg(feature = "rustls")]
type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// hyper's client (`hyper-util`'s, on tokio): the default transport. `http` URLs speak
/// HTTP/1.1 (or HTTP/2 with prior knowledge, [`HyperTransportBuilder::http2_only`]);
/// with the `rustls` feature (on by default), `https` URLs speak HTTP/2 or HTTP/1.1, as
/// the server chooses by ALPN, trusting Mozilla's root certificates unless given a TLS
/// configuration of the caller's.
///
/// # Example
///
/// ```
/// let transport = ssekit_client::HyperTransport::new();
/// # let _ = transport;
/// ```
#[derive(Clone, Debug)]
pub struct HyperTransport {
    /// Shared by clones: one pool per transport.
    clients: Arc<Clients>,
}

/// A transport's clients: one for plain `http`, whose connections stay small, and one for
/// `https`.
#[derive(Debug)]
struct Clients {
    http: Client<HttpConnector, Full<Bytes>>,
    #[cfg(feature = "rustls")]
    https: HttpsClient,
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
        Self::builder().build()
    }

    /// A client to configure: timeouts, HTTP/2, TLS.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let transport = ssekit_client::HyperTransport::builder()
    ///     .connect_timeout(Duration::from_secs(3))
    ///     .response_timeout(Duration::from_secs(10))
    ///     .build();
    /// # let _ = transport;
    /// ```
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder {
            connect_timeout: CONNECT_TIMEOUT,
            response_timeout: RESPONSE_TIMEOUT,
            http2_only: false,
            #[cfg(feature = "rustls")]
            tls: None,
        }
    }
}

impl Default for HyperTransport {
    fn default() -> Self {
        Self::new()
    }
}

/// Settings of a [`HyperTransport`], from [`HyperTransport::builder`].
///
/// # Example
///
/// ```
/// let transport = ssekit_client::HyperTransport::builder().http2_only(true).build();
/// # let _ = transport;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct HyperTransportBuilder {
    connect_timeout: Duration,
    response_timeout: Duration,
    http2_only: bool,
    #[cfg(feature = "rustls")]
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl HyperTransportBuilder {
    /// How long a connection (TCP, then TLS) may take to be made ([`CONNECT_TIMEOUT`] by
    /// default).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = ssekit_client::HyperTransport::builder().connect_timeout(Duration::from_secs(2));
    /// # let _ = builder.build();
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a response's head may take to come once the request is sent
    /// ([`RESPONSE_TIMEOUT`] by default). The body has no such limit: an event stream
    /// is long; see [`EventSource::read_timeout`](crate::EventSource::read_timeout).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = ssekit_client::HyperTransport::builder().response_timeout(Duration::from_secs(5));
    /// # let _ = builder.build();
    /// ```
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Speaks HTTP/2 only, also over plain `http` (prior knowledge, "h2c"): for a server
    /// known to speak it, many streams then share one connection.
    ///
    /// # Example
    ///
    /// ```
    /// let transport = ssekit_client::HyperTransport::builder().http2_only(true).build();
    /// # let _ = transport;
    /// ```
    pub fn http2_only(mut self, only: bool) -> Self {
        self.http2_only = only;
        self
    }

    /// Uses the caller's TLS configuration for `https` (its own roots, a client
    /// certificate) in place of Mozilla's roots. Its ALPN protocols are replaced by the
    /// transport's: `h2` and `http/1.1` (`h2` alone with [`http2_only`](Self::http2_only)).
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let config = rustls::ClientConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()
    ///     .unwrap()
    ///     .with_root_certificates(rustls::RootCertStore::empty())
    ///     .with_no_client_auth();
    /// let transport = ssekit_client::HyperTransport::builder().tls_config(config).build();
    /// # let _ = transport;
    /// ```
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn tls_config(mut self, config: rustls::ClientConfig) -> Self {
        self.tls = Some(Arc::new(config));
        self
    }

    /// The transport.
    ///
    /// # Example
    ///
    /// ```
    /// let transport = ssekit_client::HyperTransport::builder().build();
    /// # let _ = transport;
    /// ```
    pub fn build(self) -> HyperTransport {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(self.connect_timeout));
        connector.set_nodelay(true);
        let mut client = Client::builder(TokioExecutor::new());
        client.http2_only(self.http2_only);
        #[cfg(feature = "rustls")]
        let https = {
            let mut connector = connector.clone();
            connector.enforce_http(false);
            let mut tls = match self.tls {
                Some(tls) => (*tls).clone(),
                None => mozilla_roots().clone(),
            };
            // hyper-rustls offers the versions it speaks itself.
            tls.alpn_protocols.clear();
            let builder = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_only();
            let builder = if self.http2_only {
                builder.enable_http2()
            } else {
                builder.enable_all_versions()
            };
            client.build(builder.wrap_connector(connector))
        };
        HyperTransport {
            clients: Arc::new(Clients {
                http: client.build(connector),
                #[cfg(feature = "rustls")]
                https,
                response_timeout: self.response_timeout,
            }),
        }
    }
}

/// TLS with ring's cryptography and Mozilla's root certificates, made once per process
/// (each transport's copy shares the roots).
#[cfg(feature = "rustls")]
fn mozilla_roots() -> &'static rustls::ClientConfig {
    static CONFIG: std::sync::OnceLock<rustls::ClientConfig> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth()
    })
}

impl Transport for HyperTransport {
    fn send(&self, attempt: Attempt) -> ResponseFuture {
        let clients = Arc::clone(&self.clients);
        Box::pin(async move {
            let mut request = http::Request::builder()
                .method(attempt.method)
                .uri(attempt.url.as_str())
                .body(Full::new(attempt.body))?;
            *request.headers_mut() = attempt.headers;
            #[cfg(feature = "rustls")]
            let response = if attempt.url.scheme() == "https" {
                Either::Left(clients.https.request(request))
            } else {
                Either::Right(clients.http.request(request))
            };
            #[cfg(not(feature = "rustls"))]
            let response = clients.http.request(request);
            let response = tokio::time::timeout(clients.response_timeout, response)
                .await
                .map_err(|_| "no response within the response timeout")??;
            Ok(response.map(|body| body.map_err(BoxError::from).boxed()))
        })
    }
}
