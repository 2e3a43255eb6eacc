//! Property tests of the `/talk` rules, in process, through both frameworks: for any path,
//! any `Accept` value, any method, with or without `Last-Event-ID`, the status, the headers
//! and the kind of body are exactly what the original's rules say, and an event stream
//! starts at the server's first event. (Resuming after a `Last-Event-ID` is tested over real
//! HTTP in `talk_http.rs`, and against a model in `ssekit-hub`.)

use std::fmt::Debug;
use std::time::Duration;

use bytes::Bytes;
use examples::talk::{self, Framework, PAGE, Talk};
use http_body_util::{BodyExt, Empty};
use proptest::prelude::*;
use ssekit_core::{Decoded, Decoder, Message};
use tower::ServiceExt;
use warp::http::{Method, Request, Response, StatusCode};

/// `Accept` values, and whether each asks for an event stream.
fn accept() -> impl Strategy<Value = (Option<String>, bool)> {
    let known = prop_oneof![
        Just(("text/event-stream", true)),
        Just(("text/event-stream; charset=utf-8", true)),
        Just(("TEXT/Event-Stream", true)),
        Just(("text/html, text/event-stream;q=0.9", true)),
        Just(("text/event-stream;q=0", false)),
        Just(("text/html", false)),
        Just(("*/*", false)),
        Just(("text/*", false)),
        Just(("", false)),
    ]
    .prop_map(|(value, asks)| (Some(value.to_string()), asks));
    // Random types never spell `text/event-stream`: it has a hyphen.
    let random = "[a-z]{1,8}/[a-z]{1,8}".prop_map(|value| (Some(value), false));
    prop_oneof![known, random, Just((None, false))]
}

/// `Last-Event-ID` values. A fresh server knows none of them (it has sent nothing yet), so
/// every stream starts at its first event.
fn last_event_id() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (0..u64::MAX).prop_map(|id| Some(id.to_string())),
        "[a-z-]{1,6}".prop_map(Some),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/talk".to_string()),
        Just("/talk/".to_string()),
        Just("/TALK".to_string()),
        Just("/talk/more".to_string()),
        "/[a-z.]{0,10}",
    ]
}

/// What a response turned out to be.
#[derive(Debug, PartialEq, Eq)]
enum Body {
    Page,
    Empty,
    /// The ids of the first events, counted from the topic's clock-based first id (a number
    /// of milliseconds times 2^20: the first event is 0), after checking that every data
    /// looks like the original's.
    Events(Vec<u64>),
}

async fn observe<B>(response: Response<B>) -> (StatusCode, Option<String>, Option<String>, Body)
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Debug,
{
    let header = |name: &str| {
        let value = response.headers().get(name);
        value.map(|value| value.to_str().unwrap().to_string())
    };
    let (status, content_type, cache_control) = (
        response.status(),
        header("content-type"),
        header("cache-control"),
    );
    let mut body = response.into_body();
    let body = if content_type.as_deref() == Some("text/event-stream") {
        let mut decoder = Decoder::new();
        let mut ids = Vec::new();
        while ids.len() < 3 {
            let frame = body.frame().await.expect("the stream goes on").unwrap();
            decoder.push(frame.into_data().unwrap());
            while let Some(decoded) = decoder.next_decoded().unwrap() {
                let Decoded::Message(message) = decoded else {
                    continue;
                };
                ids.push(id_of(&message));
            }
        }
        // Events ready together share a frame: keep the first three.
        ids.truncate(3);
        let first_id = ids[0] & !((1 << 20) - 1);
        Body::Events(ids.iter().map(|id| id - first_id).collect())
    } else {
        let bytes = body.collect().await.unwrap().to_bytes();
        match &bytes[..] {
            b"" => Body::Empty,
            page if page == PAGE.as_bytes() => Body::Page,
            other => panic!("unexpected body: {}", String::from_utf8_lossy(other)),
        }
    };
    (status, content_type, cache_control, body)
}

/// The message's id, after checking its data is the original's.
fn id_of(message: &Message) -> u64 {
    let time = message
        .data()
        .strip_prefix("new server event ")
        .expect("the original's data");
    assert!(time.ends_with(" AM") || time.ends_with(" PM"), "{time}");
    message.last_event_id().parse().unwrap()
}

async fn respond(
    framework: Framework,
    method: Method,
    path: &str,
    accept: Option<&str>,
    last_event_id: Option<&str>,
) -> (StatusCode, Option<String>, Option<String>, Body) {
    let talk = Talk::new(Duration::from_millis(1));
    let mut request = Request::builder().method(method).uri(path);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let request = request.body(Empty::<Bytes>::new()).unwrap();
    match framework {
        Framework::Axum => {
            let router = talk::on_axum::router(talk);
            observe(
                router
                    .oneshot(request.map(axum::body::Body::new))
                    .await
                    .unwrap(),
            )
            .await
        }
        Framework::Warp => {
            let service = warp::service(talk::on_warp::routes(talk));
            observe(service.oneshot(request).await.unwrap()).await
        }
    }
}

fn check_rules(framework: Framework) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let methods = prop_oneof![Just(Method::GET), Just(Method::POST)];
    proptest!(|(method in methods, path in path(), (accept, asks) in accept(), last_event_id in last_event_id())| {
        let observed = runtime.block_on(respond(
            framework,
            method,
            &path,
            accept.as_deref(),
            last_event_id.as_deref(),
        ));
        let expected = match (asks, path == "/talk") {
            (true, true) => (
                StatusCode::OK,
                Some("text/event-stream".to_string()),
                Some("no-cache".to_string()),
                Body::Events(vec![0, 1, 2]),
            ),
            (true, false) => (StatusCode::NOT_FOUND, None, None, Body::Empty),
            (false, _) => (
                StatusCode::OK,
                Some("text/html; charset=utf-8".to_string()),
                None,
                Body::Page,
            ),
        };
        prop_assert_eq!(observed, expected);
    });
}

#[test]
fn axum_follows_the_rules_for_any_request() {
    check_rules(Framework::Axum);
}

#[test]
fn warp_follows_the_rules_for_any_request() {
    check_rules(Framework::Warp);
}
