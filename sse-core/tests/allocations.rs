//! Allocations per delivered event, counted by a counting global allocator
//! (`allocation_counter`, which counts the calling thread only, so tests running beside these
//! do not disturb the figures).
//!
//! The targets: at most one allocation per event for a caller that takes owned messages,
//! none per event for a caller that borrows single-line data, and an encoded event shared
//! by any number of connections without a copy; a borrowed event ([`EventRef`]) encoded into
//! a reused buffer allocates nothing.

use bytes::{Bytes, BytesMut};
use ssekit_core::{Decoded, DecodedRef, Decoder, Event, EventRef};

const EVENTS: usize = 10_000;

/// A token stream as an LLM API sends it: one short JSON data line per event.
fn token_stream() -> Vec<u8> {
    let words = ["the", "quick", "brown", "fox", " jumps", ","];
    let mut text = String::new();
    for n in 0..EVENTS {
        let word = words[n % words.len()];
        text.push_str(r#"data: {"id":"chatcmpl-1","choices":[{"delta":{"content":""#);
        text.push_str(word);
        text.push_str("\"}}]}\n\n");
    }
    text.into_bytes()
}

/// The same stream with three data lines per event (the data is gathered, not borrowed).
fn multi_line_stream() -> Vec<u8> {
    "data: a\ndata: bb\ndata: ccc\n\n"
        .repeat(EVENTS)
        .into_bytes()
}

/// 16 KiB chunks, and a ragged cut of 1 to 64 bytes (lines cross chunks all the time).
fn deliveries(stream: &[u8]) -> [(&'static str, Vec<Bytes>); 2] {
    let whole = Bytes::copy_from_slice(stream);
    let large = whole
        .chunks(16 * 1024)
        .map(|chunk| whole.slice_ref(chunk))
        .collect();
    let mut ragged = Vec::new();
    let (mut start, mut step) = (0, 0);
    while start < whole.len() {
        step = (step * 7 + 13) % 64 + 1;
        let end = (start + step).min(whole.len());
        ragged.push(whole.slice(start..end));
        start = end;
    }
    [("16 KiB chunks", large), ("1-64 byte chunks", ragged)]
}

/// Decodes every chunk with owned messages; returns (messages, allocations).
fn count_owned(decoder: &mut Decoder, chunks: &[Bytes]) -> (usize, u64) {
    let mut messages = 0;
    let info = allocation_counter::measure(|| {
        for chunk in chunks {
            decoder.push(chunk);
            while let Some(decoded) = decoder.next_decoded().unwrap() {
                if let Decoded::Message(message) = decoded {
                    messages += usize::from(!message.data().is_empty());
                }
            }
        }
    });
    (messages, info.count_total)
}

/// The same, borrowing each message.
fn count_borrowed(decoder: &mut Decoder, chunks: &[Bytes]) -> (usize, u64) {
    let mut messages = 0;
    let info = allocation_counter::measure(|| {
        for chunk in chunks {
            decoder.push(chunk);
            while let Some(decoded) = decoder.next_decoded_ref().unwrap() {
                if let DecodedRef::Message(message) = decoded {
                    messages += usize::from(!message.data().is_empty());
                }
            }
        }
    });
    (messages, info.count_total)
}

/// A decoder whose buffers have already grown to fit the stream: growth happens once per
/// connection, not per event, so it is taken out of the per-event count.
fn warmed_decoder(chunks: &[Bytes]) -> Decoder {
    let mut decoder = Decoder::new();
    count_owned(&mut decoder, &chunks[..chunks.len().min(64)]);
    decoder
}

#[test]
fn owned_messages_cost_at_most_one_allocation_each() {
    for (delivery, chunks) in deliveries(&token_stream()) {
        let mut decoder = warmed_decoder(&chunks);
        let (messages, allocations) = count_owned(&mut decoder, &chunks);
        assert_eq!(messages, EVENTS, "{delivery}");
        assert!(
            allocations <= messages as u64,
            "{delivery}: {allocations} allocations for {messages} messages"
        );
    }
}

/// Events of 64 KiB of data, one line each or split over 16 lines, as a tool result or an
/// image arrives from an LLM API; 64 of them.
fn large_event_streams() -> [Vec<u8>; 2] {
    let line = "x".repeat(64 * 1024);
    let single = format!("data: {line}\n\n").repeat(64);
    let piece = &line[..4 * 1024];
    let multi = format!("{}\n", format!("data: {piece}\n").repeat(16)).repeat(64);
    [single.into_bytes(), multi.into_bytes()]
}

#[test]
fn owned_messages_share_long_data_instead_of_copying_it() {
    for stream in large_event_streams() {
        for (delivery, chunks) in deliveries(&stream) {
            // The whole stream once, so that the buffers have grown; it ends with an event.
            let mut decoder = Decoder::new();
            count_owned(&mut decoder, &chunks);
            let mut data_bytes = 0;
            let info = allocation_counter::measure(|| {
                for chunk in &chunks {
                    decoder.push(chunk);
                    while let Some(decoded) = decoder.next_decoded().unwrap() {
                        if let Decoded::Message(message) = decoded {
                            data_bytes += message.data().len();
                        }
                    }
                }
            });
            // Copies would allocate 64 KiB per message; the buffers, once grown, are reused.
            assert!(
                data_bytes >= 64 * 64 * 1024,
                "{delivery}: {data_bytes} bytes of data"
            );
            assert!(
                info.bytes_total < 64 * 1024,
                "{delivery}: {} bytes in {} allocations for 64 messages",
                info.bytes_total,
                info.count_total
            );
        }
    }
}

#[test]
fn borrowed_single_line_messages_cost_no_allocation() {
    for (delivery, chunks) in deliveries(&token_stream()) {
        let mut decoder = warmed_decoder(&chunks);
        let (messages, allocations) = count_borrowed(&mut decoder, &chunks);
        assert_eq!(messages, EVENTS, "{delivery}");
        assert_eq!(allocations, 0, "{delivery}: {messages} messages");
    }
}

#[test]
fn borrowed_multi_line_messages_reuse_one_buffer() {
    for (delivery, chunks) in deliveries(&multi_line_stream()) {
        let mut decoder = warmed_decoder(&chunks);
        let (messages, allocations) = count_borrowed(&mut decoder, &chunks);
        assert_eq!(messages, EVENTS, "{delivery}");
        assert_eq!(allocations, 0, "{delivery}: {messages} messages");
    }
}

#[test]
fn an_event_for_many_connections_is_encoded_once_and_shared() {
    let event = Event::new("line one\nline two")
        .with_id("42")
        .and_then(|event| event.with_event_type("update"))
        .unwrap();
    let mut buf = BytesMut::with_capacity(256);
    let mut frames = Vec::with_capacity(1000);
    let info = allocation_counter::measure(|| {
        event.encode_into(&mut buf);
        let frame = buf.split().freeze();
        frames.extend(std::iter::repeat_n(frame, 1000));
    });
    // One allocation at most: the shared frame's reference count; the clones copy nothing.
    assert!(info.count_total <= 1, "{} allocations", info.count_total);
    assert!(
        frames
            .iter()
            .all(|frame| frame.as_ptr() == frames[0].as_ptr())
    );
    assert_eq!(
        frames[999],
        Bytes::from_static(b"event: update\nid: 42\ndata: line one\ndata: line two\n\n")
    );
}

#[test]
fn borrowed_events_encode_into_a_reused_buffer_with_no_allocation() {
    let payloads: Vec<String> = (0..EVENTS)
        .map(|n| format!(r#"{{"n":{n},"text":"line\nnext"}}"#))
        .collect();
    let ids: Vec<String> = (0..EVENTS).map(|n| n.to_string()).collect();
    let mut buf = BytesMut::with_capacity(4096);
    let mut written = 0;
    let info = allocation_counter::measure(|| {
        for (payload, id) in payloads.iter().zip(&ids) {
            let event = EventRef::new(payload)
                .with_id(id)
                .and_then(|event| event.with_event_type("update"))
                .unwrap();
            event.encode_into(&mut buf);
            written += buf.len();
            buf.clear();
        }
    });
    assert_eq!(info.count_total, 0, "{} allocations", info.count_total);
    assert!(written > EVENTS * 40);
}
