//! The event a server sends, owned or borrowed ([`borrowed`]), checked at construction so
//! that no value can forge a field.

mod borrowed;

use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

pub use borrowed::EventRef;

use crate::{encode, scan};

/// One event for a client: data, and optionally an event type, an id, a reconnection time
/// and a comment.
///
/// An `Event` always carries data (possibly empty), so every event you build is one that a
/// browser's `EventSource` delivers. The wire format also allows frames with no `data` line
/// (a lone `id`, `retry` or comment); browsers never deliver those as events, so this type
/// does not let you build one by accident: keep-alive comments come from
/// [`KeepAlive`](crate::KeepAlive) instead.
///
/// Data may hold any text: each line break in it (CR, LF or CRLF) starts a new `data:` line,
/// and the decoder joins them back with LF. The event type and the id are single-line values
/// and are checked when you set them.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ssekit_core::Event;
///
/// let event = Event::new("line one\nline two")
///     .with_event_type("tick")?
///     .with_id("7")?
///     .with_retry(Duration::from_secs(3));
/// assert_eq!(
///     event.to_bytes(),
///     "event: tick\nid: 7\nretry: 3000\ndata: line one\ndata: line two\n\n"
/// );
/// # Ok::<(), ssekit_core::FieldError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Event {
    data: String,
    event_type: Option<String>,
    id: Option<String>,
    retry: Option<Duration>,
    comment: Option<String>,
}

impl Event {
    /// Builds an event with this data and nothing else; its type is `message` for the client.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::Event::new("hello");
    /// assert_eq!(event.to_bytes(), "data: hello\n\n");
    /// ```
    #[must_use]
    pub fn new(data: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            ..Self::default()
        }
    }

    /// Sets the event type, which a browser dispatches to `addEventListener(type, ..)`
    /// listeners instead of `onmessage`.
    ///
    /// # Errors
    ///
    /// [`FieldError::LineBreak`] if the type holds a CR or LF: it would end the `event:` line
    /// early and let the rest of the value forge other fields or events.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Event, Field, FieldError};
    ///
    /// let event = Event::new("x").with_event_type("update")?;
    /// assert_eq!(event.event_type(), Some("update"));
    ///
    /// let forged = Event::new("x").with_event_type("update\ndata: evil");
    /// assert_eq!(forged, Err(FieldError::LineBreak { field: Field::EventType }));
    /// # Ok::<(), FieldError>(())
    /// ```
    pub fn with_event_type(mut self, event_type: impl Into<String>) -> Result<Self, FieldError> {
        let event_type = event_type.into();
        check_single_line(&event_type, Field::EventType)?;
        self.event_type = Some(event_type);
        Ok(self)
    }

    /// Sets the id, which the client stores and sends back as `Last-Event-ID` when it
    /// reconnects. An empty id resets the client's last event id to empty.
    ///
    /// # Errors
    ///
    /// [`FieldError::LineBreak`] if the id holds a CR or LF, and [`FieldError::NullInId`] if it
    /// holds U+0000 (a decoder ignores such an `id` field entirely, so the client would never
    /// see the id you meant to send).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Event, FieldError};
    ///
    /// let event = Event::new("x").with_id("42")?;
    /// assert_eq!(event.id(), Some("42"));
    /// assert_eq!(Event::new("x").with_id("4\u{0}2"), Err(FieldError::NullInId));
    /// # Ok::<(), FieldError>(())
    /// ```
    pub fn with_id(mut self, id: impl Into<String>) -> Result<Self, FieldError> {
        let id = id.into();
        check_id(&id)?;
        self.id = Some(id);
        Ok(self)
    }

    /// Sets the reconnection time the client waits before reconnecting after the connection
    /// drops. It goes on the wire in whole milliseconds; anything finer is truncated.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let event = ssekit_core::Event::new("x").with_retry(Duration::from_millis(2500));
    /// assert_eq!(event.to_bytes(), "retry: 2500\ndata: x\n\n");
    /// ```
    #[must_use]
    pub fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Adds a comment, which clients ignore (a browser never shows it) but which is handy for
    /// debugging a stream by eye. Each line of a multi-line comment becomes its own comment
    /// line, so a comment can never end the event early.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::Event::new("x").with_comment("first\nsecond");
    /// assert_eq!(event.to_bytes(), ":first\n:second\ndata: x\n\n");
    /// ```
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The data, as given.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::Event::new("a\r\nb").data(), "a\r\nb");
    /// ```
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The event type, if one was set.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::Event::new("x").event_type(), None);
    /// ```
    pub fn event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// The id, if one was set.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::Event::new("x").id(), None);
    /// ```
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The reconnection time, if one was set.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::Event::new("x").retry(), None);
    /// ```
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// The comment, if one was set.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::Event::new("x").with_comment("hi").comment(), Some("hi"));
    /// ```
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The event's values, borrowed: an [`EventRef`], which encodes the same bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::Event::new("x").with_id("1")?;
    /// assert_eq!(event.as_event_ref().id(), Some("1"));
    /// # Ok::<(), ssekit_core::FieldError>(())
    /// ```
    pub fn as_event_ref(&self) -> EventRef<'_> {
        // The values were checked when they were set.
        EventRef {
            data: &self.data,
            event_type: self.event_type.as_deref(),
            id: self.id.as_deref(),
            retry: self.retry,
            comment: self.comment.as_deref(),
        }
    }

    /// The exact number of bytes [`encode_into`](Self::encode_into) writes for this event.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::Event::new("a\nb");
    /// assert_eq!(event.encoded_len(), event.to_bytes().len());
    /// ```
    pub fn encoded_len(&self) -> usize {
        encode::event_len(&self.as_event_ref())
    }

    /// Appends the event's wire form to `buf`, growing it at most once.
    ///
    /// Reuse one buffer across events and split each frame off it
    /// (`buf.split().freeze()`) to avoid an allocation per event.
    ///
    /// # Example
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use ssekit_core::Event;
    ///
    /// let mut buf = BytesMut::new();
    /// Event::new(" leading space").encode_into(&mut buf);
    /// Event::new("").encode_into(&mut buf);
    /// assert_eq!(&buf[..], b"data:  leading space\n\ndata: \n\n");
    /// ```
    pub fn encode_into(&self, buf: &mut BytesMut) {
        encode::encode_event(&self.as_event_ref(), buf);
    }

    /// The event's wire form. Encode once and clone the [`Bytes`] to send one event to many
    /// clients: clones share the same memory.
    ///
    /// # Example
    ///
    /// ```
    /// let frame = ssekit_core::Event::new("héllo").to_bytes();
    /// assert_eq!(frame, "data: héllo\n\n");
    /// ```
    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode_into(&mut buf);
        buf.freeze()
    }
}

/// A field of an [`Event`] whose value is checked, named in a [`FieldError`].
///
/// # Example
///
/// ```
/// assert_eq!(ssekit_core::Field::EventType.to_string(), "event type");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The `event` field.
    EventType,
    /// The `id` field.
    Id,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EventType => "event type",
            Self::Id => "id",
        })
    }
}

/// A value that cannot go into an event field without changing what the client receives.
///
/// # Example
///
/// ```
/// use ssekit_core::{Event, FieldError};
///
/// let error: FieldError = Event::new("x").with_id("1\r\n\r\ndata: forged").unwrap_err();
/// assert_eq!(error.to_string(), "id holds a line break");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldError {
    /// The value holds a CR or LF, which would end the field's line early.
    LineBreak {
        /// The field the value was meant for.
        field: Field,
    },
    /// The id holds U+0000, which makes a decoder ignore the whole `id` field.
    NullInId,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LineBreak { field } => write!(f, "{field} holds a line break"),
            Self::NullInId => f.write_str("id holds U+0000"),
        }
    }
}

impl std::error::Error for FieldError {}

fn check_single_line(value: &str, field: Field) -> Result<(), FieldError> {
    if scan::has_line_ending(value.as_bytes()) {
        Err(FieldError::LineBreak { field })
    } else {
        Ok(())
    }
}

/// Checks that `id` can be sent as an event id (or a `Last-Event-ID` header) and read back
/// unchanged.
pub(crate) fn check_id(id: &str) -> Result<(), FieldError> {
    check_single_line(id, Field::Id)?;
    if scan::has_nul(id.as_bytes()) {
        Err(FieldError::NullInId)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_with_cr_is_refused() {
        assert_eq!(
            Event::new("x").with_event_type("a\rb"),
            Err(FieldError::LineBreak {
                field: Field::EventType
            })
        );
    }

    #[test]
    fn id_with_lf_is_refused() {
        assert_eq!(
            Event::new("x").with_id("a\nb"),
            Err(FieldError::LineBreak { field: Field::Id })
        );
    }

    #[test]
    fn id_with_unicode_line_separator_is_accepted() {
        // U+2028 is no line break for the protocol: only CR and LF end a line.
        let event = Event::new("x").with_id("a\u{2028}b").unwrap();
        assert_eq!(event.id(), Some("a\u{2028}b"));
    }
}
