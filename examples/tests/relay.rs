//! The `relay` binary as a black box, with the contract of `SPEC.md`: real HTTP on
//! 127.0.0.1 against the process.

mod common;

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;
use ssekit_core::{DEFAULT_SHUTDOWN_RETRY, Decoded, Message};
use ssekit_testing::{BodyEnd, Get, PATIENCE, RedisServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The relay process, killed when dropped.
struct Relay {
    child: Child,
    address: SocketAddr,
}

impl Relay {
    fn start(retain: usize) -> Self {
        Self::start_with(&["--retain", &retain.to_string()])
    }

    /// An instance on the Redis at `url`.
    fn on_redis(url: &str) -> Self {
        Self::start_with(&["--redis", url])
    }

    fn start_with(args: &[&str]) -> Self {
        let mut relay = Command::new(env!("CARGO_BIN_EXE_relay"));
        relay.args(["--port", "0"]).args(args);
        let (child, address) = common::spawn_server(&mut relay);
        Self { child, address }
    }

    /// Sends a request with `body` and answers its status and body, as JSON.
    async fn request(&self, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, Value) {
        let mut socket = TcpStream::connect(self.address).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: relay\r\nconnection: close\r\n\
             content-length: {}\r\n{headers}\r\n",
            body.len()
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(body).await.unwrap();
        let mut response = Vec::new();
        tokio::time::timeout(PATIENCE, socket.read_to_end(&mut response))
            .await
            .expect("the relay answers in time")
            .unwrap();
        let response = String::from_utf8(response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// Publishes `data` to `topic`; returns the id the relay answered with.
    async fn publish(&self, topic: &str, data: &str) -> String {
        let (status, body) = self
            .request("POST", &format!("/topics/{topic}"), "", data.as_bytes())
            .await;
        assert_eq!(status, 200, "{body}");
        body["id"]
            .as_str()
            .expect("the id, as a string")
            .to_string()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn data(message: &Message) -> &str {
    message.data()
}

#[tokio::test]
async fn a_client_resumes_after_its_id_then_gets_the_live_events() {
    let relay = Relay::start(10);
    let mut ids = Vec::new();
    for n in 1..=5 {
        ids.push(relay.publish("news", &format!("event {n}")).await);
    }
    let numbers: Vec<u64> = ids.iter().map(|id| id.parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|pair| pair[1] > pair[0]), "ids grow");

    let request = Get::event_stream("/topics/news").header("last-event-id", ids[2].as_bytes());
    let mut stream = request.send(relay.address).await;
    assert_eq!(stream.status, 200);
    for n in 4..=5 {
        let message = stream.next_message().await;
        assert_eq!(data(&message), format!("event {n}"));
        assert_eq!(message.last_event_id(), ids[n - 1]);
    }
    let live = relay.publish("news", "event 6").await;
    let message = stream.next_message().await;
    assert_eq!(
        (data(&message), message.last_event_id()),
        ("event 6", live.as_str())
    );
}

#[tokio::test]
async fn an_id_that_cannot_be_resumed_gets_the_missed_event_then_what_is_retained() {
    let relay = Relay::start(3);
    let mut ids = Vec::new();
    for n in 1..=5 {
        ids.push(relay.publish("news", &format!("event {n}")).await);
    }
    let request = Get::event_stream("/topics/news").header("last-event-id", ids[0].as_bytes());
    let mut stream = request.send(relay.address).await;
    let missed = stream.next_message().await;
    assert_eq!(missed.event_type(), "missed");
    assert_eq!(missed.last_event_id(), "", "the marker has no id");
    for n in 3..=5 {
        assert_eq!(data(&stream.next_message().await), format!("event {n}"));
    }
}

#[tokio::test]
async fn event_types_and_bad_requests() {
    let relay = Relay::start(10);
    let (status, body) = relay
        .request("POST", "/topics/news", "event-type: note\r\n", b"typed")
        .await;
    assert_eq!(status, 200, "{body}");
    let mut stream = Get::event_stream("/topics/news")
        .header("last-event-id", b"0")
        .send(relay.address)
        .await;
    // Id 0 is not resumable: the marker, then the typed event.
    assert_eq!(stream.next_message().await.event_type(), "missed");
    let typed = stream.next_message().await;
    assert_eq!((typed.event_type(), data(&typed)), ("note", "typed"));

    let too_long = format!("/topics/{}", "a".repeat(129));
    for (method, path, body) in [
        ("POST", "/topics/a%20b", &b"x"[..]),
        ("POST", too_long.as_str(), b"x"),
        ("POST", "/topics/news", b"\xff"),
        ("GET", "/topics/a:b", b""),
    ] {
        let headers = "accept: text/event-stream\r\n";
        let (status, body) = relay.request(method, path, headers, body).await;
        assert_eq!(status, 400, "{method} {path}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let (status, body) = relay
        .request("POST", "/topics/news", "event-type: é\r\n", b"x")
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn stats_count_what_happened() {
    let relay = Relay::start(10);
    relay.publish("a", "1").await;
    relay.publish("b", "2").await;
    let _stream = Get::event_stream("/topics/a").send(relay.address).await;
    let (status, counters) = relay.request("GET", "/stats", "", b"").await;
    assert_eq!(status, 200);
    assert_eq!(counters["published"], 2, "{counters}");
    assert_eq!(counters["subscribers"], 1, "{counters}");
    assert_eq!(counters["topics"], 2, "{counters}");
}

#[tokio::test]
async fn sigterm_ends_every_stream_and_exits_0() {
    let mut relay = Relay::start(10);
    let mut streams = Vec::new();
    for _ in 0..10 {
        streams.push(Get::event_stream("/topics/news").send(relay.address).await);
    }
    relay.publish("news", "before the end").await;
    for stream in &mut streams {
        assert_eq!(data(&stream.next_message().await), "before the end");
    }
    let signalled = Instant::now();
    let sent = Command::new("kill")
        .args(["-TERM", &relay.child.id().to_string()])
        .status();
    assert!(sent.unwrap().success());
    for stream in streams {
        let last_frame = Decoded::Retry(DEFAULT_SHUTDOWN_RETRY);
        assert_eq!(stream.rest().await, (vec![last_frame], BodyEnd::Clean));
    }
    let status = loop {
        if let Some(status) = relay.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < PATIENCE,
            "still running after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(status.success(), "{status}");
    println!("relay exited {:?} after SIGTERM", signalled.elapsed());
}

#[tokio::test]
async fn instances_on_one_redis_serve_one_sequence_and_resume_each_others_clients() {
    let redis = RedisServer::start();
    let a = Relay::on_redis(&redis.url());
    let b = Relay::on_redis(&redis.url());
    let mut on_b = Get::event_stream("/topics/news").send(b.address).await;
    assert_eq!(on_b.status, 200);
    // The stream attaches as it is read: give it a moment before publishing.
    assert!(on_b.next_within(Duration::from_millis(300)).await.is_none());
    let first = a.publish("news", "from a").await;
    let second = b.publish("news", "from b").await;
    assert_eq!(
        second.parse::<u64>().unwrap(),
        first.parse::<u64>().unwrap() + 1
    );
    for (id, text) in [(&first, "from a"), (&second, "from b")] {
        let message = on_b.next_message().await;
        assert_eq!(
            (message.last_event_id(), data(&message)),
            (id.as_str(), text)
        );
    }
    // A client that saw the first event on b resumes on a.
    let mut resumed = Get::event_stream("/topics/news")
        .header("last-event-id", first.as_bytes())
        .send(a.address)
        .await;
    let message = resumed.next_message().await;
    assert_eq!(
        (message.last_event_id(), data(&message)),
        (second.as_str(), "from b")
    );
    let (_, counters) = a.request("GET", "/stats", "", b"").await;
    assert_eq!(counters["resumed_from_memory"], 1, "{counters}");
}

#[tokio::test]
async fn an_instance_killed_its_clients_resume_on_another_with_no_gap_and_no_duplicate() {
    let redis = RedisServer::start();
    let mut doomed = Relay::on_redis(&redis.url());
    let survivor = Relay::on_redis(&redis.url());
    let mut stream = Get::event_stream("/topics/news").send(doomed.address).await;
    assert!(
        stream
            .next_within(Duration::from_millis(300))
            .await
            .is_none()
    );
    let mut published = Vec::new();
    for n in 0..5 {
        published.push((
            survivor.publish("news", &format!("e{n}")).await,
            format!("e{n}"),
        ));
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        let message = stream.next_message().await;
        seen.push((
            message.last_event_id().to_owned(),
            data(&message).to_owned(),
        ));
    }
    doomed.child.kill().unwrap();
    doomed.child.wait().unwrap();
    for n in 5..10 {
        published.push((
            survivor.publish("news", &format!("e{n}")).await,
            format!("e{n}"),
        ));
    }
    // Whatever the dead instance's connection still delivers, then it ends: resume elsewhere.
    while let Ok(Decoded::Message(message)) = stream.next().await {
        seen.push((
            message.last_event_id().to_owned(),
            data(&message).to_owned(),
        ));
    }
    let last = seen.last().unwrap().0.clone();
    let mut resumed = Get::event_stream("/topics/news")
        .header("last-event-id", last.as_bytes())
        .send(survivor.address)
        .await;
    while seen.len() < published.len() {
        let message = resumed.next_message().await;
        seen.push((
            message.last_event_id().to_owned(),
            data(&message).to_owned(),
        ));
    }
    assert_eq!(seen, published);
}

#[tokio::test]
async fn without_redis_streams_still_answer_200_and_publications_503() {
    let mut redis = RedisServer::start();
    let relay = Relay::on_redis(&redis.url());
    redis.kill();
    let mut stream = Get::event_stream("/topics/news").send(relay.address).await;
    assert_eq!(
        stream.status, 200,
        "a browser's EventSource would stop for good on another"
    );
    let (status, body) = relay.request("POST", "/topics/news", "", b"x").await;
    assert_eq!(status, 503, "{body}");
    assert!(body["error"].as_str().unwrap().contains("Redis"), "{body}");
    // The stream ends, and its client reconnects later.
    let end = loop {
        match stream.next_within(PATIENCE).await {
            Some(Ok(_)) => {}
            Some(Err(end)) => break end,
            None => panic!("the stream neither ended nor sent anything"),
        }
    };
    assert_eq!(end, BodyEnd::Clean);
}
