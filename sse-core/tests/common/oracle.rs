//! A slow, obviously correct transliteration of the WHATWG event stream interpretation:
//! decode the whole stream as UTF-8 first, then walk it character by character.

use std::time::Duration;

use ssekit_core::{Decoded, Message};

/// What a client sees in the whole `stream`: the items in order, then the last event id.
pub fn decode(stream: &[u8], emit_comments: bool) -> (Vec<Decoded>, String) {
    let text = String::from_utf8_lossy(stream);
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);

    let mut state = State::default();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                state.line(&line, emit_comments);
                line.clear();
            }
            c => line.push(c),
        }
    }
    // Whatever is left in `line`, and the event being built, end with the stream: dropped.
    (state.items, state.last_event_id)
}

#[derive(Default)]
struct State {
    data: String,
    event_type: String,
    id_buffer: String,
    last_event_id: String,
    items: Vec<Decoded>,
}

impl State {
    fn line(&mut self, line: &str, emit_comments: bool) {
        if line.is_empty() {
            self.dispatch();
        } else if let Some(comment) = line.strip_prefix(':') {
            if emit_comments {
                self.items.push(Decoded::Comment(comment.to_string()));
            }
        } else if let Some(colon) = line.find(':') {
            let value = &line[colon + 1..];
            self.field(&line[..colon], value.strip_prefix(' ').unwrap_or(value));
        } else {
            self.field(line, "");
        }
    }

    fn field(&mut self, name: &str, value: &str) {
        match name {
            "event" => self.event_type = value.to_string(),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => self.id_buffer = value.to_string(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Digits only, so parsing fails only on overflow, which we ignore.
                if let Ok(millis) = value.parse::<u64>() {
                    self.items
                        .push(Decoded::Retry(Duration::from_millis(millis)));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        self.last_event_id = self.id_buffer.clone();
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        if self.data.ends_with('\n') {
            self.data.pop();
        }
        let event_type = if self.event_type.is_empty() {
            "message"
        } else {
            &self.event_type
        };
        self.items.push(Decoded::Message(Message::new(
            event_type,
            self.data.as_str(),
            self.last_event_id.as_str(),
        )));
        self.data.clear();
        self.event_type.clear();
    }
}
