//! Our own run of the test-service protocol of CLIENT.md: the `contract-service` binary,
//! driven as an outside harness drives it, against a stream server and a callback server of
//! the test's own on 127.0.0.1.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Serves `handle` on a free loopback port.
async fn serve<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(hyper::Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<
            Output = hyper::Response<http_body_util::combinators::BoxBody<Bytes, Infallible>>,
        > + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let handle = handle.clone();
            let service = service_fn(move |request| {
                let handle = handle.clone();
                async move { Ok::<_, Infallible>(handle(request).await) }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(socket), service));
        }
    });
    address
}

async fn send(method: &str, url: String, body: Value) -> (u16, hyper::HeaderMap, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(if body.is_null() {
            String::new()
        } else {
            body.to_string()
        })))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
        .await
        .unwrap()
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body)
}

/// Waits until `callbacks` holds at least `count` reports; returns them.
async fn reports(
    callbacks: &Arc<Mutex<Vec<(String, Value)>>>,
    count: usize,
) -> Vec<(String, Value)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = callbacks.lock().unwrap().clone();
        if seen.len() >= count {
            return seen;
        }
        assert!(Instant::now() < deadline, "only {seen:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The stream: an event with an id on the first connection, a comment and an event without
/// an id on the next; each request's `Last-Event-ID` goes into `ids`.
async fn stream_server(ids: Arc<Mutex<Vec<Option<String>>>>) -> SocketAddr {
    serve(move |request: hyper::Request<Incoming>| {
        let seen_ids = Arc::clone(&ids);
        async move {
            let id = request
                .headers()
                .get("last-event-id")
                .map(|id| id.to_str().unwrap().to_owned());
            let first = {
                let mut ids = seen_ids.lock().unwrap();
                ids.push(id);
                ids.len() == 1
            };
            let body = if first {
                "id: 1\ndata: a\n\n"
            } else {
                ": hi\ndata: b\n\n"
            };
            let frames = stream::iter([Ok(Frame::data(Bytes::from_static(body.as_bytes())))])
                .chain(stream::pending());
            hyper::Response::builder()
                .header("content-type", "text/event-stream")
                .body(BodyExt::boxed(StreamBody::new(frames)))
                .unwrap()
        }
    })
    .await
}

/// The callbacks, as the harness receives them: each one's path and JSON.
async fn callback_server(callbacks: Arc<Mutex<Vec<(String, Value)>>>) -> SocketAddr {
    serve(move |request: hyper::Request<Incoming>| {
        let received = Arc::clone(&callbacks);
        async move {
            let path = request.uri().path().to_owned();
            let body = request.into_body().collect().await.unwrap().to_bytes();
            received
                .lock()
                .unwrap()
                .push((path, serde_json::from_slice(&body).unwrap()));
            hyper::Response::new(Full::new(Bytes::new()).boxed())
        }
    })
    .await
}

#[tokio::test]
async fn the_service_speaks_the_test_service_protocol() {
    let ids: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let stream_address = stream_server(Arc::clone(&ids)).await;
    let callbacks: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let callback_address = callback_server(Arc::clone(&callbacks)).await;

    let (service, address) = common::spawn_server(
        Command::new(env!("CARGO_BIN_EXE_contract-service")).args(["--port", "0"]),
    );
    let mut service = KillOnDrop(service);
    let base = format!("http://{address}");
    claims_its_capabilities(&base).await;

    let (status, _, _) = send(
        "POST",
        format!("{base}/"),
        json!({ "callbackUrl": "http://x/" }),
    )
    .await;
    assert_eq!(status, 400, "no streamUrl");
    let create = json!({
        "streamUrl": format!("http://{stream_address}/stream"),
        "callbackUrl": format!("http://{callback_address}/cb"),
        "tag": "protocol", "initialDelayMs": 10, "readTimeoutMs": null, "lifecycle": true,
    });
    let (status, headers, _) = send("POST", format!("{base}/"), create).await;
    assert_eq!(status, 201);
    let location = format!("{base}{}", headers["location"].to_str().unwrap());

    let seen = reports(&callbacks, 2).await;
    assert_eq!(
        seen[0],
        ("/cb/1".into(), json!({ "kind": "open", "status": 200 }))
    );
    assert_eq!(
        seen[1],
        (
            "/cb/2".into(),
            json!({ "kind": "event", "event": { "type": "message", "data": "a", "id": "1" } })
        )
    );

    let (status, _, _) = send("POST", location.clone(), json!({ "command": "restart" })).await;
    assert_eq!(status, 204);
    let seen = reports(&callbacks, 6).await;
    assert_eq!(
        seen[2].1,
        json!({ "kind": "retrying", "attempt": 2, "delayMs": 0 })
    );
    assert_eq!(seen[3].1, json!({ "kind": "open", "status": 200 }));
    // The text after the colon, as it came.
    assert_eq!(seen[4].1, json!({ "kind": "comment", "comment": " hi" }));
    assert_eq!(
        seen[5].1,
        json!({ "kind": "event", "event": { "type": "message", "data": "b", "id": "1" } })
    );
    assert_eq!(
        *ids.lock().unwrap(),
        [None, Some("1".into())],
        "the restart resumed after id 1"
    );

    assert_eq!(
        send("POST", location.clone(), json!({ "command": "dance" }))
            .await
            .0,
        400
    );
    assert_eq!(
        send(
            "POST",
            format!("{base}/streams/99"),
            json!({ "command": "restart" })
        )
        .await
        .0,
        404
    );
    assert_eq!(send("DELETE", location.clone(), Value::Null).await.0, 204);
    let seen = reports(&callbacks, 7).await;
    assert_eq!(
        seen[6],
        (
            "/cb/7".into(),
            json!({ "kind": "closed", "reason": "closed" })
        )
    );
    assert_eq!(send("DELETE", location, Value::Null).await.0, 404);

    assert!(send("DELETE", format!("{base}/"), Value::Null).await.0 < 300);
    let status = service.exit_within(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}");
}

/// `GET /` answers the capabilities the service claims.
async fn claims_its_capabilities(base: &str) {
    let (status, _, body) = send("GET", format!("{base}/"), Value::Null).await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_slice(&body).unwrap();
    let claimed = answer["capabilities"].as_array().unwrap();
    for capability in [
        "comments",
        "headers",
        "last-event-id",
        "post",
        "restart",
        "x-lifecycle",
    ] {
        assert!(claimed.contains(&json!(capability)), "{capability}");
    }
}

/// The service's process, killed if the test ends before it exits.
struct KillOnDrop(std::process::Child);

impl KillOnDrop {
    /// Its exit status, once it exits (within `patience`).
    async fn exit_within(&mut self, patience: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after DELETE /");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
