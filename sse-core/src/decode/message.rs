//! What the decoder delivers.

use std::sync::Arc;
use std::time::Duration;

/// The event type a message has when the stream set none.
const DEFAULT_EVENT_TYPE: &str = "message";

/// One item the [`Decoder`](crate::Decoder) completes.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use sse_core::{Decoded, Decoder};
///
/// let mut decoder = Decoder::new();
/// decoder.set_emit_comments(true);
/// decoder.push(b": keep-alive\nretry: 500\ndata: hi\n\n");
/// assert_eq!(decoder.next_decoded()?, Some(Decoded::Comment(" keep-alive".into())));
/// assert_eq!(decoder.next_decoded()?, Some(Decoded::Retry(Duration::from_millis(500))));
/// assert!(matches!(decoder.next_decoded()?, Some(Decoded::Message(m)) if m.data() == "hi"));
/// # Ok::<(), sse_core::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decoded {
    /// An event, delivered at the blank line that ends it.
    Message(Message),
    /// A `retry` field that the decoder took: the new reconnection time.
    Retry(Duration),
    /// A comment line's text after the colon, kept exactly (a leading space included). Only
    /// when asked for with [`Decoder::set_emit_comments`](crate::Decoder::set_emit_comments).
    Comment(String),
}

/// An event as a client receives it: its type, its data and the stream's last event id.
///
/// # Example
///
/// ```
/// use sse_core::{Decoded, Decoder, Message};
///
/// let mut decoder = Decoder::new();
/// decoder.push(b"id: 7\ndata: a\ndata: b\n\n");
/// let Some(Decoded::Message(message)) = decoder.next_decoded()? else { panic!() };
/// assert_eq!(message, Message::new("message", "a\nb", "7"));
/// # Ok::<(), sse_core::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    /// Empty for the default type, so that `event: message` and no `event` line compare equal.
    event_type: String,
    data: String,
    last_event_id: Arc<str>,
}

impl Message {
    /// Builds a message, as a decoder would deliver it; handy in tests.
    ///
    /// # Example
    ///
    /// ```
    /// let message = sse_core::Message::new("", "data", "");
    /// assert_eq!(message.event_type(), "message");
    /// ```
    pub fn new(
        event_type: impl Into<String>,
        data: impl Into<String>,
        last_event_id: impl Into<Arc<str>>,
    ) -> Self {
        Self::from_parts(event_type.into(), data.into(), last_event_id.into())
    }

    pub(crate) fn from_parts(
        mut event_type: String,
        data: String,
        last_event_id: Arc<str>,
    ) -> Self {
        if event_type == DEFAULT_EVENT_TYPE {
            event_type.clear();
        }
        Self {
            event_type,
            data,
            last_event_id,
        }
    }

    /// The event type: the last `event` field's value, or `message` if there was none (or it
    /// was empty).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sse_core::Message::new("tick", "", "").event_type(), "tick");
    /// ```
    pub fn event_type(&self) -> &str {
        if self.event_type.is_empty() {
            DEFAULT_EVENT_TYPE
        } else {
            &self.event_type
        }
    }

    /// The data: the `data` lines joined with LF.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sse_core::Message::new("", "a\nb", "").data(), "a\nb");
    /// ```
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The stream's last event id when this event was delivered: the last `id` field seen so
    /// far in the stream, not necessarily one in this event. Empty until an id is set.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(sse_core::Message::new("", "", "41").last_event_id(), "41");
    /// ```
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Takes the data out, without copying it.
    ///
    /// # Example
    ///
    /// ```
    /// let data: String = sse_core::Message::new("", "payload", "").into_data();
    /// assert_eq!(data, "payload");
    /// ```
    pub fn into_data(self) -> String {
        self.data
    }
}
