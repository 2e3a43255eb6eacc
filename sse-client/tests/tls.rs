//! `https` through rustls and HTTP/2, against a loopback server with a self-signed
//! certificate: the client trusts what its caller's configuration trusts, speaks the HTTP
//! version the server picks by ALPN (or HTTP/2 by prior knowledge), and reconnects with
//! `Last-Event-ID` as over plain HTTP/1.1.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Request, Response, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use ssekit_client::rustls;
use ssekit_client::{ClientError, EventSource, HyperTransport, Item, Session, Url, Waits};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// What the server saw of each request: its HTTP version and `Last-Event-ID`.
type Seen = Arc<Mutex<Vec<(Version, Option<String>)>>>;

/// Answers the first request with one event and an end, every later one with `204`.
fn answer(request: &Request<Incoming>, seen: &Seen) -> Response<Full<Bytes>> {
    let id = request
        .headers()
        .get("last-event-id")
        .map(|id| id.to_str().unwrap().to_owned());
    let count = {
        let mut seen = seen.lock().unwrap();
        seen.push((request.version(), id));
        seen.len()
    };
    let mut response = if count == 1 {
        Response::new(Full::new(Bytes::from_static(b"id: 1\ndata: secret\n\n")))
    } else {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = http::StatusCode::NO_CONTENT;
        response
    };
    response
        .headers_mut()
        .insert("content-type", "text/event-stream".parse().unwrap());
    response
}

/// A self-signed certificate for 127.0.0.1, as DER.
fn certificate() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let key = PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der());
    (certified.cert.der().clone(), key.into())
}

/// A server speaking HTTP/1.1 and HTTP/2, over TLS when given a certificate (offering
/// `alpn`), else in the clear.
async fn serve(
    tls: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
    alpn: &[&[u8]],
) -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let acceptor = tls.map(|(cert, key)| {
        let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
        config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
        TlsAcceptor::from(Arc::new(config))
    });
    let seen: Seen = Arc::default();
    let requests = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = Arc::clone(&requests);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    std::future::ready(Ok::<_, Infallible>(answer(&request, &seen)))
                });
                let server = auto::Builder::new(TokioExecutor::new());
                match acceptor {
                    Some(acceptor) => {
                        let Ok(stream) = acceptor.accept(socket).await else {
                            return;
                        };
                        let _ = server.serve_connection(TokioIo::new(stream), service).await;
                    }
                    None => {
                        let _ = server.serve_connection(TokioIo::new(socket), service).await;
                    }
                }
            });
        }
    });
    (address, seen)
}

/// A TLS configuration trusting `cert` alone.
fn trusting(cert: CertificateDer<'static>) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn quick(url: &str) -> Session {
    Session::new(Url::parse(url).unwrap()).waits(
        Waits::new()
            .reconnection_time(Duration::from_millis(10))
            .floor(Duration::from_millis(1))
            .without_jitter(),
    )
}

/// The events and the final reason, or the first connect error.
async fn run(client: EventSource) -> Vec<String> {
    let mut client = client;
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(item)) = tokio::time::timeout_at(deadline, client.next()).await {
        match item {
            Item::Event(message) => seen.push(format!(
                "event {} {}",
                message.last_event_id(),
                message.data()
            )),
            Item::Stopped(stop) => seen.push(format!("stopped {}", stop.reason.as_str())),
            Item::Error(ClientError::Connect(error)) => {
                seen.push(format!("connect error: {error:?}"));
                break;
            }
            _ => {}
        }
    }
    seen
}

#[tokio::test]
async fn https_speaks_http2_when_the_server_offers_it_and_reconnects_with_last_event_id() {
    let (cert, key) = certificate();
    let (address, seen) = serve(Some((cert.clone(), key)), &[b"h2", b"http/1.1"]).await;
    let transport = HyperTransport::builder().tls_config(trusting(cert)).build();
    let session = quick(&format!("https://{address}/events"));
    let items = run(EventSource::with(
        session,
        transport,
        ssekit_core::TokioTimer,
    ))
    .await;
    assert_eq!(items, ["event 1 secret", "stopped no-content"]);
    assert_eq!(
        *seen.lock().unwrap(),
        [(Version::HTTP_2, None), (Version::HTTP_2, Some("1".into()))]
    );
}

#[tokio::test]
async fn https_speaks_http1_to_a_server_that_offers_only_http1() {
    let (cert, key) = certificate();
    let (address, seen) = serve(Some((cert.clone(), key)), &[b"http/1.1"]).await;
    let transport = HyperTransport::builder().tls_config(trusting(cert)).build();
    let session = quick(&format!("https://{address}/events"));
    let items = run(EventSource::with(
        session,
        transport,
        ssekit_core::TokioTimer,
    ))
    .await;
    assert_eq!(items, ["event 1 secret", "stopped no-content"]);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (Version::HTTP_11, None),
            (Version::HTTP_11, Some("1".into()))
        ]
    );
}

#[tokio::test]
async fn a_certificate_nobody_vouches_for_is_a_connect_error_and_nothing_is_sent() {
    let (cert, key) = certificate();
    let (address, seen) = serve(Some((cert, key)), &[b"h2", b"http/1.1"]).await;
    // The default transport trusts Mozilla's roots, which never signed this certificate.
    let session = quick(&format!("https://{address}/events"));
    let items = run(EventSource::new(session)).await;
    assert_eq!(items.len(), 1);
    assert!(items[0].contains("UnknownIssuer"), "{}", items[0]);
    assert!(
        seen.lock().unwrap().is_empty(),
        "no request reached the server"
    );
}

#[tokio::test]
async fn http2_by_prior_knowledge_over_plain_http() {
    let (address, seen) = serve(None, &[]).await;
    let transport = HyperTransport::builder().http2_only(true).build();
    let session = quick(&format!("http://{address}/events"));
    let items = run(EventSource::with(
        session,
        transport,
        ssekit_core::TokioTimer,
    ))
    .await;
    assert_eq!(items, ["event 1 secret", "stopped no-content"]);
    assert_eq!(
        *seen.lock().unwrap(),
        [(Version::HTTP_2, None), (Version::HTTP_2, Some("1".into()))]
    );
}
