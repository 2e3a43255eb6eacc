//! A decoder seeded with the last event id of an earlier connection: what a reconnecting
//! client feeds each new connection through.

use ssekit_core::{Decoded, Decoder};

/// Every message's last event id, in order.
fn ids(decoder: &mut Decoder, bytes: &[u8]) -> Vec<String> {
    decoder.push(bytes);
    decoder.finish();
    let mut ids = Vec::new();
    while let Some(decoded) = decoder.next_decoded().unwrap() {
        if let Decoded::Message(message) = decoded {
            ids.push(message.last_event_id().to_owned());
        }
    }
    ids
}

#[test]
fn events_without_an_id_inherit_the_seed() {
    let mut decoder = Decoder::new().with_last_event_id("7");
    assert_eq!(ids(&mut decoder, b"data: a\n\ndata: b\n\n"), ["7", "7"]);
    assert_eq!(decoder.last_event_id(), "7");
}

#[test]
fn an_id_only_block_moves_it_and_an_empty_id_clears_it() {
    let mut decoder = Decoder::new().with_last_event_id("7");
    assert_eq!(
        ids(&mut decoder, b"id: 8\n\ndata: a\n\nid\ndata: b\n\n"),
        ["8", ""]
    );
    assert_eq!(decoder.last_event_id(), "");
}

#[test]
fn an_event_cut_off_by_the_end_keeps_the_seed() {
    let mut decoder = Decoder::new().with_last_event_id("7");
    assert!(ids(&mut decoder, b"id: 9\ndata: cut").is_empty());
    assert_eq!(
        decoder.last_event_id(),
        "7",
        "the unfinished event's id is not kept"
    );
}

#[test]
fn a_seed_holding_nul_is_ignored_as_such_a_field_would_be() {
    let decoder = Decoder::new().with_last_event_id("a\0b");
    assert_eq!(decoder.last_event_id(), "");
}
