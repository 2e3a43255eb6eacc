//! The client against scripted servers over real HTTP on 127.0.0.1: one test per rule of
//! CLIENT.md that the driver owns (the decisions themselves are tested in `Session`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{StreamExt, stream};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::StreamBody;
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ssekit_client::{
    Attempt, BoxError, EventSource, Item, ResumeStore, RetryCause, Session, StopReason, Stopped,
    Terminal, Url, Waits,
};
use tokio::net::TcpListener;

/// What the server answers to one request.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
    /// Keep the body open after it (the stream goes on), or end it.
    hold: bool,
}

fn stream(body: &'static str) -> Reply {
    Reply {
        status: 200,
        headers: vec![("content-type", "text/event-stream")],
        body,
        hold: false,
    }
}

fn status(status: u16, headers: Vec<(&'static str, &'static str)>, body: &'static str) -> Reply {
    Reply {
        status,
        headers,
        body,
        hold: false,
    }
}

/// A server that answers the n-th request with the n-th reply (the last one again after
/// the script), and keeps each request's method, headers and body.
struct Scripted {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<(Method, HeaderMap, Bytes)>>>,
}

impl Scripted {
    async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<(Method, HeaderMap, Bytes)>>> = Arc::default();
        let seen = Arc::clone(&requests);
        let script = Arc::new(script);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let seen = Arc::clone(&seen);
                let script = Arc::clone(&script);
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    let seen = Arc::clone(&seen);
                    let script = Arc::clone(&script);
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = http_body_util::BodyExt::collect(body)
                            .await
                            .unwrap()
                            .to_bytes();
                        let index = {
                            let mut seen = seen.lock().unwrap();
                            seen.push((parts.method, parts.headers, body));
                            seen.len() - 1
                        };
                        let reply = script[index.min(script.len() - 1)].clone();
                        let first = stream::iter([Ok::<_, Infallible>(Frame::data(
                            Bytes::from_static(reply.body.as_bytes()),
                        ))]);
                        let rest = if reply.hold {
                            stream::pending().boxed()
                        } else {
                            stream::empty().boxed()
                        };
                        let mut response = hyper::Response::new(StreamBody::new(first.chain(rest)));
                        *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
                        for (name, value) in reply.headers {
                            response.headers_mut().insert(name, value.parse().unwrap());
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(socket), service));
            }
        });
        Self { address, requests }
    }

    fn url(&self) -> Url {
        Url::parse(&format!("http://{}/events", self.address)).unwrap()
    }

    fn last_event_ids(&self) -> Vec<Option<String>> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .map(|(_, headers, _)| {
                headers
                    .get("last-event-id")
                    .map(|id| id.to_str().unwrap().to_owned())
            })
            .collect()
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// Short waits, with no jitter.
fn quick(url: Url) -> Session {
    Session::new(url).waits(
        Waits::new()
            .reconnection_time(Duration::from_millis(10))
            .floor(Duration::from_millis(1))
            .without_jitter(),
    )
}

/// Every item until the client stops (or 5 s pass), each as a short description.
async fn items(mut client: EventSource) -> Vec<String> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(item)) = tokio::time::timeout_at(deadline, client.next()).await {
        seen.push(match item {
            Item::Open {
                status, attempt, ..
            } => format!("open {status} #{attempt}"),
            Item::Event(message) => format!("event {} {}", message.last_event_id(), message.data()),
            Item::Comment(comment) => format!("comment {comment}"),
            Item::Error(error) => format!("error {error}"),
            Item::Retrying {
                attempt,
                delay,
                cause,
            } => {
                format!(
                    "retrying #{attempt} in {}ms ({})",
                    delay.as_millis(),
                    cause.as_str()
                )
            }
            Item::Stopped(stop) => {
                let body = stop
                    .response
                    .map(|response| String::from_utf8_lossy(&response.body).into_owned());
                format!(
                    "stopped {} {}",
                    stop.reason.as_str(),
                    body.unwrap_or_default()
                )
            }
            _ => "other".into(),
        });
    }
    seen
}

#[tokio::test]
async fn last_event_id_is_sent_on_every_reconnect_and_outlives_events_without_ids() {
    let server = Scripted::start(vec![
        stream("id: 1\ndata: a\n\n"),
        stream("data: b\n\n"),
        status(204, vec![], ""),
    ])
    .await;
    let seen = items(EventSource::new(quick(server.url()))).await;
    assert_eq!(
        seen,
        [
            "open 200 OK #1",
            "event 1 a",
            "retrying #2 in 10ms (ended)",
            "open 200 OK #2",
            "event 1 b",
            "retrying #3 in 20ms (ended)",
            "stopped no-content ",
        ]
    );
    assert_eq!(
        server.last_event_ids(),
        [None, Some("1".into()), Some("1".into())]
    );
}

#[tokio::test]
async fn a_503_waits_its_retry_after_and_a_401_stops_with_the_start_of_its_body() {
    let server = Scripted::start(vec![
        status(503, vec![("retry-after", "0")], "busy"),
        status(401, vec![], "token expired"),
    ])
    .await;
    let seen = items(EventSource::new(quick(server.url()))).await;
    assert_eq!(
        seen,
        [
            "error the server answered 503 Service Unavailable",
            "retrying #2 in 1ms (status)",
            "stopped status token expired",
        ]
    );
}

#[tokio::test]
async fn a_finite_stream_ends_at_its_terminal_event_with_no_second_request() {
    let mut done = stream("data: x\n\ndata: [DONE]\n\n");
    done.hold = true;
    let server = Scripted::start(vec![done]).await;
    let session = quick(server.url())
        .request(Method::POST, r#"{"stream":true}"#)
        .finite(Some(Terminal::Data("[DONE]".into())));
    let seen = items(EventSource::new(session)).await;
    assert_eq!(seen, ["open 200 OK #1", "event  x", "stopped finished "]);
    assert_eq!(server.count(), 1);
    let requests = server.requests.lock().unwrap();
    assert_eq!(requests[0].2, r#"{"stream":true}"#);
    assert_eq!(requests[0].1["accept"], "text/event-stream");
}

#[tokio::test]
async fn a_client_dropped_mid_wait_sends_no_further_request() {
    let server = Scripted::start(vec![status(503, vec![("retry-after", "1")], "")]).await;
    let mut client = EventSource::new(quick(server.url()));
    loop {
        if let Some(Item::Retrying { .. }) = client.next().await {
            break;
        }
    }
    drop(client);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_wrong_content_type_stops_and_a_refused_connection_retries() {
    let server = Scripted::start(vec![status(
        200,
        vec![("content-type", "application/json")],
        "{}",
    )])
    .await;
    let seen = items(EventSource::new(quick(server.url()))).await;
    assert_eq!(seen, ["stopped content-type {}"]);
    assert_eq!(
        Stopped::Response(StopReason::ContentType).as_str(),
        "content-type"
    );

    // Nothing listens on port 1: every attempt is refused, and retried ever later.
    let nowhere = Url::parse("http://127.0.0.1:1/").unwrap();
    let mut client = EventSource::new(quick(nowhere));
    let mut delays = Vec::new();
    while delays.len() < 3 {
        if let Some(Item::Retrying { delay, .. }) = client.next().await {
            delays.push(delay.as_millis());
        }
    }
    assert_eq!(delays, [10, 20, 40]);
}

#[tokio::test]
async fn a_restart_drops_the_connection_and_connects_again_at_once_with_the_last_id() {
    let mut open = stream("id: 5\ndata: a\n\n");
    open.hold = true;
    let server = Scripted::start(vec![open]).await;
    let mut client = EventSource::new(quick(server.url()));
    let restart = client.restart_handle();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        seen.push(client.next().await.unwrap());
    }
    assert!(matches!(&seen[1], Item::Event(message) if message.data() == "a"));
    restart.restart();
    let Some(Item::Retrying {
        attempt: 2,
        delay,
        cause: RetryCause::Restart,
    }) = client.next().await
    else {
        panic!("a restart first says it reconnects");
    };
    assert_eq!(delay, Duration::ZERO);
    assert!(matches!(
        client.next().await,
        Some(Item::Open { attempt: 2, .. })
    ));
    assert_eq!(server.last_event_ids(), [None, Some("5".into())]);
}

#[tokio::test]
async fn a_request_hook_runs_before_every_attempt_with_fresh_credentials() {
    let server = Scripted::start(vec![
        stream("id: 1\ndata: a\n\n"),
        stream("data: b\n\n"),
        status(204, vec![], ""),
    ])
    .await;
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    let client =
        EventSource::new(quick(server.url())).before_attempt(move |mut attempt: Attempt| {
            let token = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                let value = HeaderValue::try_from(format!("Bearer {token}"))?;
                attempt.headers.insert("authorization", value);
                Ok(attempt)
            }
        });
    let seen = items(client).await;
    assert_eq!(seen.last().unwrap(), "stopped no-content ");
    let requests = server.requests.lock().unwrap();
    let tokens: Vec<_> = requests
        .iter()
        .map(|(_, headers, _)| headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens, ["Bearer 1", "Bearer 2", "Bearer 3"]);
    assert_eq!(
        requests[1].1["last-event-id"], "1",
        "the hook keeps the client's headers"
    );
}

#[tokio::test]
async fn a_failing_request_hook_is_an_error_and_the_attempt_is_retried_after_a_backoff() {
    let server = Scripted::start(vec![status(204, vec![], "")]).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let client = EventSource::new(quick(server.url())).before_attempt(move |attempt: Attempt| {
        let call = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if call < 2 {
                return Err("the token service is down".into());
            }
            Ok(attempt)
        }
    });
    let seen = items(client).await;
    assert_eq!(
        seen,
        [
            "error the before-attempt hook failed: the token service is down",
            "retrying #2 in 10ms (hook)",
            "error the before-attempt hook failed: the token service is down",
            "retrying #3 in 20ms (hook)",
            "stopped no-content ",
        ]
    );
    assert_eq!(server.count(), 1, "no request without the hook's blessing");
}

/// Keeps the resume id in memory, and every id it was asked to store.
#[derive(Default)]
struct Remembered {
    id: Mutex<Option<String>>,
    stores: Mutex<Vec<String>>,
}

impl ResumeStore for Remembered {
    fn load(&self) -> BoxFuture<'static, Result<Option<String>, BoxError>> {
        let id = self.id.lock().unwrap().clone();
        Box::pin(async move { Ok(id) })
    }

    fn store(&self, id: String) -> BoxFuture<'static, Result<(), BoxError>> {
        self.stores.lock().unwrap().push(id.clone());
        *self.id.lock().unwrap() = Some(id);
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn the_resume_id_is_loaded_before_the_first_request_and_stored_once_its_events_were_taken() {
    let server = Scripted::start(vec![
        stream("data: a\n\nid: 42\ndata: b\n\n"),
        status(204, vec![], ""),
        stream("data: c\n\n"),
        status(204, vec![], ""),
    ])
    .await;
    let store = Arc::new(Remembered::default());
    *store.id.lock().unwrap() = Some("41".into());
    let session = quick(server.url()).last_event_id("7");
    let seen = items(EventSource::new(session).resume_store(Arc::clone(&store))).await;
    assert_eq!(seen[1..3], ["event 41 a", "event 42 b"]);
    assert_eq!(
        *store.stores.lock().unwrap(),
        ["42"],
        "stored once, after both"
    );

    // The process restarts: a new client resumes from what the last one stored.
    let seen = items(EventSource::new(quick(server.url())).resume_store(Arc::clone(&store))).await;
    assert_eq!(seen[1], "event 42 c");
    assert_eq!(
        server.last_event_ids(),
        [
            Some("41".into()),
            Some("42".into()),
            Some("42".into()),
            Some("42".into())
        ]
    );
}

#[tokio::test]
async fn the_resume_id_is_not_stored_before_its_event_was_taken() {
    let mut open = stream("id: 1\ndata: a\n\nid: 2\ndata: b\n\n");
    open.hold = true;
    let server = Scripted::start(vec![open]).await;
    let store = Arc::new(Remembered::default());
    let mut client = EventSource::new(quick(server.url())).resume_store(Arc::clone(&store));
    assert!(matches!(client.next().await, Some(Item::Open { .. })));
    assert!(matches!(client.next().await, Some(Item::Event(_))));
    assert!(matches!(client.next().await, Some(Item::Event(_))));
    assert!(
        store.stores.lock().unwrap().is_empty(),
        "the program may crash while it handles event 2: it is not stored yet"
    );
    // Asking for more means both were handled: 2 is stored before the client reads on.
    let more = tokio::time::timeout(Duration::from_millis(200), client.next()).await;
    assert!(more.is_err(), "the stream holds nothing more");
    assert_eq!(*store.stores.lock().unwrap(), ["2"]);
}

#[tokio::test]
async fn an_id_only_block_moves_the_last_event_id_and_an_empty_id_clears_it() {
    let server = Scripted::start(vec![
        stream("data: a\n\nid: 1\n\n"),
        stream("data: b\n\nid\n\n"),
        status(204, vec![], ""),
    ])
    .await;
    let seen = items(EventSource::new(quick(server.url()))).await;
    assert!(seen.contains(&"event 1 b".to_owned()), "{seen:?}");
    assert_eq!(server.last_event_ids(), [None, Some("1".into()), None]);
}

#[tokio::test]
async fn every_request_asks_for_an_uncached_event_stream_with_the_callers_headers() {
    let server = Scripted::start(vec![status(204, vec![], "")]).await;
    let mut headers = HeaderMap::new();
    headers.insert("x-tenant", HeaderValue::from_static("blue"));
    headers.insert("accept", HeaderValue::from_static("application/json"));
    items(EventSource::new(quick(server.url()).headers(headers))).await;
    let requests = server.requests.lock().unwrap();
    let (method, headers, body) = &requests[0];
    assert_eq!(method, Method::GET);
    assert_eq!(headers["accept"], "text/event-stream", "the client's own");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-tenant"], "blue");
    assert!(headers.get("last-event-id").is_none(), "never an empty one");
    assert!(body.is_empty());
}

#[tokio::test]
async fn redirects_drop_credentials_across_origins_and_each_attempt_starts_at_the_original_url() {
    let elsewhere =
        Scripted::start(vec![stream("id: 1\ndata: a\n\n"), status(204, vec![], "")]).await;
    let moved: &'static str = format!("http://{}/moved", elsewhere.address).leak();
    let server = Scripted::start(vec![
        status(303, vec![("location", moved)], ""),
        status(307, vec![("location", "/again")], ""),
        status(308, vec![("location", moved)], ""),
    ])
    .await;
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_static("Bearer secret"));
    let session = quick(server.url())
        .headers(headers)
        .request(Method::POST, "question")
        .replay_post(true);
    let seen = items(EventSource::new(session)).await;
    assert_eq!(seen[..2], ["open 200 OK #1", "event 1 a"]);
    assert_eq!(seen.last().unwrap(), "stopped no-content ");

    let first = server.requests.lock().unwrap();
    let other = elsewhere.requests.lock().unwrap();
    // Attempt 1: POST /events, 303 to the other origin: a GET without the body or the token.
    assert_eq!(
        (&first[0].0, &first[0].2[..]),
        (&Method::POST, &b"question"[..])
    );
    assert_eq!((&other[0].0, other[0].2.is_empty()), (&Method::GET, true));
    assert!(other[0].1.get("authorization").is_none());
    // Attempt 2 starts at /events again: 307 keeps method, body and token on this origin...
    assert_eq!(first[1].1["authorization"], "Bearer secret");
    assert_eq!(
        (&first[2].0, &first[2].2[..]),
        (&Method::POST, &b"question"[..])
    );
    assert_eq!(first[2].1["last-event-id"], "1");
    assert_eq!(first[2].1["authorization"], "Bearer secret");
    // ...then 308 to the other origin: a POST with its body, without the token.
    assert_eq!(
        (&other[1].0, &other[1].2[..]),
        (&Method::POST, &b"question"[..])
    );
    assert!(other[1].1.get("authorization").is_none());
    assert_eq!(other[1].1["last-event-id"], "1");
}

#[tokio::test]
async fn a_stop_carries_the_status_the_headers_and_at_most_4_kib_of_the_body() {
    let long: &'static str = "x".repeat(10_000).leak();
    let server = Scripted::start(vec![status(403, vec![("x-reason", "quota")], long)]).await;
    let mut client = EventSource::new(quick(server.url()));
    let Some(Item::Stopped(stop)) = client.next().await else {
        panic!("a 403 stops at once");
    };
    assert_eq!(stop.reason, Stopped::Response(StopReason::Status(403)));
    let response = stop.response.unwrap();
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.headers["x-reason"], "quota");
    assert_eq!(response.body.len(), ssekit_client::MAX_ERROR_BODY);
    assert_eq!(ssekit_client::MAX_ERROR_BODY, 4096);
    assert!(client.next().await.is_none());
}

#[tokio::test]
async fn a_5xx_and_a_408_are_retried_and_other_4xx_stop() {
    let server = Scripted::start(vec![
        status(500, vec![], ""),
        status(502, vec![], ""),
        status(408, vec![], ""),
        status(404, vec![], "gone"),
    ])
    .await;
    let seen = items(EventSource::new(quick(server.url()))).await;
    assert_eq!(
        seen,
        [
            "error the server answered 500 Internal Server Error",
            "retrying #2 in 10ms (status)",
            "error the server answered 502 Bad Gateway",
            "retrying #3 in 20ms (status)",
            "error the server answered 408 Request Timeout",
            "retrying #4 in 40ms (status)",
            "stopped status gone",
        ]
    );
}

#[tokio::test]
async fn comments_are_items_for_those_who_ask_as_soon_as_their_line_is_read() {
    let mut open = stream(": hello\n: world");
    open.hold = true;
    let server = Scripted::start(vec![open]).await;
    let mut client = EventSource::new(quick(server.url())).comments(true);
    assert!(matches!(client.next().await, Some(Item::Open { .. })));
    assert!(matches!(client.next().await, Some(Item::Comment(comment)) if comment == " hello"));
    // ": world" has no line end yet: it is not a comment until its line is.
    let more = tokio::time::timeout(Duration::from_millis(100), client.next()).await;
    assert!(more.is_err());
}

#[tokio::test]
async fn a_16_mib_event_in_one_line_passes_the_default_limits() {
    let data = "y".repeat(16 * 1024 * 1024);
    let body: &'static str = format!("data: {data}\n\n").leak();
    let server = Scripted::start(vec![stream(body), status(204, vec![], "")]).await;
    let mut client = EventSource::new(quick(server.url()));
    let mut sizes = Vec::new();
    while let Some(item) = client.next().await {
        match item {
            Item::Event(message) => sizes.push(message.data().len()),
            Item::Error(error) => panic!("{error}"),
            _ => {}
        }
    }
    assert_eq!(sizes, [data.len()]);
}

#[tokio::test]
async fn a_finite_stream_without_a_marker_ends_at_the_clean_end_of_its_body() {
    let server = Scripted::start(vec![stream("data: a\n\ndata: b\n\n")]).await;
    let session = quick(server.url()).request(Method::POST, "{}").finite(None);
    let seen = items(EventSource::new(session)).await;
    assert_eq!(
        seen,
        [
            "open 200 OK #1",
            "event  a",
            "event  b",
            "stopped finished "
        ]
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_finite_stream_cut_before_its_marker_resumes_with_its_last_event_id() {
    let server = Scripted::start(vec![
        stream("id: 1\ndata: a\n\n"),
        stream("id: 2\ndata: b\n\nevent: end\ndata: \n\n"),
    ])
    .await;
    let session = quick(server.url())
        .request(Method::POST, "{}")
        .finite(Some(Terminal::EventType("end".into())));
    let seen = items(EventSource::new(session)).await;
    assert_eq!(
        seen,
        [
            "open 200 OK #1",
            "event 1 a",
            "retrying #2 in 10ms (ended)",
            "open 200 OK #2",
            "event 2 b",
            "stopped finished ",
        ]
    );
    assert_eq!(server.last_event_ids(), [None, Some("1".into())]);
}

#[tokio::test]
async fn a_post_is_not_sent_again_after_events_without_an_id() {
    let server = Scripted::start(vec![stream("data: a\n\n")]).await;
    let session = quick(server.url()).request(Method::POST, "{}");
    let seen = items(EventSource::new(session)).await;
    assert_eq!(seen, ["open 200 OK #1", "event  a", "stopped truncated "]);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn an_id_holding_nul_is_ignored_and_an_event_cut_off_keeps_neither_its_data_nor_its_id() {
    let server = Scripted::start(vec![
        stream("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\nid: 3\ndata: c"),
        status(204, vec![], ""),
    ])
    .await;
    let seen = items(EventSource::new(quick(server.url()))).await;
    assert_eq!(
        seen,
        [
            "open 200 OK #1",
            "event 1 a",
            "event 1 b",
            "retrying #2 in 10ms (ended)",
            "stopped no-content ",
        ]
    );
    assert_eq!(server.last_event_ids(), [None, Some("1".into())]);
}
