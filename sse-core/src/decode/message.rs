//! What the decoder delivers.

use std::borrow::Cow;
use std::time::Duration;

use bytestring::ByteString;

/// The event type a message has when the stream set none.
const DEFAULT_EVENT_TYPE: &str = "message";

/// One item the [`Decoder`](crate::Decoder) completes.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ssekit_core::{Decoded, Decoder};
///
/// let mut decoder = Decoder::new();
/// decoder.set_emit_comments(true);
/// decoder.push(b": keep-alive\nretry: 500\ndata: hi\n\n");
/// assert_eq!(decoder.next_decoded()?, Some(Decoded::Comment(" keep-alive".into())));
/// assert_eq!(decoder.next_decoded()?, Some(Decoded::Retry(Duration::from_millis(500))));
/// assert!(matches!(decoder.next_decoded()?, Some(Decoded::Message(m)) if m.data() == "hi"));
/// # Ok::<(), ssekit_core::DecodeError>(())
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
/// Long data (over 512 bytes) that a decoder delivers is not a copy: it shares the
/// decoder's buffer (a reference-counted [`ByteString`]), which is reused once the messages
/// cut from it are dropped. A message kept for long keeps that buffer; copy what you keep
/// (`message.data().to_owned()`) where that matters.
///
/// # Example
///
/// ```
/// use ssekit_core::{Decoded, Decoder, Message};
///
/// let mut decoder = Decoder::new();
/// decoder.push(b"id: 7\ndata: a\ndata: b\n\n");
/// let Some(Decoded::Message(message)) = decoder.next_decoded()? else { panic!() };
/// assert_eq!(message, Message::new("message", "a\nb", "7"));
/// # Ok::<(), ssekit_core::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    /// Empty for the default type, so that `event: message` and no `event` line compare equal.
    event_type: String,
    data: MessageData,
    last_event_id: String,
}

/// A message's data: copied, where it is short, or shared with the decoder's buffer.
#[derive(Clone, Debug)]
pub(super) enum MessageData {
    Copied(String),
    Shared(ByteString),
}

impl MessageData {
    #[inline]
    fn as_str(&self) -> &str {
        match self {
            Self::Copied(text) => text,
            Self::Shared(text) => text,
        }
    }
}

impl PartialEq for MessageData {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for MessageData {}

impl std::hash::Hash for MessageData {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Message {
    /// Builds a message, as a decoder would deliver it; handy in tests.
    ///
    /// # Example
    ///
    /// ```
    /// let message = ssekit_core::Message::new("", "data", "");
    /// assert_eq!(message.event_type(), "message");
    /// ```
    pub fn new(
        event_type: impl Into<String>,
        data: impl Into<String>,
        last_event_id: impl Into<String>,
    ) -> Self {
        Self::from_parts(
            event_type.into(),
            MessageData::Copied(data.into()),
            last_event_id.into(),
        )
    }

    pub(super) fn from_parts(
        mut event_type: String,
        data: MessageData,
        last_event_id: String,
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
    /// assert_eq!(ssekit_core::Message::new("tick", "", "").event_type(), "tick");
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
    /// assert_eq!(ssekit_core::Message::new("", "a\nb", "").data(), "a\nb");
    /// ```
    pub fn data(&self) -> &str {
        self.data.as_str()
    }

    /// The stream's last event id when this event was delivered: the last `id` field seen so
    /// far in the stream, not necessarily one in this event. Empty until an id is set.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::Message::new("", "", "41").last_event_id(), "41");
    /// ```
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Takes the data out, without copying it (long data shares the decoder's buffer). A [`ByteString`] derefs to `str`, and its
    /// [`into_bytes`](ByteString::into_bytes) gives the [`bytes::Bytes`] under it.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::ByteString;
    ///
    /// let data: ByteString = ssekit_core::Message::new("", "payload", "").into_data();
    /// assert_eq!(data, "payload");
    /// assert_eq!(String::from(data), "payload");
    /// ```
    pub fn into_data(self) -> ByteString {
        match self.data {
            MessageData::Copied(text) => text.into(),
            MessageData::Shared(text) => text,
        }
    }
}

/// One item the [`Decoder`](crate::Decoder) completes, borrowing its text from the decoder
/// until the next call: see [`Decoder::next_decoded_ref`](crate::Decoder::next_decoded_ref).
///
/// # Example
///
/// ```
/// use ssekit_core::{Decoded, DecodedRef, Decoder};
///
/// let mut decoder = Decoder::new();
/// decoder.push(b"retry: 10\ndata: x\n\n");
/// let first = decoder.next_decoded_ref()?.unwrap();
/// assert!(matches!(first, DecodedRef::Retry(_)));
/// let second: Decoded = decoder.next_decoded_ref()?.unwrap().into_owned();
/// assert!(matches!(second, Decoded::Message(m) if m.data() == "x"));
/// # Ok::<(), ssekit_core::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodedRef<'a> {
    /// An event, delivered at the blank line that ends it.
    Message(MessageRef<'a>),
    /// A `retry` field that the decoder took: the new reconnection time.
    Retry(Duration),
    /// A comment line's text after the colon (only when asked for).
    Comment(Cow<'a, str>),
}

impl DecodedRef<'_> {
    /// The same item, owning its text.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Decoded, DecodedRef};
    ///
    /// let owned = DecodedRef::Comment("ping".into()).into_owned();
    /// assert_eq!(owned, Decoded::Comment("ping".to_string()));
    /// ```
    pub fn into_owned(self) -> Decoded {
        match self {
            Self::Message(message) => Decoded::Message(message.into_owned()),
            Self::Retry(retry) => Decoded::Retry(retry),
            Self::Comment(text) => Decoded::Comment(text.into_owned()),
        }
    }
}

/// An event as a client receives it, borrowing its text from the decoder. Text that was
/// valid UTF-8 is borrowed as it arrived; text that was not is replaced (U+FFFD) into a copy.
///
/// # Example
///
/// ```
/// use ssekit_core::{DecodedRef, Decoder, Message};
///
/// let mut decoder = Decoder::new();
/// decoder.push(b"id: 3\nevent: tick\ndata: a\n\n");
/// let Some(DecodedRef::Message(message)) = decoder.next_decoded_ref()? else { panic!() };
/// assert_eq!((message.event_type(), message.data(), message.last_event_id()), ("tick", "a", "3"));
/// assert_eq!(message.into_owned(), Message::new("tick", "a", "3"));
/// # Ok::<(), ssekit_core::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRef<'a> {
    /// Empty for the default type.
    event_type: Cow<'a, str>,
    data: Cow<'a, str>,
    last_event_id: &'a str,
}

impl<'a> MessageRef<'a> {
    pub(crate) fn new(
        event_type: Cow<'a, str>,
        data: Cow<'a, str>,
        last_event_id: &'a str,
    ) -> Self {
        Self {
            event_type,
            data,
            last_event_id,
        }
    }

    /// The event type, `message` if the stream set none.
    ///
    /// # Example
    ///
    /// ```
    /// let mut decoder = ssekit_core::Decoder::new();
    /// decoder.push(b"data: x\n\n");
    /// let Some(ssekit_core::DecodedRef::Message(message)) = decoder.next_decoded_ref()? else { panic!() };
    /// assert_eq!(message.event_type(), "message");
    /// # Ok::<(), ssekit_core::DecodeError>(())
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
    /// let mut decoder = ssekit_core::Decoder::new();
    /// decoder.push(b"data: a\ndata: b\n\n");
    /// let Some(ssekit_core::DecodedRef::Message(message)) = decoder.next_decoded_ref()? else { panic!() };
    /// assert_eq!(message.data(), "a\nb");
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The stream's last event id when this event was delivered.
    ///
    /// # Example
    ///
    /// ```
    /// let mut decoder = ssekit_core::Decoder::new();
    /// decoder.push(b"id: 9\ndata: x\n\n");
    /// let Some(ssekit_core::DecodedRef::Message(message)) = decoder.next_decoded_ref()? else { panic!() };
    /// assert_eq!(message.last_event_id(), "9");
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    pub fn last_event_id(&self) -> &str {
        self.last_event_id
    }

    /// The same message, owning its text: one allocation for the data, one for a type that
    /// was set; the last event id is shared, not copied.
    ///
    /// # Example
    ///
    /// ```
    /// let mut decoder = ssekit_core::Decoder::new();
    /// decoder.push(b"data: x\n\n");
    /// let Some(ssekit_core::DecodedRef::Message(message)) = decoder.next_decoded_ref()? else { panic!() };
    /// let owned: ssekit_core::Message = message.into_owned();
    /// assert_eq!(owned.data(), "x");
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    pub fn into_owned(self) -> Message {
        Message::from_parts(
            self.event_type.into_owned(),
            MessageData::Copied(self.data.into_owned()),
            self.last_event_id.to_owned(),
        )
    }
}
