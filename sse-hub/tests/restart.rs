//! Ids survive a restart: a new process's hub (a new backend, its topics made from the clock)
//! gives ids above every id of the one before, so a client's `Last-Event-ID` from before the
//! restart is unknown to it, and gets what `OnUnknownId` says: never the new process's events
//! after the same number, as if nothing had happened.

mod common;

use std::time::Duration;

use ssekit_core::Event;
use ssekit_hub::{Hub, HubConfig, OnUnknownId};

const BEFORE: u64 = 500;
const AFTER: u64 = 600;

/// The process before the restart: `BEFORE` events; returns the last id a client saw.
fn before_the_restart(config: HubConfig) -> u64 {
    let hub = Hub::with_config(config);
    let mut last = 0;
    for n in 1..=BEFORE {
        let Ok(id) = hub
            .publish("talk", Event::new(format!("old {n}")))
            .into_inner();
        assert!(id > last, "ids grow");
        last = id;
    }
    last
}

/// The process after the restart, once it has published `AFTER` events: what a client that
/// resumes after `last_seen` gets.
fn after_the_restart(config: HubConfig, last_seen: u64) -> (Vec<String>, Vec<u64>) {
    // A new process starts at least a millisecond later.
    std::thread::sleep(Duration::from_millis(2));
    let hub = Hub::with_config(config);
    for n in 1..=AFTER {
        let Ok(_) = hub
            .publish("talk", Event::new(format!("new {n}")))
            .into_inner();
    }
    let mut reader = common::Reader::new(hub.subscribe("talk", Some(&last_seen.to_string())));
    reader.read_ready();
    let data = reader
        .messages
        .iter()
        .map(|m| m.data().to_string())
        .collect();
    let ids = reader
        .messages
        .iter()
        .filter(|m| !m.last_event_id().is_empty() && m.event_type() == "message")
        .map(|m| m.last_event_id().parse().unwrap())
        .collect();
    (data, ids)
}

#[test]
fn an_id_from_before_a_restart_replays_everything_instead_of_skipping_what_it_did_not_see() {
    let last_seen = before_the_restart(HubConfig::new());
    let (data, ids) = after_the_restart(HubConfig::new(), last_seen);
    let expected: Vec<String> = (1..=AFTER).map(|n| format!("new {n}")).collect();
    assert_eq!(
        data, expected,
        "the whole new sequence, not new 501 onwards"
    );
    assert!(
        ids.iter().all(|&id| id > last_seen),
        "every new id is above the old ones"
    );
    assert!(
        ids.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "contiguous"
    );
}

#[test]
fn an_id_from_before_a_restart_gets_the_marker_when_asked_for() {
    let marker = Event::new("history lost")
        .with_event_type("missed")
        .unwrap();
    let config = HubConfig::new().on_unknown_id(OnUnknownId::Marker(marker));
    let last_seen = before_the_restart(config.clone());
    let (data, _) = after_the_restart(config, last_seen);
    assert_eq!(data.first().map(String::as_str), Some("history lost"));
    assert_eq!(data.len(), 1 + usize::try_from(AFTER).unwrap());
}

#[test]
fn with_a_fixed_first_id_a_restart_reuses_ids_which_is_why_it_is_not_the_default() {
    let config = HubConfig::new().first_id(1);
    let last_seen = before_the_restart(config.clone());
    let (data, _) = after_the_restart(config, last_seen);
    assert_eq!(
        data.first().map(String::as_str),
        Some("new 501"),
        "the silent gap"
    );
}
