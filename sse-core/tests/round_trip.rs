//! Property tests of the encoder against the real decoder: every event the API accepts comes
//! back exactly (`decode(encode(e)) == e`), and no user-supplied string, accepted or refused,
//! can make the decoder see a field or an event it was not given.

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::decode_chunks;
use proptest::prelude::*;
use ssekit_core::{Decoded, Event, FieldError, Message};

/// Text with many line breaks, spaces, colons and NULs among arbitrary characters.
fn text() -> impl Strategy<Value = String> {
    text_of(0..12)
}

/// Text as [`text`] gives, of up to 400 pieces: it crosses the encoder's 64-byte blocks, with
/// line breaks (a CRLF among them) on either side of each block's end.
fn long_text() -> impl Strategy<Value = String> {
    text_of(0..400)
}

fn text_of(pieces: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => any::<char>().prop_map(String::from),
        1 => Just("\r".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just(" ".to_string()),
        1 => Just(":".to_string()),
        1 => Just("\0".to_string()),
        1 => Just("\n\ndata: forged\n\n".to_string()),
        1 => Just("\u{FEFF}".to_string()),
        1 => "[a-z]{1,5}",
    ];
    proptest::collection::vec(piece, pieces).prop_map(|pieces| pieces.concat())
}

/// Everything a user may pass when building an event.
#[derive(Clone, Debug)]
struct EventInput {
    data: String,
    event_type: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    comment: Option<String>,
}

fn event_input() -> impl Strategy<Value = EventInput> {
    (
        text(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(text()),
    )
        .prop_map(|(data, event_type, id, retry, comment)| EventInput {
            data,
            event_type,
            id,
            retry,
            comment,
        })
}

fn build(input: &EventInput) -> Result<Event, FieldError> {
    let mut event = Event::new(input.data.as_str());
    if let Some(event_type) = &input.event_type {
        event = event.with_event_type(event_type.as_str())?;
    }
    if let Some(id) = &input.id {
        event = event.with_id(id.as_str())?;
    }
    if let Some(retry) = input.retry {
        event = event.with_retry(Duration::from_millis(retry));
    }
    if let Some(comment) = &input.comment {
        event = event.with_comment(comment.as_str());
    }
    Ok(event)
}

/// Line breaks as the decoder reports them: CRLF and CR become LF.
fn normalize_line_breaks(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// What a client must see for `events`, sent in order on one stream.
fn expected(events: &[Event]) -> (Vec<Decoded>, String) {
    let mut items = Vec::new();
    let mut last_event_id = String::new();
    for event in events {
        if let Some(comment) = event.comment() {
            let comment = normalize_line_breaks(comment);
            items.extend(
                comment
                    .split('\n')
                    .map(|line| Decoded::Comment(line.to_string())),
            );
        }
        if let Some(retry) = event.retry() {
            items.push(Decoded::Retry(retry));
        }
        if let Some(id) = event.id() {
            last_event_id = id.to_string();
        }
        items.push(Decoded::Message(Message::new(
            event.event_type().unwrap_or("message"),
            normalize_line_breaks(event.data()),
            last_event_id.as_str(),
        )));
    }
    (items, last_event_id)
}

fn decode_events(events: &[Event]) -> (Vec<Decoded>, String) {
    let frames: Vec<_> = events.iter().map(Event::to_bytes).collect();
    decode_chunks(frames.iter().map(|frame| &frame[..]), true)
}

proptest! {
    #[test]
    fn decode_of_encode_gives_back_every_accepted_event(
        inputs in proptest::collection::vec(event_input(), 1..6),
    ) {
        let events: Vec<Event> = inputs.iter().filter_map(|input| build(input).ok()).collect();
        prop_assert_eq!(decode_events(&events), expected(&events));
    }

    #[test]
    fn long_multi_line_data_and_comments_come_back(
        data in long_text(),
        comment in proptest::option::of(long_text()),
    ) {
        let mut event = Event::new(data);
        if let Some(comment) = comment {
            event = event.with_comment(comment);
        }
        let events = [event];
        prop_assert_eq!(decode_events(&events), expected(&events));
        prop_assert_eq!(events[0].encoded_len(), events[0].to_bytes().len());
    }

    /// Into a buffer that already holds bytes and has any room left (none, less than the
    /// event takes, or more), the encoder appends exactly what `to_bytes` gives.
    #[test]
    fn encode_into_any_buffer_appends_the_same_bytes(
        data in long_text(),
        held in 0..100usize,
        room in 0..12_000usize,
    ) {
        let event = Event::new(data);
        let mut buf = BytesMut::with_capacity(held + room);
        buf.extend_from_slice(&vec![b'x'; held]);
        event.encode_into(&mut buf);
        prop_assert_eq!(&buf[..held], &vec![b'x'; held][..]);
        prop_assert_eq!(&buf[held..], &event.to_bytes()[..]);
    }

    #[test]
    fn encoded_len_is_exact(input in event_input()) {
        if let Ok(event) = build(&input) {
            prop_assert_eq!(event.encoded_len(), event.to_bytes().len());
        }
    }

    #[test]
    fn no_string_injects_a_field_or_an_event(input in event_input()) {
        match build(&input) {
            Ok(event) => {
                // Exactly the given fields come back, and one message: nothing forged.
                let (items, last_event_id) = decode_events(std::slice::from_ref(&event));
                let messages = items.iter().filter(|item| matches!(item, Decoded::Message(_)));
                prop_assert_eq!(messages.count(), 1);
                let retries = items.iter().filter(|item| matches!(item, Decoded::Retry(_)));
                prop_assert_eq!(retries.count(), usize::from(input.retry.is_some()));
                let Some(Decoded::Message(message)) = items.last() else {
                    return Err(TestCaseError::fail("the message must come last"));
                };
                let event_type = input.event_type.as_deref().filter(|t| !t.is_empty());
                prop_assert_eq!(message.event_type(), event_type.unwrap_or("message"));
                prop_assert_eq!(message.data(), normalize_line_breaks(&input.data));
                prop_assert_eq!(&last_event_id, input.id.as_deref().unwrap_or(""));
            }
            Err(error) => {
                // Refused only for a value that really could not be sent.
                let breaks = |value: &Option<String>| {
                    value.as_ref().is_some_and(|v| v.contains(['\r', '\n']))
                };
                let id_null = input.id.as_ref().is_some_and(|id| id.contains('\0'));
                prop_assert!(breaks(&input.event_type) || breaks(&input.id) || id_null, "{error}");
            }
        }
    }
}
