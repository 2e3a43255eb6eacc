//! An event built over borrowed strings: encoded with no allocation and no copy of its values
//! before they reach the buffer.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::{Event, Field, FieldError, check_id, check_single_line};
use crate::encode;

/// An [`Event`] whose values are borrowed: the same builder and the same checks, but
/// building one allocates nothing, and encoding it copies each value once, straight into the
/// buffer. For a server that already holds the data (a message it serialized, a frame from
/// a queue) and writes many events into one reused buffer.
///
/// [`Event::as_event_ref`] borrows an `Event` this way; [`EventRef::to_event`] makes an
/// owned one.
///
/// # Example
///
/// ```
/// use bytes::BytesMut;
/// use ssekit_core::EventRef;
///
/// let payloads = ["{\"n\":1}", "{\"n\":2}"];
/// let mut buf = BytesMut::new();
/// for (n, payload) in payloads.iter().enumerate() {
///     let id = n.to_string();
///     EventRef::new(payload).with_id(&id)?.encode_into(&mut buf);
///     // ... write `buf` to the connection ...
///     # let expected = format!("id: {n}\ndata: {payload}\n\n");
///     # assert_eq!(buf, expected.as_bytes());
///     buf.clear();
/// }
/// # Ok::<(), ssekit_core::FieldError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EventRef<'a> {
    pub(super) data: &'a str,
    pub(super) event_type: Option<&'a str>,
    pub(super) id: Option<&'a str>,
    pub(super) retry: Option<Duration>,
    pub(super) comment: Option<&'a str>,
}

impl<'a> EventRef<'a> {
    /// An event with this data and nothing else; its type is `message` for the client.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::EventRef::new("hello");
    /// assert_eq!(event.to_bytes(), "data: hello\n\n");
    /// ```
    #[must_use]
    pub fn new(data: &'a str) -> Self {
        Self {
            data,
            ..Self::default()
        }
    }

    /// Sets the event type, as [`Event::with_event_type`] does: refused if it holds a CR or
    /// LF.
    ///
    /// # Errors
    ///
    /// [`FieldError::LineBreak`] if `event_type` holds a CR or LF.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::EventRef::new("x").with_event_type("update")?;
    /// assert_eq!(event.to_bytes(), "event: update\ndata: x\n\n");
    /// assert!(ssekit_core::EventRef::new("x").with_event_type("a\nb").is_err());
    /// # Ok::<(), ssekit_core::FieldError>(())
    /// ```
    pub fn with_event_type(mut self, event_type: &'a str) -> Result<Self, FieldError> {
        check_single_line(event_type, Field::EventType)?;
        self.event_type = Some(event_type);
        Ok(self)
    }

    /// Sets the id, as [`Event::with_id`] does: refused if it holds a CR, LF or NUL.
    ///
    /// # Errors
    ///
    /// [`FieldError::LineBreak`] for a CR or LF, [`FieldError::NullInId`] for a NUL.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::EventRef::new("x").with_id("42")?;
    /// assert_eq!(event.to_bytes(), "id: 42\ndata: x\n\n");
    /// assert!(ssekit_core::EventRef::new("x").with_id("4\u{0}2").is_err());
    /// # Ok::<(), ssekit_core::FieldError>(())
    /// ```
    pub fn with_id(mut self, id: &'a str) -> Result<Self, FieldError> {
        check_id(id)?;
        self.id = Some(id);
        Ok(self)
    }

    /// Sets the reconnection time the client should use, as [`Event::with_retry`] does.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let event = ssekit_core::EventRef::new("x").with_retry(Duration::from_millis(2500));
    /// assert_eq!(event.to_bytes(), "retry: 2500\ndata: x\n\n");
    /// ```
    #[must_use]
    pub fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Adds a comment before the fields, as [`Event::with_comment`] does (each of its lines
    /// becomes a comment line).
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::EventRef::new("x").with_comment("note");
    /// assert_eq!(event.to_bytes(), ":note\ndata: x\n\n");
    /// ```
    #[must_use]
    pub fn with_comment(mut self, comment: &'a str) -> Self {
        self.comment = Some(comment);
        self
    }

    /// The data.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::EventRef::new("hi").data(), "hi");
    /// ```
    pub fn data(&self) -> &'a str {
        self.data
    }

    /// The event type, if set.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::EventRef::new("x").with_event_type("tick")?;
    /// assert_eq!(event.event_type(), Some("tick"));
    /// # Ok::<(), ssekit_core::FieldError>(())
    /// ```
    pub fn event_type(&self) -> Option<&'a str> {
        self.event_type
    }

    /// The id, if set.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::EventRef::new("x").with_id("7")?;
    /// assert_eq!(event.id(), Some("7"));
    /// # Ok::<(), ssekit_core::FieldError>(())
    /// ```
    pub fn id(&self) -> Option<&'a str> {
        self.id
    }

    /// The reconnection time, if set.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let event = ssekit_core::EventRef::new("x").with_retry(Duration::from_secs(1));
    /// assert_eq!(event.retry(), Some(Duration::from_secs(1)));
    /// ```
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// The comment, if set.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::EventRef::new("x").with_comment("c");
    /// assert_eq!(event.comment(), Some("c"));
    /// ```
    pub fn comment(&self) -> Option<&'a str> {
        self.comment
    }

    /// How many bytes [`encode_into`](Self::encode_into) appends.
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::EventRef::new("a\nb");
    /// assert_eq!(event.encoded_len(), "data: a\ndata: b\n\n".len());
    /// ```
    pub fn encoded_len(&self) -> usize {
        encode::event_len(self)
    }

    /// Appends the event's bytes to `buf`: the same bytes as [`Event::encode_into`] for the
    /// same values.
    ///
    /// # Example
    ///
    /// ```
    /// let mut buf = bytes::BytesMut::new();
    /// ssekit_core::EventRef::new("one\ntwo").encode_into(&mut buf);
    /// assert_eq!(buf, "data: one\ndata: two\n\n");
    /// ```
    pub fn encode_into(&self, buf: &mut BytesMut) {
        encode::encode_event(self, buf);
    }

    /// The event's bytes, in a buffer of exactly their size.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::EventRef::new("hi").to_bytes(), "data: hi\n\n");
    /// ```
    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode_into(&mut buf);
        buf.freeze()
    }

    /// An owned [`Event`] with the same values (they were checked already).
    ///
    /// # Example
    ///
    /// ```
    /// let event = ssekit_core::EventRef::new("x").with_id("1")?.to_event();
    /// assert_eq!(event, ssekit_core::Event::new("x").with_id("1")?);
    /// # Ok::<(), ssekit_core::FieldError>(())
    /// ```
    #[must_use]
    pub fn to_event(&self) -> Event {
        // The values were checked when they were set.
        Event {
            data: self.data.to_owned(),
            event_type: self.event_type.map(str::to_owned),
            id: self.id.map(str::to_owned),
            retry: self.retry,
            comment: self.comment.map(str::to_owned),
        }
    }
}

impl<'a> From<&'a Event> for EventRef<'a> {
    fn from(event: &'a Event) -> Self {
        event.as_event_ref()
    }
}

impl From<EventRef<'_>> for Event {
    fn from(event: EventRef<'_>) -> Self {
        event.to_event()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_and_its_borrowed_form_write_the_same_bytes() {
        let event = Event::new(" lead\r\nsecond\rthird\n")
            .with_event_type("update")
            .unwrap()
            .with_id("9")
            .unwrap()
            .with_retry(Duration::from_millis(1500))
            .with_comment("c1\nc2");
        let borrowed = event.as_event_ref();
        assert_eq!(borrowed.to_bytes(), event.to_bytes());
        assert_eq!(borrowed.encoded_len(), event.encoded_len());
        assert_eq!(borrowed.to_event(), event);
        assert_eq!(Event::from(EventRef::from(&event)), event);
    }

    #[test]
    fn the_same_values_are_refused() {
        assert_eq!(
            EventRef::new("x").with_event_type("a\rb"),
            Err(FieldError::LineBreak {
                field: Field::EventType
            })
        );
        assert_eq!(
            EventRef::new("x").with_id("a\nb"),
            Err(FieldError::LineBreak { field: Field::Id })
        );
        assert_eq!(
            EventRef::new("x").with_id("a\0b"),
            Err(FieldError::NullInId)
        );
    }
}
