//! The hub behind a real axum server on 127.0.0.1: a client reads part of a topic while it is
//! being published, disconnects, reconnects with the last id it got, and ends up with every
//! event exactly once, in order.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use ssekit_axum::{Frames, LastEventId, Sse};
use ssekit_core::{Event, Message};
use ssekit_hub::{Hub, HubConfig, Subscription};
use ssekit_testing::{Get, PATIENCE};

const EVENTS: u64 = 60;
const READ_BEFORE_DISCONNECT: usize = 20;

async fn talk(State(hub): State<Hub>, LastEventId(last): LastEventId) -> Sse<Frames<Subscription>> {
    Sse::from_frames(hub.subscribe("talk", last.as_deref()))
}

async fn serve(hub: Hub) -> SocketAddr {
    let app = Router::new().route("/talk", get(talk)).with_state(hub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// Waits, at most [`PATIENCE`], until the hub has this many subscribers.
async fn subscribers_reach(hub: &Hub, subscribers: u64) {
    tokio::time::timeout(PATIENCE, async {
        while hub.stats().subscribers != subscribers {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the server subscribes and unsubscribes in time");
}

fn data(n: u64) -> String {
    format!("event {n}\nline two of {n}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reconnects_with_its_last_id_gets_every_event_once() {
    let hub = Hub::with_config(HubConfig::new().first_id(1));
    let server = serve(hub.clone()).await;

    let mut first = Get::event_stream("/talk").send(server).await;
    subscribers_reach(&hub, 1).await;
    let publisher = {
        let hub = hub.clone();
        tokio::spawn(async move {
            for n in 1..=EVENTS {
                let Ok(_) = hub.publish("talk", Event::new(data(n))).into_inner();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };

    let mut received: Vec<Message> = Vec::new();
    for _ in 0..READ_BEFORE_DISCONNECT {
        received.push(first.next_message().await);
    }
    drop(first);
    subscribers_reach(&hub, 0).await;

    // Events go on being published while the client is away, and after it is back.
    let last_id = received.last().unwrap().last_event_id().to_string();
    let mut second = Get::event_stream("/talk")
        .header("last-event-id", last_id.as_bytes())
        .send(server)
        .await;
    while received.last().unwrap().last_event_id() != EVENTS.to_string() {
        received.push(second.next_message().await);
    }
    tokio::time::timeout(PATIENCE, publisher)
        .await
        .expect("publishing ends in time")
        .unwrap();

    let expected: Vec<Message> = (1..=EVENTS)
        .map(|n| Message::new("message", data(n), n.to_string()))
        .collect();
    assert_eq!(received, expected);
    let stats = hub.stats();
    assert_eq!(stats.published, EVENTS);
    assert_eq!(stats.slow_disconnects, 0);
}

#[tokio::test]
async fn frames_ready_together_reach_the_client_in_fewer_body_chunks() {
    let hub = Hub::with_config(HubConfig::new().first_id(1));
    for n in 1..=100 {
        let Ok(_) = hub.publish("talk", Event::new(data(n))).into_inner();
    }
    let server = serve(hub.clone()).await;
    let mut response = Get::event_stream("/talk")
        .header("last-event-id", b"0")
        .send(server)
        .await;
    for n in 1..=100 {
        assert_eq!(response.next_message().await.data(), data(n));
    }
    assert!(
        response.body_frames() < 10,
        "100 retained events in {} body chunks",
        response.body_frames()
    );
}
