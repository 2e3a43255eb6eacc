//! Two `talk` binaries behind one Redis (`--redis`): one sequence of events, whichever
//! instance a client reads, and a client that moves from one to the other resumes with no
//! gap and no duplicate.

mod common;

use std::time::{Duration, Instant};

use common::TalkProcess;
use ssekit_core::Message;
use ssekit_testing::{Get, RedisServer};

const INTERVAL_MS: u64 = 200;

/// A `talk` binary on the Redis at `url`, killed when dropped.
fn start_instance(url: &str) -> TalkProcess {
    TalkProcess::start(&["--interval-ms", &INTERVAL_MS.to_string(), "--redis", url])
}

fn seen(message: &Message) -> (u64, String) {
    (
        message.last_event_id().parse().unwrap(),
        message.data().to_owned(),
    )
}

#[tokio::test]
async fn two_instances_serve_one_sequence_and_a_client_moves_between_them() {
    let redis = RedisServer::start();
    let a = start_instance(&redis.url());
    let b = start_instance(&redis.url());
    let mut on_a = Get::event_stream("/talk").send(a.address()).await;
    let mut on_b = Get::event_stream("/talk").send(b.address()).await;

    // Both timers run (each instance has a listener), yet each interval gets one event: the
    // ticks of one interval share an idempotency key.
    let started = Instant::now();
    let mut from_a = Vec::new();
    while started.elapsed() < Duration::from_millis(12 * INTERVAL_MS) {
        from_a.push(seen(&on_a.next_message().await));
    }
    let ids: Vec<u64> = from_a.iter().map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|pair| pair[1] == pair[0] + 1), "{ids:?}");
    assert!(
        from_a.len() <= 15,
        "one event per interval, not one per instance: {from_a:?}"
    );

    // b's reader shows the same events, with the same ids.
    let mut from_b = Vec::new();
    while from_b.last().is_none_or(|(id, _)| id < ids.last().unwrap()) {
        from_b.push(seen(&on_b.next_message().await));
    }
    for event in &from_b {
        if let Some(same) = from_a.iter().find(|(id, _)| *id == event.0) {
            assert_eq!(same, event);
        }
    }

    // A client that read half of them on a resumes on b.
    let (resume_after, _) = from_a[from_a.len() / 2].clone();
    let mut moved = Get::event_stream("/talk")
        .header("last-event-id", resume_after.to_string().as_bytes())
        .send(b.address())
        .await;
    let expected: Vec<(u64, String)> = from_a[from_a.len() / 2 + 1..].to_vec();
    let mut got = Vec::new();
    while got.len() < expected.len() {
        got.push(seen(&moved.next_message().await));
    }
    assert_eq!(got, expected);
}
