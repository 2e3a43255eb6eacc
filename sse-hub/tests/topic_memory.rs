//! 100,000 topics used once and abandoned (a topic per user, each user gone): once they are
//! idle, the memory they took is given back. Alone in its file, so that no other test's
//! memory moves the figures.
//!
//! What is given back is counted at the allocator (every byte the hub allocated and has not
//! freed), since the C allocator keeps freed memory for the process's next allocations
//! rather than handing it to the kernel: the resident size stays near its peak, and a second
//! round of 100,000 topics reuses it instead of growing it.

use std::time::Duration;

use ssekit_core::Event;
use ssekit_hub::{Hub, HubConfig};

const TOPICS: u64 = 100_000;

/// This process's resident memory, in KiB (Linux's `/proc/self/status`).
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Each of `TOPICS` users subscribes to a topic of its own, gets an event, and leaves; then
/// the topics go idle, and the hub lets go of them.
fn use_and_abandon(hub: &Hub, timeout: Duration, round: u64) {
    for user in 0..TOPICS {
        let topic = format!("user-{round}-{user}");
        let subscription = hub.subscribe(&topic, None);
        let Ok(_) = hub
            .publish(&topic, Event::new(format!("welcome, user {user}")))
            .into_inner();
        drop(subscription);
    }
    assert_eq!(
        hub.stats().topics,
        TOPICS,
        "each keeps its event for a while"
    );
    std::thread::sleep(timeout + Duration::from_millis(50));
    hub.backend().remove_unused_topics();
    assert_eq!(hub.stats().topics, 0);
}

#[test]
fn a_hundred_thousand_abandoned_topics_give_their_memory_back() {
    // Long enough that no topic goes idle while the others are still being made.
    let timeout = Duration::from_secs(2);
    let hub = Hub::with_config(HubConfig::new().idle_topic_timeout(timeout));
    let resident_before = resident_kib();
    let first = allocation_counter::measure(|| use_and_abandon(&hub, timeout, 1));
    let resident_after_first = resident_kib();
    let second = allocation_counter::measure(|| use_and_abandon(&hub, timeout, 2));
    let resident_after_second = resident_kib();
    println!(
        "heap: {} KiB at the peak, {} KiB left after the first round, {} after the second; \
         resident: {resident_before} KiB before, {resident_after_first} KiB after one round, \
         {resident_after_second} KiB after two",
        first.bytes_max / 1024,
        first.bytes_current / 1024,
        second.bytes_current / 1024,
    );
    assert_eq!(hub.stats().topics_removed, 2 * TOPICS);
    for round in [first, second] {
        let left = u64::try_from(round.bytes_current.max(0)).unwrap();
        assert!(
            left * 10 <= round.bytes_max,
            "{left} bytes of {} kept",
            round.bytes_max
        );
    }
    assert!(
        resident_after_second * 10 <= resident_after_first * 11,
        "the second round grew the process from {resident_after_first} to \
         {resident_after_second} KiB instead of reusing what the first gave back"
    );
}
