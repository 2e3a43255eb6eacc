//! The servers under load: the same three routes on each, so that the client can compare
//! them on the same payloads.
//!
//! - `GET /events`: a subscription to the fan-out feed (an event stream, or a WebSocket);
//! - `GET /push?events=N`: `N` small events ([`PUSH_PAYLOAD`]) as fast as the connection
//!   takes them, then the end;
//! - `POST /fanout?events=K&interval_ms=M`: starts publishing `K` events to every subscriber,
//!   one every `M` ms, each stamped with the time it was published ([`fanout_payload`]);
//!   answers `202` at once.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use futures_util::{SinkExt, Stream, stream};
use http_body_util::StreamBody;
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use ssekit_core::Event;
use ssekit_hub::{Hub, HubConfig, Retention};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use warp::Filter;

use super::{PUSH_PAYLOAD, fanout_payload};

/// The hub topic, for the servers that use the hub.
const TOPIC: &str = "load";

/// Which server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// This library's axum adapter, subscribers fed by `ssekit-hub`, served by `axum::serve`
    /// as the other axum servers are.
    SseAxum,
    /// [`Self::SseAxum`] served as `talk` serves it: HTTP/1.1 alone, no vectored writes
    /// ([`examples::http1`]).
    SseAxumHttp1,
    /// This library's warp adapter, subscribers fed by `ssekit-hub`.
    SseWarp,
    /// axum's own `Sse`, subscribers fed by a tokio `broadcast` channel (each connection
    /// encodes each event).
    AxumSse,
    /// An axum WebSocket, subscribers fed by a tokio `broadcast` channel of shared text.
    AxumWs,
    /// A floor for idle memory: hyper's HTTP/1.1 connection alone, its response body a
    /// stream that never yields. Idle connections only.
    HyperFloor,
    /// [`Self::HyperFloor`] through hyper-util's `auto` connection, HTTP/1.1 or HTTP/2 told
    /// apart by the first bytes, as `axum::serve` does. Idle connections only.
    HyperAutoFloor,
    /// A floor for idle memory and fan-out: each accepted socket gets a fixed response
    /// head, then waits in a list with no task of its own; fan-out events are written, the
    /// chunk built once, to every socket in turn by one loop. No push.
    TcpFloor,
}

impl ServerKind {
    /// Every kind, in the order of the tables.
    pub const ALL: [Self; 8] = [
        Self::SseAxum,
        Self::SseAxumHttp1,
        Self::SseWarp,
        Self::AxumSse,
        Self::AxumWs,
        Self::HyperFloor,
        Self::HyperAutoFloor,
        Self::TcpFloor,
    ];

    /// Whether the kind is a floor: no push, and fan-out only for [`Self::TcpFloor`].
    pub fn is_floor(self) -> bool {
        matches!(
            self,
            Self::HyperFloor | Self::HyperAutoFloor | Self::TcpFloor
        )
    }

    /// Whether the client speaks WebSocket to it.
    pub fn is_websocket(self) -> bool {
        self == Self::AxumWs
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SseAxum => "ssekit-axum+hub",
            Self::SseAxumHttp1 => "ssekit-axum+hub:http1",
            Self::SseWarp => "ssekit-warp+hub",
            Self::AxumSse => "axum-sse",
            Self::AxumWs => "axum-ws",
            Self::HyperFloor => "floor:hyper-http1",
            Self::HyperAutoFloor => "floor:hyper-auto",
            Self::TcpFloor => "floor:tcp",
        })
    }
}

impl FromStr for ServerKind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.to_string() == name)
            .ok_or_else(|| format!("unknown server kind {name}"))
    }
}

/// Where the fan-out events go.
#[derive(Clone, Debug)]
enum Feed {
    Hub(Hub),
    Broadcast(broadcast::Sender<Utf8Bytes>),
}

impl Feed {
    fn for_kind(kind: ServerKind) -> Self {
        match kind {
            ServerKind::SseAxum | ServerKind::SseAxumHttp1 | ServerKind::SseWarp => Self::Hub(
                Hub::with_config(HubConfig::new().retention(Retention::none())),
            ),
            ServerKind::AxumSse
            | ServerKind::AxumWs
            | ServerKind::HyperFloor
            | ServerKind::HyperAutoFloor
            | ServerKind::TcpFloor => Self::Broadcast(broadcast::channel(256).0),
        }
    }

    fn publish(&self, payload: String) {
        match self {
            Self::Hub(hub) => {
                let Ok(_) = hub.publish(TOPIC, Event::new(payload)).into_inner();
            }
            Self::Broadcast(sender) => {
                // No subscriber is not an error here.
                let _ = sender.send(payload.into());
            }
        }
    }

    fn hub(&self) -> &Hub {
        match self {
            Self::Hub(hub) => hub,
            Self::Broadcast(_) => unreachable!("only the hub kinds subscribe to the hub"),
        }
    }

    fn receiver(&self) -> broadcast::Receiver<Utf8Bytes> {
        match self {
            Self::Broadcast(sender) => sender.subscribe(),
            Self::Hub(_) => unreachable!("only the broadcast kinds subscribe to the channel"),
        }
    }

    /// Publishes `events` fan-out events, one every `interval`, in the background.
    fn start_publishing(&self, events: u64, interval: Duration) {
        let feed = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            for n in 0..events {
                ticks.tick().await;
                feed.publish(fanout_payload(n));
            }
        });
    }
}

/// Serves `kind` on `listener` until the process ends.
///
/// # Errors
///
/// If axum cannot serve the listener.
pub async fn serve(kind: ServerKind, listener: TcpListener) -> std::io::Result<()> {
    let feed = Feed::for_kind(kind);
    match kind {
        ServerKind::SseWarp => {
            serve_warp(feed, listener).await;
            Ok(())
        }
        ServerKind::HyperFloor => serve_hyper_floor(listener, HyperConnection::Http1).await,
        ServerKind::HyperAutoFloor => serve_hyper_floor(listener, HyperConnection::Auto).await,
        ServerKind::TcpFloor => serve_tcp_floor(listener).await,
        ServerKind::SseAxum
        | ServerKind::SseAxumHttp1
        | ServerKind::AxumSse
        | ServerKind::AxumWs => {
            let router = Router::new()
                .route("/fanout", post(start_fanout))
                .with_state(feed.clone());
            let router = match kind {
                ServerKind::SseAxum | ServerKind::SseAxumHttp1 => router.merge(
                    Router::new()
                        .route("/events", get(ours_events))
                        .route("/push", get(ours_push))
                        .with_state(feed),
                ),
                ServerKind::AxumSse => router.merge(
                    Router::new()
                        .route("/events", get(axum_sse_events))
                        .route("/push", get(axum_sse_push))
                        .with_state(feed),
                ),
                ServerKind::AxumWs => router.merge(
                    Router::new()
                        .route("/events", get(ws_events))
                        .route("/push", get(ws_push))
                        .with_state(feed),
                ),
                ServerKind::SseWarp
                | ServerKind::HyperFloor
                | ServerKind::HyperAutoFloor
                | ServerKind::TcpFloor => {
                    unreachable!("served above")
                }
            };
            if kind == ServerKind::SseAxumHttp1 {
                examples::http1::serve(listener, router, std::future::pending()).await
            } else {
                axum::serve(listener, router).await
            }
        }
    }
}

/// The `N` of `events=N` (and `M` of `interval_ms=M`) in a query string.
fn query_number(query: Option<&str>, name: &str) -> Option<u64> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .and_then(|value| value.parse().ok())
}

/// What `POST /fanout` asks for: how many events, and the time between them (100 ms
/// unless the query says).
fn fanout_request(query: Option<&str>) -> (u64, Duration) {
    let events = query_number(query, "events").unwrap_or(0);
    let interval = query_number(query, "interval_ms").unwrap_or(100);
    (events, Duration::from_millis(interval))
}

/// The push route's events, made the same way for every SSE server.
fn push_events(query: Option<&str>) -> impl Stream<Item = Event> + use<> {
    let count = query_number(query, "events").unwrap_or(0);
    stream::iter((0..count).map(|_| Event::new(PUSH_PAYLOAD)))
}

async fn start_fanout(State(feed): State<Feed>, RawQuery(query): RawQuery) -> StatusCode {
    let (events, interval) = fanout_request(query.as_deref());
    feed.start_publishing(events, interval);
    StatusCode::ACCEPTED
}

async fn ours_events(State(feed): State<Feed>) -> Response {
    ssekit_axum::Sse::from_frames(feed.hub().subscribe(TOPIC, None)).into_response()
}

async fn ours_push(RawQuery(query): RawQuery) -> Response {
    ssekit_axum::Sse::new(push_events(query.as_deref())).into_response()
}

async fn axum_sse_events(State(feed): State<Feed>) -> Response {
    let events = stream::unfold(feed.receiver(), |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(text) => {
                    let event = axum::response::sse::Event::default().data(text.as_str());
                    return Some((Ok::<_, Infallible>(event), receiver));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    axum::response::Sse::new(events).into_response()
}

async fn axum_sse_push(RawQuery(query): RawQuery) -> Response {
    let count = query_number(query.as_deref(), "events").unwrap_or(0);
    let events =
        stream::iter((0..count).map(|_| {
            Ok::<_, Infallible>(axum::response::sse::Event::default().data(PUSH_PAYLOAD))
        }));
    axum::response::Sse::new(events).into_response()
}

async fn ws_events(State(feed): State<Feed>, upgrade: WebSocketUpgrade) -> Response {
    let mut receiver = feed.receiver();
    upgrade.on_upgrade(move |mut socket: WebSocket| async move {
        loop {
            // Read too, to notice the client leaving while nothing is published.
            let text = tokio::select! {
                next = receiver.recv() => next,
                from_client = socket.recv() => match from_client {
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return,
                },
            };
            match text {
                Ok(text) => {
                    if socket.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    })
}

async fn ws_push(RawQuery(query): RawQuery, upgrade: WebSocketUpgrade) -> Response {
    let count = query_number(query.as_deref(), "events").unwrap_or(0);
    upgrade.on_upgrade(move |mut socket: WebSocket| async move {
        // `send_all` buffers the messages and flushes when the buffer fills or the stream
        // pauses: the tuned way to push many small messages.
        let message = Message::Text(Utf8Bytes::from_static(PUSH_PAYLOAD));
        let mut messages = stream::iter((0..count).map(|_| Ok(message.clone())));
        if socket.send_all(&mut messages).await.is_ok() {
            let _ = socket.close().await;
        }
    })
}

async fn serve_warp(feed: Feed, listener: TcpListener) {
    let hub = feed.hub().clone();
    let events = warp::get().and(warp::path("events")).map(move || {
        warp::Reply::into_response(ssekit_warp::Sse::from_frames(hub.subscribe(TOPIC, None)))
    });
    let push = warp::get()
        .and(warp::path("push"))
        .and(raw_query())
        .map(|query: Option<String>| {
            warp::Reply::into_response(ssekit_warp::Sse::new(push_events(query.as_deref())))
        });
    let fanout = warp::post().and(warp::path("fanout")).and(raw_query()).map(
        move |query: Option<String>| {
            let (events, interval) = fanout_request(query.as_deref());
            feed.start_publishing(events, interval);
            warp::Reply::into_response(warp::http::StatusCode::ACCEPTED)
        },
    );
    warp::serve(events.or(push).unify().or(fanout).unify())
        .incoming(listener)
        .run()
        .await;
}

/// Which of hyper's connections a floor serves with.
#[derive(Clone, Copy, Debug)]
enum HyperConnection {
    /// `hyper::server::conn::http1`.
    Http1,
    /// `hyper_util::server::conn::auto`, with upgrades, as `axum::serve` uses it.
    Auto,
}

async fn serve_hyper_floor(
    listener: TcpListener,
    connection: HyperConnection,
) -> std::io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_request| async {
                let never = stream::pending::<Result<Frame<Bytes>, Infallible>>();
                Ok::<_, Infallible>(hyper::Response::new(StreamBody::new(never)))
            });
            let socket = TokioIo::new(socket);
            // The connection ends when the client leaves: nothing to report.
            match connection {
                HyperConnection::Http1 => {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(socket, service)
                        .await;
                }
                HyperConnection::Auto => {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection_with_upgrades(socket, service)
                        .await;
                }
            }
        });
    }
}

async fn serve_tcp_floor(listener: TcpListener) -> std::io::Result<()> {
    const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
        transfer-encoding: chunked\r\n\r\n";
    let subscribers = Arc::new(Mutex::new(Vec::<TcpStream>::new()));
    tokio::spawn(drop_closed(Arc::clone(&subscribers)));
    loop {
        let (mut socket, _) = listener.accept().await?;
        let subscribers = Arc::clone(&subscribers);
        tokio::spawn(async move {
            let mut request = [0; 1024];
            let Ok(read) = socket.read(&mut request).await else {
                return;
            };
            let request = String::from_utf8_lossy(&request[..read]);
            if let Some(query) = request.strip_prefix("POST /fanout?") {
                let query = query.split_whitespace().next();
                let (events, interval) = fanout_request(query);
                tokio::spawn(write_to_all(subscribers, events, interval));
                let _ = socket
                    .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                    .await;
            } else if socket.write_all(HEAD).await.is_ok() {
                // No task per connection from here on: the socket waits in the list.
                lock(&subscribers).push(socket);
            }
        });
    }
}

/// Every 500 ms, drops the sockets whose client has closed (they have no task to notice).
async fn drop_closed(subscribers: Arc<Mutex<Vec<TcpStream>>>) {
    let mut probe = [0; 64];
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        lock(&subscribers).retain(|socket| match socket.try_read(&mut probe) {
            Ok(0) => false,
            Ok(_) => true,
            Err(error) => error.kind() == std::io::ErrorKind::WouldBlock,
        });
    }
}

/// The floor of fan-out: one loop writes each event's chunk, built once, to every socket
/// (a socket that cannot take it now is dropped: a floor, not a server).
async fn write_to_all(subscribers: Arc<Mutex<Vec<TcpStream>>>, events: u64, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    for n in 0..events {
        ticks.tick().await;
        let frame = Event::new(fanout_payload(n)).to_bytes();
        let mut chunk = format!("{:x}\r\n", frame.len()).into_bytes();
        chunk.extend_from_slice(&frame);
        chunk.extend_from_slice(b"\r\n");
        lock(&subscribers)
            .retain(|socket| matches!(socket.try_write(&chunk), Ok(n) if n == chunk.len()));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The raw query string, or `None` for a request without one.
fn raw_query() -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Clone {
    warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_numbers() {
        let query = Some("events=10&interval_ms=5");
        assert_eq!(query_number(query, "events"), Some(10));
        assert_eq!(query_number(query, "interval_ms"), Some(5));
        assert_eq!(query_number(query, "other"), None);
        assert_eq!(query_number(None, "events"), None);
        assert_eq!(fanout_request(query), (10, Duration::from_millis(5)));
        assert_eq!(
            fanout_request(Some("events=3")),
            (3, Duration::from_millis(100))
        );
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in ServerKind::ALL {
            assert_eq!(kind.to_string().parse(), Ok(kind));
        }
    }
}
