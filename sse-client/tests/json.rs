//! The `json` feature: an LLM-style stream's events deserialize into the caller's types,
//! over real HTTP on 127.0.0.1.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ssekit_client::{EventSource, Item, JsonErrorKind, Session, Stopped, Terminal, Url};
use tokio::net::TcpListener;

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Delta {
    content: String,
}

#[tokio::test]
async fn events_deserialize_into_the_callers_types_and_bad_json_is_a_typed_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!(
        "http://{}/v1/chat",
        listener.local_addr().unwrap()
    ))
    .unwrap();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let service = service_fn(|_request| async {
            let body = "data: {\"content\":\"Hel\"}\n\ndata: {\"content\":\"lo\"}\n\ndata: {oops\n\ndata: [DONE]\n\n";
            let mut response = hyper::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
            response
                .headers_mut()
                .insert("content-type", "text/event-stream".parse().unwrap());
            Ok::<_, Infallible>(response)
        });
        http1::Builder::new()
            .serve_connection(TokioIo::new(socket), service)
            .await
            .unwrap();
    });
    let session = Session::new(url)
        .request(http::Method::POST, "{}")
        .finite(Some(Terminal::Data("[DONE]".into())));
    let mut client = EventSource::new(session);
    let mut deltas = Vec::new();
    let mut errors = Vec::new();
    while let Some(item) = client.next().await {
        match item {
            Item::Event(message) => match message.json::<Delta>() {
                Ok(delta) => deltas.push(delta.content),
                Err(error) => errors.push(error.kind()),
            },
            Item::Stopped(stop) => {
                assert!(matches!(stop.reason, Stopped::Finished));
            }
            _ => {}
        }
    }
    assert_eq!(deltas, ["Hel", "lo"]);
    assert_eq!(errors, [JsonErrorKind::Syntax]);
}
