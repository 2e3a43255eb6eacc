//! The `/talk` server over real HTTP on 127.0.0.1, through both frameworks, and the `talk`
//! binary as a person runs it.

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use examples::talk::{self, Framework, PAGE, Talk};
use ssekit_core::{DEFAULT_SHUTDOWN_RETRY, Decoded, Message};
use ssekit_testing::scenarios::{SHUTDOWN_STREAMS, SHUTDOWN_WITHIN, shutdown_signal};
use ssekit_testing::{BodyEnd, Get, PATIENCE};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const FRAMEWORKS: [Framework; 2] = [Framework::Axum, Framework::Warp];

/// Starts a server with this interval; keep the sender to keep it running (sending or
/// dropping it shuts the server down).
async fn start(
    framework: Framework,
    interval: Duration,
) -> (SocketAddr, Talk, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (shutdown, stop) = shutdown_signal();
    let talk = Talk::new(interval);
    tokio::spawn(talk::serve(listener, framework, talk.clone(), shutdown));
    (address, talk, stop)
}

fn id(message: &Message) -> u64 {
    message.last_event_id().parse().unwrap()
}

#[tokio::test]
async fn first_event_at_once_then_one_every_interval() {
    for framework in FRAMEWORKS {
        let interval = Duration::from_millis(200);
        let (server, _talk, _shutdown) = start(framework, interval).await;
        let started = Instant::now();
        let mut response = Get::event_stream("/talk").send(server).await;
        let mut arrivals = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let message = response.next_message().await;
            arrivals.push(started.elapsed());
            ids.push(id(&message));
            assert!(
                message.data().starts_with("new server event "),
                "{message:?}"
            );
        }
        assert!(
            arrivals[0] < interval,
            "first event after {:?}",
            arrivals[0]
        );
        assert_eq!(
            ids[1..],
            [ids[0] + 1, ids[0] + 2],
            "{framework:?}: consecutive ids"
        );
        assert!(
            ids[0] > 1 << 40,
            "{framework:?}: the first id comes from the clock"
        );
        for pair in arrivals.windows(2) {
            let gap = pair[1].saturating_sub(pair[0]);
            assert!(
                gap >= interval.saturating_sub(Duration::from_millis(20)),
                "{framework:?}: {gap:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_reconnecting_client_continues_the_sequence() {
    for framework in FRAMEWORKS {
        let (server, _talk, _shutdown) = start(framework, Duration::from_millis(20)).await;
        let mut seen = Vec::new();
        let mut last_event_id = None::<String>;
        for _connection in 0..3 {
            let mut request = Get::event_stream("/talk");
            if let Some(id) = &last_event_id {
                request = request.header("last-event-id", id.as_bytes());
            }
            let mut response = request.send(server).await;
            for _ in 0..2 {
                let message = response.next_message().await;
                seen.push(id(&message));
                last_event_id = Some(message.last_event_id().to_string());
            }
        }
        let expected: Vec<u64> = (seen[0]..seen[0] + 6).collect();
        assert_eq!(seen, expected, "{framework:?}: no gap, no repeat");
    }
}

#[tokio::test]
async fn the_timer_stops_when_the_last_client_leaves() {
    for framework in FRAMEWORKS {
        let interval = Duration::from_millis(10);
        let (server, talk, _shutdown) = start(framework, interval).await;
        let mut response = Get::event_stream("/talk").send(server).await;
        response.next_message().await;
        assert_eq!(talk.open_streams(), 1);
        drop(response);
        let deadline = Instant::now() + PATIENCE;
        while talk.open_streams() > 0 {
            assert!(
                Instant::now() < deadline,
                "{framework:?}: stream still open"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // One tick may have been under way when the count fell; none after it.
        tokio::time::sleep(3 * interval).await;
        let published = talk.stats().published;
        tokio::time::sleep(10 * interval).await;
        assert_eq!(
            talk.stats().published,
            published,
            "{framework:?}: the timer still runs"
        );
    }
}

#[tokio::test]
async fn a_client_joining_gets_the_latest_event_at_once_then_the_same_events_as_the_others() {
    for framework in FRAMEWORKS {
        let interval = Duration::from_millis(300);
        let (server, _talk, _shutdown) = start(framework, interval).await;
        let mut first = Get::event_stream("/talk").send(server).await;
        let mut first_seen = vec![first.next_message().await];
        first_seen.push(first.next_message().await);

        let joined = Instant::now();
        let mut second = Get::event_stream("/talk").send(server).await;
        let latest = second.next_message().await;
        assert!(
            joined.elapsed() < interval / 2,
            "{framework:?}: waited {:?}",
            joined.elapsed()
        );
        assert_eq!(latest, first_seen[1], "{framework:?}: the latest event");
        let live = (first.next_message().await, second.next_message().await);
        assert_eq!(live.0, live.1, "{framework:?}: the same event for both");
        assert_eq!(id(&live.0), id(&first_seen[1]) + 1, "{framework:?}");
    }
}

#[tokio::test]
async fn page_for_browsers_and_404_for_other_streams() {
    for framework in FRAMEWORKS {
        let (server, _talk, _shutdown) = start(framework, Duration::from_secs(5)).await;
        let page = Get::plain("/").send(server).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.text().await, PAGE);
        let other = Get::event_stream("/elsewhere").send(server).await;
        assert_eq!(other.status, 404);
        assert_eq!(other.text().await, "");
    }
}

#[tokio::test]
async fn shutdown_ends_open_streams_cleanly() {
    for framework in FRAMEWORKS {
        let (server, _talk, stop) = start(framework, Duration::from_secs(60)).await;
        let mut response = Get::event_stream("/talk").send(server).await;
        response.next_message().await;
        stop.send(()).unwrap();
        let last_frame = Decoded::Retry(DEFAULT_SHUTDOWN_RETRY);
        assert_eq!(
            response.rest().await,
            (vec![last_frame], BodyEnd::Clean),
            "{framework:?}: a retry hint, then the end"
        );
    }
}

fn talk_binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_talk"))
}

#[test]
fn a_taken_port_is_a_one_line_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = talk_binary().args(["--port", &port]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("talk: cannot listen on 127.0.0.1:"),
        "{stderr}"
    );
}

/// Starts the binary on a free port with `framework`; returns it and its address, read from
/// the URL it prints.
fn spawn_talk(framework: &str) -> (std::process::Child, SocketAddr) {
    let args = [
        "--port",
        "0",
        "--interval-ms",
        "100",
        "--framework",
        framework,
    ];
    common::spawn_server(talk_binary().args(args))
}

#[tokio::test]
async fn the_binary_prints_the_url_and_sigint_or_sigterm_end_every_stream_and_exit_0_within_a_second()
 {
    for (framework, signal) in [
        ("axum", "INT"),
        ("warp", "INT"),
        ("axum", "TERM"),
        ("warp", "TERM"),
    ] {
        let (mut child, address) = spawn_talk(framework);
        let clients = (0..SHUTDOWN_STREAMS).map(|_| async move {
            let request = Get::event_stream("/talk");
            let mut response = request.send_within(address, Duration::from_secs(30)).await;
            response.next_message().await;
            response
        });
        let responses = futures_util::future::join_all(clients).await;

        let signalled = Instant::now();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status();
        assert!(sent.unwrap().success());
        let ends = responses.into_iter().map(|response| async move {
            let (items, end) = response.rest().await;
            (items.last().cloned(), end, signalled.elapsed())
        });
        let ends = futures_util::future::join_all(ends).await;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                signalled.elapsed() < PATIENCE,
                "{framework}: still running after SIG{signal}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let exited = signalled.elapsed();
        println!(
            "{framework}, SIG{signal}: {SHUTDOWN_STREAMS} streams ended, exit after {exited:?}"
        );
        assert!(status.success(), "{framework}, SIG{signal}: {status}");
        assert!(
            exited <= SHUTDOWN_WITHIN,
            "{framework}, SIG{signal}: exited after {exited:?}"
        );
        let last_frame = Decoded::Retry(DEFAULT_SHUTDOWN_RETRY);
        for (last, end, took) in ends {
            assert_eq!(
                (last, end),
                (Some(last_frame.clone()), BodyEnd::Clean),
                "{framework}, SIG{signal}: the stream ends with the retry hint, cleanly"
            );
            assert!(
                took <= SHUTDOWN_WITHIN,
                "{framework}: a stream ended after {took:?}"
            );
        }
    }
}
