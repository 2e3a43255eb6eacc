//! A subscriber that stops reading is cut off once its backlog is full: publishing never
//! waits for it, the others get everything, memory stays bounded, and it resumes from
//! retention when it comes back.

mod common;

use common::Reader;
use ssekit_core::Event;
use ssekit_hub::{Hub, HubConfig, Retention};

const BACKLOG: usize = 8;
const RETAINED: usize = 64;
const EVENTS: u64 = 200;

fn hub() -> Hub {
    Hub::with_config(
        HubConfig::new()
            .first_id(1)
            .backlog(BACKLOG)
            .retention(Retention::new().max_events(RETAINED)),
    )
}

#[test]
fn a_subscriber_that_never_reads_is_cut_off_and_the_others_get_everything() {
    let hub = hub();
    let slow = hub.subscribe("news", None);
    let mut fast = Reader::new(hub.subscribe("news", None));
    for n in 1..=EVENTS {
        let Ok(_) = hub
            .publish("news", Event::new(format!("event {n}")))
            .into_inner();
        fast.read_ready();
        assert!(
            slow.backlog_len() <= BACKLOG,
            "the slow backlog stays bounded"
        );
        assert!(hub.backend().retained_len("news") <= RETAINED);
    }
    assert_eq!(fast.ids(), (1..=EVENTS).collect::<Vec<_>>());
    assert!(!fast.ended);
    let stats = hub.stats();
    assert_eq!(
        stats.slow_disconnects, 1,
        "cut off once, not once per event"
    );
    assert_eq!(stats.published, EVENTS);
    assert_eq!(stats.subscribers, 2, "the slow one is alive until dropped");
    assert_eq!(slow.backlog_len(), BACKLOG);
    assert_eq!(hub.backend().retained_len("news"), RETAINED);

    // It reads what it held, then its stream ends.
    let mut slow = Reader::new(slow);
    slow.read_ready();
    assert_eq!(slow.ids(), (1..=BACKLOG as u64).collect::<Vec<_>>());
    assert!(slow.ended);
    drop(slow);
    assert_eq!(hub.stats().subscribers, 1);
}

#[test]
fn a_subscriber_cut_off_resumes_from_retention_after_the_last_id_it_got() {
    let hub = hub();
    let mut slow = Reader::new(hub.subscribe("news", None));
    let mut published = 0;
    // It reads a little, then stops while publishing goes on.
    for _ in 0..3 {
        published += 1;
        let Ok(_) = hub
            .publish("news", Event::new(format!("event {published}")))
            .into_inner();
    }
    slow.read_ready();
    for _ in 0..(BACKLOG + 10) {
        published += 1;
        let Ok(_) = hub
            .publish("news", Event::new(format!("event {published}")))
            .into_inner();
    }
    slow.read_ready();
    assert!(slow.ended);
    assert_eq!(hub.stats().slow_disconnects, 1);

    // The client reconnects with the last id it got and misses nothing.
    let last_id = slow.messages.last().unwrap().last_event_id().to_string();
    let mut resumed = Reader::new(hub.subscribe("news", Some(&last_id)));
    resumed.read_ready();
    let mut ids = slow.ids();
    ids.extend(resumed.ids());
    assert_eq!(ids, (1..=published).collect::<Vec<_>>());
}
