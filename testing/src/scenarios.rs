//! What every adapter must do, written once: each function starts a server through a
//! [`Framework`] on 127.0.0.1 and checks one behaviour with a real client.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use http::{StatusCode, Version};
use ssekit_core::{Decoded, Event, KeepAlive, Message};
use tokio::sync::{mpsc, oneshot};

use crate::client::{BodyEnd, Get, PATIENCE, Protocol};

/// An error a test's event stream fails with.
#[derive(Debug)]
pub struct SourceError;

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the test's event source failed")
    }
}

impl std::error::Error for SourceError {}

/// The events a server streams for one request, given the `Last-Event-ID` the adapter read.
pub type Source =
    Arc<dyn Fn(Option<String>) -> BoxStream<'static, Result<Event, SourceError>> + Send + Sync>;

/// How the test server is set up.
#[derive(Clone)]
pub struct Setup {
    /// What `/events` streams.
    pub source: Source,
    /// The adapter's keep-alive; `None` turns it off.
    pub keep_alive: Option<KeepAlive>,
    /// Whether tower-http's `CompressionLayer` wraps the server.
    pub compression: bool,
}

impl Setup {
    /// A setup streaming what `source` gives, with keep-alive off and no compression.
    pub fn new(
        source: impl Fn(Option<String>) -> BoxStream<'static, Result<Event, SourceError>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Self {
            source: Arc::new(source),
            keep_alive: None,
            compression: false,
        }
    }

    /// A setup streaming these events, then ending.
    pub fn events(events: Vec<Event>) -> Self {
        Self::new(move |_| stream::iter(events.clone()).map(Ok).boxed())
    }
}

/// A framework adapter under test.
pub trait Framework {
    /// The status `/events` answers a request that does not ask for an event stream with.
    const REFUSED: StatusCode;

    /// Starts a server on 127.0.0.1 (port 0) whose route `/events` answers requests that
    /// accept an event stream with `setup.source`'s stream (given the request's
    /// `Last-Event-ID`), through the adapter; returns its address.
    fn serve(setup: Setup) -> impl Future<Output = SocketAddr> + Send;
}

/// Events that exercise the encoder: line breaks of every kind, a leading space, ids, a
/// type, a retry, empty data and non-ASCII text.
pub fn sample_events() -> Vec<Event> {
    vec![
        Event::new("one\ntwo\r\nthree\rfour").with_id("1").unwrap(),
        Event::new(" leading space")
            .with_event_type("spaced")
            .unwrap(),
        Event::new("").with_retry(Duration::from_millis(2500)),
        Event::new("żółw 🐢")
            .with_id("")
            .unwrap()
            .with_comment("a comment"),
    ]
}

/// What a client decodes from [`sample_events`].
pub fn sample_decoded() -> Vec<Decoded> {
    vec![
        Decoded::Message(Message::new("message", "one\ntwo\nthree\nfour", "1")),
        Decoded::Message(Message::new("spaced", " leading space", "1")),
        Decoded::Retry(Duration::from_millis(2500)),
        Decoded::Message(Message::new("message", "", "1")),
        Decoded::Comment("a comment".into()),
        Decoded::Message(Message::new("message", "żółw 🐢", "")),
    ]
}

/// A source fed by hand: each request takes the receiving end (only one request may).
fn channel_setup() -> (Setup, mpsc::UnboundedSender<Event>) {
    let (sender, receiver) = mpsc::unbounded_channel::<Event>();
    let receiver = Mutex::new(Some(receiver));
    let setup = Setup::new(move |_| {
        let mut receiver = receiver.lock().unwrap().take().expect("one request only");
        stream::poll_fn(move |cx| receiver.poll_recv(cx))
            .map(Ok)
            .boxed()
    });
    (setup, sender)
}

/// A source that sends one event, then nothing until the connection goes; the receiver
/// hears when the server drops the stream.
fn one_event_then_idle() -> (Setup, oneshot::Receiver<()>) {
    struct DropGuard(Option<oneshot::Sender<()>>);
    impl Drop for DropGuard {
        fn drop(&mut self) {
            if let Some(dropped) = self.0.take() {
                let _ = dropped.send(());
            }
        }
    }
    let (dropped, dropped_heard) = oneshot::channel();
    let guard = Mutex::new(Some(DropGuard(Some(dropped))));
    let setup = Setup::new(move |_| {
        let guard = guard.lock().unwrap().take().expect("one request only");
        stream::iter([Ok(Event::new("first"))])
            .chain(stream::pending())
            .map(move |item| {
                let _held_until_the_stream_drops = &guard;
                item
            })
            .boxed()
    });
    (setup, dropped_heard)
}

/// Status 200 and exactly the headers an event stream needs, over HTTP/1.1 and HTTP/2.
pub async fn status_and_headers<F: Framework>() {
    let server = F::serve(Setup::events(sample_events())).await;
    for protocol in [Protocol::Http1, Protocol::Http2] {
        let response = Get::event_stream("/events")
            .protocol(protocol)
            .send(server)
            .await;
        assert_eq!(response.status, StatusCode::OK, "{protocol:?}");
        assert_eq!(response.header("content-type"), Some("text/event-stream"));
        assert_eq!(response.header("cache-control"), Some("no-cache"));
        assert_eq!(response.header("x-accel-buffering"), Some("no"));
        for absent in ["content-length", "connection", "content-encoding"] {
            assert_eq!(response.header(absent), None, "{absent} over {protocol:?}");
        }
    }
}

/// The events decoded by the client are the events sent, and a finite stream ends the
/// response normally after its last event.
pub async fn events_arrive_as_sent<F: Framework>() {
    let server = F::serve(Setup::events(sample_events())).await;
    let response = Get::event_stream("/events").send(server).await;
    assert_eq!(response.rest().await, (sample_decoded(), BodyEnd::Clean));
}

/// Each event goes out as soon as it is produced: the client reads event 1 before event 2
/// exists.
pub async fn each_event_is_sent_at_once<F: Framework>() {
    let (setup, sender) = channel_setup();
    let server = F::serve(setup).await;
    assert_events_arrive_one_by_one(Get::event_stream("/events").send(server).await, &sender).await;
}

async fn assert_events_arrive_one_by_one(
    mut response: crate::client::Response,
    sender: &mpsc::UnboundedSender<Event>,
) {
    for n in 1..=3 {
        sender.send(Event::new(format!("event {n}"))).unwrap();
        assert_eq!(response.next_message().await.data(), format!("event {n}"));
    }
}

/// An idle stream gets keep-alive comments; a busy one is not held back by them.
pub async fn keep_alive_comments_on_an_idle_stream<F: Framework>() {
    let (mut setup, _dropped) = one_event_then_idle();
    setup.keep_alive = Some(
        KeepAlive::new()
            .interval(Duration::from_millis(50))
            .comment("idle"),
    );
    let server = F::serve(setup).await;
    let mut response = Get::event_stream("/events").send(server).await;
    assert_eq!(response.next_message().await.data(), "first");
    for _ in 0..2 {
        assert_eq!(response.next().await, Ok(Decoded::Comment("idle".into())));
    }
}

/// With keep-alive off, an idle stream stays silent.
pub async fn no_comments_with_keep_alive_off<F: Framework>() {
    let (setup, _dropped) = one_event_then_idle();
    let server = F::serve(setup).await;
    let mut response = Get::event_stream("/events").send(server).await;
    assert_eq!(response.next_message().await.data(), "first");
    assert_eq!(response.next_within(Duration::from_millis(300)).await, None);
}

/// The handler sees the `Last-Event-ID` a reconnecting client sends; a header that is no
/// valid id counts as absent, never as an error.
pub async fn last_event_id_reaches_the_handler<F: Framework>() {
    let setup = Setup::new(|last_event_id| {
        stream::iter([Ok(Event::new(format!("{last_event_id:?}")))]).boxed()
    });
    let server = F::serve(setup).await;
    let cases: [(Option<&[u8]>, &str); 4] = [
        (None, "None"),
        (Some(b"41"), "Some(\"41\")"),
        (Some("ид-7".as_bytes()), "Some(\"ид-7\")"),
        (Some(b"\xff\xfe"), "None"),
    ];
    for (header, expected) in cases {
        let mut request = Get::event_stream("/events");
        if let Some(value) = header {
            request = request.header("last-event-id", value);
        }
        let mut response = request.send(server).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.next_message().await.data(), expected);
    }
}

/// An HTTP/2 client (cleartext, prior knowledge) gets the stream.
pub async fn http2_client_gets_the_stream<F: Framework>() {
    let server = F::serve(Setup::events(sample_events())).await;
    let response = Get::event_stream("/events")
        .protocol(Protocol::Http2)
        .send(server)
        .await;
    assert_eq!(response.version, Version::HTTP_2);
    assert_eq!(response.rest().await, (sample_decoded(), BodyEnd::Clean));
}

/// Behind tower-http's `CompressionLayer`, with a client that accepts gzip, events still
/// arrive one by one.
pub async fn compression_layer_does_not_hold_events_back<F: Framework>() {
    let (mut setup, sender) = channel_setup();
    setup.compression = true;
    let server = F::serve(setup).await;
    let response = Get::event_stream("/events")
        .header("accept-encoding", b"gzip")
        .send(server)
        .await;
    assert_events_arrive_one_by_one(response, &sender).await;
}

/// When the client goes away, the server drops the event stream promptly, so no task or
/// timer outlives the connection.
pub async fn client_disconnect_drops_the_stream<F: Framework>() {
    for protocol in [Protocol::Http1, Protocol::Http2] {
        let (mut setup, dropped) = one_event_then_idle();
        setup.keep_alive = Some(KeepAlive::new().interval(Duration::from_millis(20)));
        let server = F::serve(setup).await;
        let mut response = Get::event_stream("/events")
            .protocol(protocol)
            .send(server)
            .await;
        assert_eq!(response.next_message().await.data(), "first");
        drop(response);
        let heard = tokio::time::timeout(PATIENCE, dropped).await;
        assert!(
            matches!(heard, Ok(Ok(()))),
            "stream not dropped over {protocol:?}"
        );
    }
}

/// An error from the event stream ends the response cleanly after the events before it.
pub async fn stream_error_ends_the_response_cleanly<F: Framework>() {
    let setup = Setup::new(|_| {
        stream::iter([
            Ok(Event::new("before")),
            Err(SourceError),
            Ok(Event::new("after")),
        ])
        .boxed()
    });
    let server = F::serve(setup).await;
    let response = Get::event_stream("/events").send(server).await;
    let before = Decoded::Message(Message::new("message", "before", ""));
    assert_eq!(response.rest().await, (vec![before], BodyEnd::Clean));
}

/// A request that does not ask for an event stream is refused.
pub async fn requests_not_asking_for_a_stream_are_refused<F: Framework>() {
    let server = F::serve(Setup::events(sample_events())).await;
    for accept in [None, Some(&b"text/html"[..]), Some(b"*/*")] {
        let mut request = Get::plain("/events");
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        assert_eq!(request.send(server).await.status, F::REFUSED, "{accept:?}");
    }
}

/// Counts what a source produced and how many of its streams are alive.
#[derive(Clone, Default)]
struct SourceGauges {
    produced: Arc<AtomicUsize>,
    alive: Arc<AtomicUsize>,
}

/// Counts a stream alive until dropped.
struct Alive(Arc<AtomicUsize>);

impl Alive {
    fn new(alive: &Arc<AtomicUsize>) -> Self {
        alive.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(alive))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits, at most [`PATIENCE`], for `value` to settle: unchanged for `quiet`. Returns it.
async fn settled(value: impl Fn() -> usize, quiet: Duration) -> usize {
    let deadline = Instant::now() + PATIENCE;
    let mut last = value();
    let mut since = Instant::now();
    loop {
        tokio::time::sleep(quiet / 10).await;
        let now = value();
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= quiet {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "still changing after {PATIENCE:?}: {now}"
        );
    }
}

/// A client that connects and never reads does not make the server buffer without bound:
/// the body's backpressure stops the event stream being polled once the socket buffers are
/// full.
pub async fn slow_consumer_holds_the_stream_back<F: Framework>() {
    /// Socket buffers on loopback reach a few MiB each way; hyper adds a little.
    const BOUND: usize = 32 << 20;
    let gauges = SourceGauges::default();
    let produced = Arc::clone(&gauges.produced);
    let setup = Setup::new(move |_| {
        let produced = Arc::clone(&produced);
        stream::repeat_with(move || {
            produced.fetch_add(1, Ordering::SeqCst);
            Ok(Event::new("x".repeat(1024)))
        })
        .boxed()
    });
    let server = F::serve(setup).await;
    let response = Get::event_stream("/events").send(server).await;
    let produced = settled(
        || gauges.produced.load(Ordering::SeqCst),
        Duration::from_millis(500),
    )
    .await;
    println!("slow consumer: the server produced {produced} KiB of events, then stopped");
    assert!(produced > 0, "the stream started");
    assert!(
        produced * 1024 < BOUND,
        "{produced} KiB produced for a client that reads nothing"
    );
    drop(response);
}

/// A thousand clients that connect, read an event and leave at once leave no event stream,
/// keep-alive timer or task behind.
pub async fn a_thousand_clients_leave_nothing_behind<F: Framework>() {
    const CLIENTS: usize = 1000;
    let gauges = SourceGauges::default();
    let alive = Arc::clone(&gauges.alive);
    let mut setup = Setup::new(move |_| {
        let alive = Alive::new(&alive);
        stream::iter([Ok(Event::new("hello"))])
            .chain(stream::pending())
            .map(move |item| {
                let _counted_until_dropped = &alive;
                item
            })
            .boxed()
    });
    setup.keep_alive = Some(KeepAlive::new().interval(Duration::from_millis(50)));
    let server = F::serve(setup).await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks_before = metrics.num_alive_tasks();

    let clients = (0..CLIENTS).map(|_| async move {
        let request = Get::event_stream("/events");
        let mut response = request.send_within(server, Duration::from_secs(30)).await;
        assert_eq!(response.next_message().await.data(), "hello");
        response
    });
    let responses = futures_util::future::join_all(clients).await;
    assert_eq!(gauges.alive.load(Ordering::SeqCst), CLIENTS);
    drop(responses);

    let alive = settled(
        || gauges.alive.load(Ordering::SeqCst),
        Duration::from_millis(200),
    )
    .await;
    assert_eq!(alive, 0, "event streams left behind");
    let tasks = settled(|| metrics.num_alive_tasks(), Duration::from_millis(200)).await;
    println!(
        "{CLIENTS} clients gone: {alive} streams and {tasks} tasks alive ({tasks_before} before)"
    );
    assert!(
        tasks <= tasks_before,
        "{tasks} tasks alive, {tasks_before} before the clients came"
    );
}

/// The keep-alive a `/frames` route of [`frames_arrive_as_sent_with_keep_alive`] sets.
pub fn frames_keep_alive() -> KeepAlive {
    KeepAlive::new()
        .interval(Duration::from_millis(50))
        .comment("idle")
}

/// [`sample_events`], encoded beforehand as a fan-out hub would, then nothing: what a
/// `/frames` route streams through the adapter's `Sse::from_frames`.
pub fn sample_frames() -> BoxStream<'static, Bytes> {
    let frames: Vec<Bytes> = sample_events().iter().map(Event::to_bytes).collect();
    stream::iter(frames).chain(stream::pending()).boxed()
}

/// A `/frames` route streaming [`sample_frames`] with [`frames_keep_alive`] answers with the
/// headers of an event stream, the frames as they were, then keep-alive comments.
pub async fn frames_arrive_as_sent_with_keep_alive(server: SocketAddr) {
    let mut response = Get::event_stream("/frames").send(server).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    assert_eq!(response.header("x-accel-buffering"), Some("no"));
    assert_eq!(response.header("content-length"), None);
    for expected in sample_decoded() {
        assert_eq!(response.next().await, Ok(expected));
    }
    for _ in 0..2 {
        assert_eq!(response.next().await, Ok(Decoded::Comment("idle".into())));
    }
}

/// How many event streams [`open_streams_end_at_the_shutdown`] holds open: half on a plain
/// stream, half on a hub topic.
pub const SHUTDOWN_STREAMS: u64 = 100;

/// How long a server may take to end every stream and stop, from its shutdown signal.
pub const SHUTDOWN_WITHIN: Duration = Duration::from_secs(1);

/// A server started for [`open_streams_end_at_the_shutdown`], serving through the adapter:
///
/// - `/events`: one message (`hello`), then nothing, as an `Sse` given the shutdown with
///   the adapter's per-response method;
/// - `/topic`: the subscription to `hub`'s topic [`SHUTDOWN_TOPIC`] as frames, behind the
///   adapter's router-wide shutdown;
///
/// and stopping gracefully at the same shutdown.
pub struct ShutdownServer {
    /// Where it listens.
    pub address: SocketAddr,
    /// The hub behind `/topic`.
    pub hub: ssekit_hub::Hub,
    /// Completes the shutdown's signal.
    pub stop: oneshot::Sender<()>,
    /// The server's task: it ends when the server has shut down.
    pub done: tokio::task::JoinHandle<()>,
}

/// The hub topic `/topic` of a [`ShutdownServer`] serves.
pub const SHUTDOWN_TOPIC: &str = "shutdown";

/// The shutdown a [`ShutdownServer`] is built with, and the sender that completes it.
pub fn shutdown_signal() -> (ssekit_core::Shutdown, oneshot::Sender<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = ssekit_core::Shutdown::new(async move {
        let _ = stopped.await;
    });
    (shutdown, stop)
}

/// [`SHUTDOWN_STREAMS`] open event streams end within [`SHUTDOWN_WITHIN`] of the shutdown
/// signal, each with the last frame (the default `retry:` hint) and a clean end of its body,
/// and the server's graceful shutdown completes in that time too.
pub async fn open_streams_end_at_the_shutdown(server: ShutdownServer) {
    let ShutdownServer {
        address,
        hub,
        stop,
        done,
    } = server;
    let open = |path: &'static str| async move {
        Get::event_stream(path)
            .send_within(address, Duration::from_secs(30))
            .await
    };
    let plain = (0..SHUTDOWN_STREAMS / 2).map(|_| open("/events"));
    let topic = (0..SHUTDOWN_STREAMS / 2).map(|_| open("/topic"));
    let mut plain = futures_util::future::join_all(plain).await;
    let mut topic = futures_util::future::join_all(topic).await;
    for response in &mut plain {
        assert_eq!(response.next_message().await.data(), "hello");
    }
    assert_eq!(hub.stats().subscribers, SHUTDOWN_STREAMS / 2);
    let Ok(_) = hub
        .publish(SHUTDOWN_TOPIC, Event::new("published"))
        .into_inner();
    for response in &mut topic {
        assert_eq!(response.next_message().await.data(), "published");
    }

    let signalled = Instant::now();
    stop.send(()).expect("the server waits for its signal");
    let ends = plain.into_iter().chain(topic).map(|response| async move {
        let rest = response.rest().await;
        (rest, signalled.elapsed())
    });
    let ends = futures_util::future::join_all(ends).await;
    tokio::time::timeout(SHUTDOWN_WITHIN, done)
        .await
        .expect("the server shuts down within a second")
        .expect("the server's task ends without a panic");
    let stopped = signalled.elapsed();
    let slowest = ends.iter().map(|(_, took)| *took).max().unwrap_or_default();
    println!(
        "{SHUTDOWN_STREAMS} streams ended within {slowest:?}; the server stopped after {stopped:?}"
    );
    assert!(
        stopped <= SHUTDOWN_WITHIN,
        "the server stopped after {stopped:?}"
    );
    let last_frame = Decoded::Retry(ssekit_core::DEFAULT_SHUTDOWN_RETRY);
    for ((rest, took), index) in ends.into_iter().zip(0..) {
        assert_eq!(
            rest,
            (vec![last_frame.clone()], BodyEnd::Clean),
            "stream {index}"
        );
        assert!(
            took <= SHUTDOWN_WITHIN,
            "stream {index} ended after {took:?}"
        );
    }
    assert_eq!(hub.stats().subscribers, 0, "every subscription dropped");
}
