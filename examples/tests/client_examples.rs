//! The client's example programs as black boxes, over real HTTP on 127.0.0.1: `llm-chat`
//! against a scripted OpenAI-style endpoint, `follow` against the `relay` example, killed
//! and restarted.

mod common;

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use ssekit_testing::PATIENCE;
use tokio::net::TcpListener;

/// An OpenAI-style endpoint that answers every request with `body` (then holds the
/// connection open, or ends it), and keeps each request's body.
async fn chat_endpoint(body: &'static str, hold: bool) -> (SocketAddr, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let requests: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let seen = Arc::clone(&seen);
                async move {
                    let sent = request.into_body().collect().await.unwrap().to_bytes();
                    seen.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&sent).unwrap());
                    let first = stream::iter([Ok::<_, Infallible>(Frame::data(
                        Bytes::from_static(body.as_bytes()),
                    ))]);
                    let rest = if hold {
                        stream::pending().boxed()
                    } else {
                        stream::empty().boxed()
                    };
                    let mut response = hyper::Response::new(StreamBody::new(first.chain(rest)));
                    response
                        .headers_mut()
                        .insert("content-type", "text/event-stream".parse().unwrap());
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(socket), service));
        }
    });
    (address, requests)
}

/// Runs `llm-chat` to its end (within PATIENCE): exit success, stdout, stderr.
async fn llm_chat(address: SocketAddr, prompt: &str) -> (bool, String, String) {
    let url = format!("http://{address}/v1/chat/completions");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_llm-chat"))
        .args(["--url", &url, "--model", "tiny", prompt])
        .env_remove("LLM_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
        .await
        .expect("llm-chat ends by itself")
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

const CHUNKS: &str = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n\
    data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n\
    : keep-alive\n\n\
    data: {\"choices\":[{\"delta\":{\"content\":\"lo, world\"}}]}\n\n";

#[tokio::test]
async fn llm_chat_posts_its_prompt_once_and_prints_the_answer_until_done() {
    let body: &'static str = format!("{CHUNKS}data: [DONE]\n\n").leak();
    let (address, requests) = chat_endpoint(body, true).await;
    let (success, stdout, stderr) = llm_chat(address, "Say hello").await;
    assert!(success, "{stderr}");
    assert_eq!(stdout, "Hello, world\n");
    let requests = requests.lock().unwrap();
    assert_eq!(
        requests.len(),
        1,
        "one POST, though the server kept the stream open"
    );
    assert_eq!(requests[0]["stream"], true);
    assert_eq!(requests[0]["model"], "tiny");
    assert_eq!(requests[0]["messages"][0]["content"], "Say hello");
}

#[tokio::test]
async fn llm_chat_cut_short_before_done_fails_and_never_posts_twice() {
    let (address, requests) = chat_endpoint(CHUNKS, false).await;
    let (success, stdout, stderr) = llm_chat(address, "Say hello").await;
    assert!(!success);
    assert_eq!(stdout, "Hello, world\n");
    assert!(stderr.contains("stopped: truncated"), "{stderr}");
    assert_eq!(
        requests.lock().unwrap().len(),
        1,
        "a paid POST is not replayed"
    );
}

/// The relay example, killed when dropped.
struct Relay {
    child: Child,
    address: SocketAddr,
}

impl Relay {
    fn start() -> Self {
        let mut relay = Command::new(env!("CARGO_BIN_EXE_relay"));
        relay.args(["--port", "0"]);
        let (child, address) = common::spawn_server(&mut relay);
        Self { child, address }
    }

    /// Publishes `data` on topic `news`.
    fn publish(&self, data: &str) {
        use std::io::Write;
        let mut socket = std::net::TcpStream::connect(self.address).unwrap();
        write!(
            socket,
            "POST /topics/news HTTP/1.1\r\nhost: relay\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{data}",
            data.len()
        )
        .unwrap();
        let mut response = String::new();
        socket.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `follow` on the relay's `news` topic, and its output lines, one by one.
struct Follower {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Follower {
    /// Starts it, and waits until its stream is open.
    fn start(relay: &Relay, resume_file: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_follow"))
            .arg("--resume-file")
            .arg(resume_file)
            .arg(format!("http://{}/topics/news", relay.address))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if send.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let (send, diagnostics) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines() {
                let _ = send.send(line.unwrap());
            }
        });
        loop {
            let line = diagnostics
                .recv_timeout(PATIENCE)
                .expect("follow opens its stream");
            if line.starts_with("follow: open") {
                break;
            }
        }
        Self { child, lines }
    }

    /// The id and data of the next event it prints.
    fn next_event(&self) -> (String, String) {
        let line = self
            .lines
            .recv_timeout(PATIENCE)
            .expect("follow prints the next event");
        let mut fields = line.splitn(3, ' ');
        let (id, event_type) = (fields.next().unwrap(), fields.next().unwrap());
        assert_eq!(event_type, "message");
        (id.to_owned(), fields.next().unwrap().to_owned())
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn follow_killed_and_restarted_goes_on_after_the_last_event_it_printed() {
    let folder = std::env::temp_dir().join(format!("follow-test-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let resume_file = folder.join("news.id");
    let _ = std::fs::remove_file(&resume_file);
    let relay = Relay::start();
    let follower = Follower::start(&relay, &resume_file);
    for n in 1..=3 {
        relay.publish(&format!("event {n}"));
    }
    let mut last_id = String::new();
    for n in 1..=3 {
        let (id, data) = follower.next_event();
        assert_eq!(data, format!("event {n}"));
        last_id = id;
    }
    // It keeps event 3's id once it asked for more after printing it.
    let deadline = Instant::now() + PATIENCE;
    while std::fs::read_to_string(&resume_file).unwrap_or_default() != last_id {
        assert!(Instant::now() < deadline, "the resume id reaches the file");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(follower); // SIGKILL: no chance to save anything more

    // Published while nobody follows: the restarted follower resumes from the file.
    relay.publish("event 4");
    relay.publish("event 5");
    let follower = Follower::start(&relay, &resume_file);
    assert_eq!(
        follower.next_event().1,
        "event 4",
        "no replay of 1-3, no gap"
    );
    assert_eq!(follower.next_event().1, "event 5");
    drop(follower);
    let _ = std::fs::remove_dir_all(&folder);
}
