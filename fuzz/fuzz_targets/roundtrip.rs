//! Any event a user can describe: built, encoded and decoded, it comes back exactly; a value
//! the API refuses is refused with an error, never a panic, and only when it must be.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use ssekit_core::{Decoded, Event, Field, FieldError, Limits, Message};
use ssekit_fuzz::decode_whole;

#[derive(Arbitrary, Debug)]
struct EventInput {
    data: String,
    event_type: Option<String>,
    id: Option<String>,
    retry_ms: Option<u64>,
    comment: Option<String>,
}

fn has_line_break(value: &str) -> bool {
    value.contains(['\r', '\n'])
}

/// CRLF and CR arrive as LF.
fn as_decoded(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

libfuzzer_sys::fuzz_target!(|input: EventInput| {
    let mut event = Event::new(input.data.as_str());
    if let Some(event_type) = &input.event_type {
        match event.with_event_type(event_type.as_str()) {
            Ok(typed) => event = typed,
            Err(error) => {
                let field = Field::EventType;
                assert_eq!(error, FieldError::LineBreak { field });
                assert!(has_line_break(event_type));
                return;
            }
        }
    }
    if let Some(id) = &input.id {
        match event.with_id(id.as_str()) {
            Ok(with_id) => event = with_id,
            Err(FieldError::LineBreak { field: Field::Id }) => return assert!(has_line_break(id)),
            Err(error) => return assert!(error == FieldError::NullInId && id.contains('\0')),
        }
    }
    if let Some(retry_ms) = input.retry_ms {
        event = event.with_retry(Duration::from_millis(retry_ms));
    }
    if let Some(comment) = &input.comment {
        event = event.with_comment(comment.as_str());
    }

    let mut expected = Vec::new();
    if let Some(comment) = &input.comment {
        let lines = as_decoded(comment);
        expected.extend(
            lines
                .split('\n')
                .map(|line| Ok(Decoded::Comment(line.to_string()))),
        );
    }
    if let Some(retry_ms) = input.retry_ms {
        expected.push(Ok(Decoded::Retry(Duration::from_millis(retry_ms))));
    }
    let event_type = input.event_type.as_deref().unwrap_or("message");
    let id = input.id.as_deref().unwrap_or("");
    let message = Message::new(event_type, as_decoded(&input.data), id);
    expected.push(Ok(Decoded::Message(message)));

    let encoded = event.to_bytes();
    assert_eq!(encoded.len(), event.encoded_len());
    assert_eq!(
        decode_whole(&encoded, Limits::unlimited()),
        (expected, id.to_string())
    );
});
