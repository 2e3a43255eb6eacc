//! Publishing races with subscribing: a publisher thread runs flat out while subscribers join
//! on other threads, each with an id it heard of; every one of them gets every event after its
//! id exactly once, in order.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use ssekit_core::{Event, Message};
use ssekit_hub::{Hub, HubConfig, Retention};

/// Published while subscribers join; one more follows once all have joined, so that each
/// knows where the stream ends.
const EVENTS: u64 = 20_000;
const LAST: u64 = EVENTS + 1;
const SUBSCRIBERS: u64 = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscribers_joining_during_publication_get_no_gap_and_no_duplicate() {
    let config = HubConfig::new()
        .first_id(1)
        .retention(Retention::new().max_events(usize::try_from(LAST).unwrap()))
        // Room for all: this test is about the seam between replay and live, not slowness.
        .backlog(usize::try_from(LAST).unwrap());
    let hub = Hub::with_config(config);
    let latest = Arc::new(AtomicU64::new(0));
    let joined = Arc::new(AtomicU64::new(0));

    let publisher = {
        let (hub, latest, joined) = (hub.clone(), Arc::clone(&latest), Arc::clone(&joined));
        std::thread::spawn(move || {
            for n in 1..=EVENTS {
                let Ok(id) = hub
                    .publish("race", Event::new(format!("event {n}")))
                    .into_inner();
                latest.store(id, Ordering::Release);
                // Pauses, so that subscribers join all along the publication.
                if n % 500 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while joined.load(Ordering::Acquire) < SUBSCRIBERS {
                assert!(
                    std::time::Instant::now() < deadline,
                    "subscribers join in time"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
            let Ok(_) = hub.publish("race", Event::new("the end")).into_inner();
        })
    };

    let mut subscribers = Vec::new();
    for subscriber in 0..SUBSCRIBERS {
        let (hub, latest, joined) = (hub.clone(), Arc::clone(&latest), Arc::clone(&joined));
        subscribers.push(tokio::spawn(async move {
            // Join at staggered points of the publication, some with no id at all.
            while latest.load(Ordering::Acquire) < subscriber * EVENTS / SUBSCRIBERS {
                tokio::task::yield_now().await;
            }
            let heard = latest.load(Ordering::Acquire);
            let last_event_id =
                (subscriber % 4 != 0).then(|| heard.saturating_sub(subscriber).to_string());
            let mut reader = common::Reader::new(hub.subscribe("race", last_event_id.as_deref()));
            joined.fetch_add(1, Ordering::Release);
            let joined_during_publication = heard < EVENTS;
            let last = LAST.to_string();
            while reader.messages.last().map(Message::last_event_id) != Some(last.as_str()) {
                let batch = reader
                    .subscription
                    .next()
                    .await
                    .expect("the stream goes on");
                reader.push(&batch);
            }
            (
                last_event_id,
                reader.ids(),
                reader.batches,
                joined_during_publication,
            )
        }));
    }

    let results = tokio::time::timeout(Duration::from_secs(60), async {
        let mut results = Vec::new();
        for subscriber in subscribers {
            results.push(subscriber.await.unwrap());
        }
        results
    })
    .await
    .expect("every subscriber gets to the last event in time");
    publisher.join().unwrap();

    for (last_event_id, ids, _, _) in &results {
        let first = match last_event_id {
            Some(id) => id.parse::<u64>().unwrap() + 1,
            // No id: the live stream from some point on, still with no gap.
            None => ids[0],
        };
        let expected: Vec<u64> = (first..=LAST).collect();
        assert!(
            ids == &expected,
            "subscriber after {last_event_id:?}: gap or duplicate"
        );
    }
    let stats = hub.stats();
    assert_eq!(stats.published, LAST);
    assert_eq!(stats.slow_disconnects, 0);
    let during = results.iter().filter(|result| result.3).count();
    assert!(
        during > 0,
        "some subscribers joined while events were being published"
    );
    let batches: usize = results.iter().map(|result| result.2).sum();
    let events: usize = results.iter().map(|result| result.1.len()).sum();
    assert!(
        batches < events,
        "frames ready together come in batches ({batches} for {events})"
    );
}
