//! The `reqwest` feature: the same reconnection rules over a `reqwest::Client`, on
//! 127.0.0.1: a redirect followed by the client (not by reqwest), `Last-Event-ID` on the
//! reconnect, a `204` that stops.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ssekit_client::{EventSource, Item, ReqwestTransport, Session, Url, Waits};
use tokio::net::TcpListener;

/// Each request's path and `Last-Event-ID`.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// `/events` redirects to `/stream`, which sends one event the first time and `204` after.
fn answer(request: &Request<Incoming>, seen: &Seen) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let id = request
        .headers()
        .get("last-event-id")
        .map(|id| id.to_str().unwrap().to_owned());
    let streams = {
        let mut seen = seen.lock().unwrap();
        seen.push((path.clone(), id));
        seen.iter().filter(|(path, _)| path == "/stream").count()
    };
    let mut response = Response::new(Full::new(Bytes::new()));
    if path == "/events" {
        *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
        response
            .headers_mut()
            .insert("location", "stream".parse().unwrap());
    } else if streams == 1 {
        *response.body_mut() = Full::new(Bytes::from_static(b"id: 1\ndata: a\n\n"));
        response
            .headers_mut()
            .insert("content-type", "text/event-stream".parse().unwrap());
    } else {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

#[tokio::test]
async fn over_reqwest_the_client_follows_redirects_and_resumes_with_last_event_id() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let requests = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = Arc::clone(&requests);
            let service = service_fn(move |request: Request<Incoming>| {
                std::future::ready(Ok::<_, Infallible>(answer(&request, &seen)))
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(socket), service));
        }
    });
    let url = Url::parse(&format!("http://{address}/events")).unwrap();
    let session = Session::new(url).waits(
        Waits::new()
            .reconnection_time(Duration::from_millis(10))
            .without_jitter(),
    );
    let mut client = EventSource::with(
        session,
        ReqwestTransport::default(),
        ssekit_core::TokioTimer,
    );
    let mut items = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(5), client.next())
        .await
        .unwrap()
    {
        match item {
            Item::Open { url, .. } => items.push(format!("open {}", url.path())),
            Item::Event(message) => items.push(format!(
                "event {} {}",
                message.last_event_id(),
                message.data()
            )),
            Item::Stopped(stop) => items.push(format!("stopped {}", stop.reason.as_str())),
            _ => {}
        }
    }
    assert_eq!(items, ["open /stream", "event 1 a", "stopped no-content"]);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("/events".into(), None),
            ("/stream".into(), None),
            ("/events".into(), Some("1".into())),
            ("/stream".into(), Some("1".into())),
        ],
        "each attempt starts at the original URL, and its redirect keeps Last-Event-ID"
    );
}
