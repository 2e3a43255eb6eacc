//! Hostile input: streams built to exhaust memory or time, and values built to forge events.
//! Every input is generated lazily, a chunk at a time, and every test bounds what it feeds.

mod common;

use common::{data, decode_chunks};
use ssekit_core::{DecodeError, Decoded, Decoder, Event, Field, FieldError, Limits};

const CHUNK: usize = 64 * 1024;

/// Pushes `chunks`, pulling after each, and checks after each pull that the decoder holds
/// at most `bound` bytes. Returns every item and error, in order.
fn feed(
    decoder: &mut Decoder,
    chunks: impl IntoIterator<Item = Vec<u8>>,
    bound: usize,
) -> Vec<Result<Decoded, DecodeError>> {
    let mut items = Vec::new();
    for chunk in chunks {
        decoder.push(&chunk);
        loop {
            match decoder.next_decoded() {
                Ok(None) => break,
                Ok(Some(item)) => items.push(Ok(item)),
                Err(error) => items.push(Err(error)),
            }
        }
        assert!(
            decoder.buffered_len() <= bound,
            "{} > {bound}",
            decoder.buffered_len()
        );
    }
    items
}

/// `count` copies of `unit`, cut into chunks of about [`CHUNK`] bytes, made as they are
/// consumed.
fn repeated(unit: &'static [u8], count: usize) -> impl Iterator<Item = Vec<u8>> {
    let per_chunk = (CHUNK / unit.len()).max(1);
    (0..count.div_ceil(per_chunk)).map(move |index| {
        let units = per_chunk.min(count - index * per_chunk);
        unit.repeat(units)
    })
}

#[test]
fn a_gibibyte_without_a_line_break_stays_under_the_line_limit_then_recovers() {
    let limits = Limits::default();
    let mut decoder = Decoder::with_limits(limits);
    let bound = limits.max_line_len + CHUNK;
    let gibibyte = std::iter::once(b"data: ".to_vec())
        .chain(std::iter::repeat_n(vec![b'x'; CHUNK], (1 << 30) / CHUNK));
    let items = feed(&mut decoder, gibibyte, bound);
    let limit = limits.max_line_len;
    assert_eq!(items, [Err(DecodeError::LineTooLong { limit })]);
    let after = feed(&mut decoder, [b"\n\ndata: after\n\n".to_vec()], bound);
    assert_eq!(after, [Ok(data("after"))]);
}

#[test]
fn a_million_data_lines_trip_the_event_limit_with_bounded_memory() {
    let limits = Limits::default().max_event_size(1 << 20);
    let mut decoder = Decoder::with_limits(limits);
    let bound = limits.max_event_size + CHUNK;
    let items = feed(
        &mut decoder,
        repeated(b"data: 0123456789\n", 1_000_000),
        bound,
    );
    assert_eq!(items, [Err(DecodeError::EventTooLarge { limit: 1 << 20 })]);
    let after = feed(&mut decoder, [b"\ndata: next\n\n".to_vec()], bound);
    assert_eq!(after, [Ok(data("next"))]);
}

#[test]
fn a_million_blank_lines_yield_nothing_and_hold_nothing() {
    let mut decoder = Decoder::new();
    let items = feed(&mut decoder, repeated(b"\r\n", 1_000_000), 0);
    assert!(items.is_empty());
}

#[test]
fn a_million_comments_hold_nothing_between_pulls() {
    let mut decoder = Decoder::new();
    decoder.set_emit_comments(true);
    let items = feed(
        &mut decoder,
        repeated(b": keep-alive\n", 1_000_000),
        ": keep-alive".len(),
    );
    assert_eq!(items.len(), 1_000_000);
}

#[test]
fn a_million_retry_fields_are_each_taken_with_no_growth() {
    let mut decoder = Decoder::new();
    let items = feed(
        &mut decoder,
        repeated(b"retry: 1000\n", 1_000_000),
        "retry: 1000".len(),
    );
    assert_eq!(items.len(), 1_000_000);
    assert_eq!(decoder.reconnection_time().unwrap().as_millis(), 1000);
}

/// Values that try to end a field early or smuggle a second event in.
fn forgeries() -> Vec<String> {
    let long = "x".repeat(1 << 20);
    [
        "a\rb",
        "a\nb",
        "a\r\nb",
        "\n\ndata: forged\n\n",
        "\r\rdata: forged\r\r",
        "nul\0inside",
        "line\u{2028}separator\u{2029}paragraph",
        "replacement \u{FFFD} of a lone surrogate",
        "\u{85}next-line",
        " leading space",
        ":",
        "",
    ]
    .into_iter()
    .map(String::from)
    .chain([long.clone(), format!("{long}\n\ndata: forged\n\n")])
    .collect()
}

#[test]
fn hostile_values_are_refused_or_sent_exactly() {
    for value in forgeries() {
        let line_break = value.contains(['\r', '\n']);
        let event_type = Event::new("x").with_event_type(value.as_str());
        let id = Event::new("x").with_id(value.as_str());
        if line_break {
            let field = Field::EventType;
            assert_eq!(event_type, Err(FieldError::LineBreak { field }));
            assert_eq!(id, Err(FieldError::LineBreak { field: Field::Id }));
        } else if value.contains('\0') {
            assert_eq!(id, Err(FieldError::NullInId));
        }
        let mut event = Event::new(value.as_str()).with_comment(value.as_str());
        if let Ok(typed) = event.clone().with_event_type(value.as_str()) {
            event = typed;
        }
        if let Ok(with_id) = event.clone().with_id(value.as_str()) {
            event = with_id;
        }

        let frame = event.to_bytes();
        let (items, last_event_id) = decode_chunks([&frame[..]], false);
        let [Decoded::Message(message)] = &items[..] else {
            panic!("one event, not {} items, for {value:?}", items.len());
        };
        let as_decoded = value.replace("\r\n", "\n").replace('\r', "\n");
        assert_eq!(message.data(), as_decoded);
        let event_type = event.event_type().filter(|t| !t.is_empty());
        assert_eq!(message.event_type(), event_type.unwrap_or("message"));
        assert_eq!(last_event_id, event.id().unwrap_or(""));
    }
}
