//! Topics come and go: a topic nobody uses leaves memory, and one that comes back never gives
//! an id twice.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ssekit_core::Event;
use ssekit_hub::{Hub, HubConfig, OnUnknownId, Retention};

fn publish(hub: &Hub, topic: &str, data: &str) -> u64 {
    let Ok(id) = hub.publish(topic, Event::new(data)).into_inner();
    id
}

#[test]
fn a_topic_that_retains_nothing_leaves_with_its_last_subscriber() {
    let hub = Hub::with_config(HubConfig::new().retention(Retention::none()));
    let subscription = hub.subscribe("user-1", None);
    publish(&hub, "user-1", "hello");
    assert_eq!(hub.stats().topics, 1);
    drop(subscription);
    assert_eq!((hub.stats().topics, hub.stats().topics_removed), (0, 1));
}

#[test]
fn a_topic_that_retains_events_stays_until_idle_past_the_timeout() {
    let timeout = Duration::from_millis(50);
    let hub = Hub::with_config(HubConfig::new().idle_topic_timeout(timeout));
    drop(hub.subscribe("user-1", None));
    publish(&hub, "user-1", "kept for a reconnecting client");
    hub.backend().remove_unused_topics();
    assert_eq!(hub.stats().topics, 1, "not idle long enough yet");
    assert_eq!(hub.backend().retained_len("user-1"), 1);
    std::thread::sleep(timeout + Duration::from_millis(20));
    hub.backend().remove_unused_topics();
    assert_eq!(hub.stats().topics, 0);
    assert_eq!(hub.backend().retained_len("user-1"), 0);
}

#[test]
fn a_topic_with_a_subscriber_stays_however_idle() {
    let hub = Hub::with_config(HubConfig::new().idle_topic_timeout(Duration::ZERO));
    let _subscription = hub.subscribe("user-1", None);
    std::thread::sleep(Duration::from_millis(5));
    hub.backend().remove_unused_topics();
    assert_eq!(hub.stats().topics, 1);
}

#[test]
fn idle_topics_leave_at_a_sweep_when_topics_come_and_go() {
    // The sweep interval is an eighth of the timeout, at least 100 ms; a new topic (or a
    // subscriber leaving) starts a sweep that is due.
    let timeout = Duration::from_millis(400);
    let hub = Hub::with_config(HubConfig::new().idle_topic_timeout(timeout));
    for user in 0..10 {
        publish(&hub, &format!("user-{user}"), "once");
    }
    assert_eq!(hub.stats().topics, 10);
    std::thread::sleep(timeout + Duration::from_millis(150));
    publish(&hub, "user-0", "an old topic's publication starts no sweep");
    assert_eq!(hub.stats().topics, 10);
    publish(&hub, "newcomer", "a new topic finds a sweep due");
    assert_eq!(
        hub.stats().topics,
        2,
        "the newcomer and the topic just used are left"
    );
}

#[test]
fn a_topic_that_comes_back_starts_past_every_id_it_gave() {
    let config = HubConfig::new()
        .first_id(1)
        .retention(Retention::none())
        .on_unknown_id(OnUnknownId::Marker(Event::new("missed")));
    let hub = Hub::with_config(config);
    let subscription = hub.subscribe("user-1", None);
    let ids: Vec<u64> = ["a", "b", "c"]
        .iter()
        .map(|data| publish(&hub, "user-1", data))
        .collect();
    assert_eq!(ids, [1, 2, 3]);
    drop(subscription);
    assert_eq!(hub.stats().topics, 0);

    // A client that saw everything resumes cleanly: the new topic's ids go on from 4.
    let mut resumed = common::Reader::new(hub.subscribe("user-1", Some("3")));
    assert_eq!(publish(&hub, "user-1", "d"), 4);
    resumed.read_ready();
    assert_eq!(resumed.ids(), [4]);
    // One that missed an event of the topic's earlier life is told so.
    let mut behind = common::Reader::new(hub.subscribe("user-1", Some("2")));
    behind.read_ready();
    assert_eq!(behind.messages[0].data(), "missed");
}

#[test]
fn publishing_and_subscribing_while_topics_leave_loses_nothing_and_reuses_no_id() {
    const THREADS: u64 = 4;
    const ROUNDS: u64 = 2_000;
    let config = HubConfig::new()
        .retention(Retention::none())
        // Room for every event: a thread descheduled between its subscription and its read
        // must not be cut off as slow, which is not what this test is about.
        .backlog(usize::try_from(THREADS * ROUNDS).unwrap());
    let hub = Hub::with_config(config);
    let highest = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (hub, highest) = (hub.clone(), Arc::clone(&highest));
            std::thread::spawn(move || {
                let mut last = 0;
                for round in 0..ROUNDS {
                    // Every thread on the same name, which leaves whenever all of them have
                    // dropped their subscriptions at once.
                    let mut reader = common::Reader::new(hub.subscribe("churn", None));
                    let data = format!("{thread}/{round}");
                    let id = publish(&hub, "churn", &data);
                    assert!(id > last, "ids of one name only grow");
                    last = id;
                    highest.fetch_max(id, Ordering::SeqCst);
                    reader.read_ready();
                    let own = reader.messages.iter().find(|m| m.data() == data);
                    assert!(
                        own.is_some(),
                        "a subscriber gets what is published after it"
                    );
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let stats = hub.stats();
    assert_eq!(stats.topics, 0, "the last subscriber gone, the topic left");
    assert!(stats.topics_removed > 0, "the topic left and came back");
    println!(
        "{} publications, the topic left {} times",
        stats.published, stats.topics_removed
    );
    assert_eq!(stats.published, THREADS * ROUNDS);
}
