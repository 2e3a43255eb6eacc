//! JSON event data (the `json` feature): [`Event::json`] serializes a value into an event's
//! data, [`Message::json`] and [`MessageRef::json`] parse a delivered message's data, and
//! both report a [`JsonError`] that does not expose `serde_json`'s own type.
//!
//! The encoder needs no help from this module: compact JSON holds no CR or LF (`serde_json`
//! escapes them inside strings), so it goes on one `data:` line, and every line break of
//! pretty JSON starts a `data:` line of its own, which the decoder joins back with LF.

use std::error::Error;
use std::fmt;

use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned};

use crate::{Event, Message, MessageRef};

impl Event {
    /// Builds an event whose data is `value` as compact JSON, serialized straight into the
    /// string the event keeps (no second copy). Compact JSON holds no line break, so the
    /// data goes on a single `data:` line.
    ///
    /// # Errors
    ///
    /// A [`JsonError`] of kind [`JsonErrorKind::Serialize`] if `serde_json` cannot write the
    /// value: a map whose keys are not strings, or a `Serialize` impl that fails.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::Event;
    ///
    /// let event = Event::json(&serde_json::json!({"n": 1, "tags": ["a", "b"]}))?.with_id("1")?;
    /// assert_eq!(event.to_bytes(), "id: 1\ndata: {\"n\":1,\"tags\":[\"a\",\"b\"]}\n\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, JsonError> {
        serde_json::to_string(value)
            .map(Self::new)
            .map_err(JsonError::serialize)
    }

    /// Builds an event whose data is `value` as pretty-printed JSON: easier to read in a
    /// browser's network tab, at the cost of the indentation's bytes. Each line of it goes
    /// on a `data:` line of its own, and the client receives the same text (the decoder
    /// joins the lines with LF), which parses to the same value.
    ///
    /// # Errors
    ///
    /// A [`JsonError`] of kind [`JsonErrorKind::Serialize`] if `serde_json` cannot write the
    /// value, as for [`Event::json`].
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::Event;
    ///
    /// let event = Event::json_pretty(&serde_json::json!({"n": 1}))?;
    /// assert_eq!(event.to_bytes(), "data: {\ndata:   \"n\": 1\ndata: }\n\n");
    /// # Ok::<(), ssekit_core::JsonError>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json_pretty<T: Serialize + ?Sized>(value: &T) -> Result<Self, JsonError> {
        serde_json::to_string_pretty(value)
            .map(Self::new)
            .map_err(JsonError::serialize)
    }
}

impl Message {
    /// Parses the message's data as JSON.
    ///
    /// # Errors
    ///
    /// A [`JsonError`] whose [`kind`](JsonError::kind) says whether the data is not JSON
    /// ([`Syntax`](JsonErrorKind::Syntax)), stops before the JSON is complete
    /// ([`Eof`](JsonErrorKind::Eof)) or is JSON of another shape than `T`
    /// ([`Data`](JsonErrorKind::Data)).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Decoded, Decoder};
    ///
    /// let mut decoder = Decoder::new();
    /// decoder.push(b"data: {\"n\":\ndata: [1, 2]}\n\n");
    /// let Some(Decoded::Message(message)) = decoder.next_decoded()? else { panic!() };
    /// let value: serde_json::Value = message.json()?;
    /// assert_eq!(value, serde_json::json!({"n": [1, 2]}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, JsonError> {
        serde_json::from_str(self.data()).map_err(JsonError::deserialize)
    }
}

impl MessageRef<'_> {
    /// Parses the message's data as JSON. `T` may borrow from the data (`&str` fields, or
    /// `Cow<str>` ones with `#[serde(borrow)]` for strings that may hold escapes), so a
    /// message read with [`Decoder::next_decoded_ref`](crate::Decoder::next_decoded_ref)
    /// can be parsed with no copy of its text.
    ///
    /// # Errors
    ///
    /// A [`JsonError`] of kind [`Syntax`](JsonErrorKind::Syntax),
    /// [`Eof`](JsonErrorKind::Eof) or [`Data`](JsonErrorKind::Data), as for
    /// [`Message::json`]. A `&str` field meets a string with an escape in it with a `Data`
    /// error: `serde_json` must unescape that string into a copy.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{DecodedRef, Decoder};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Delta<'a> {
    ///     content: &'a str,
    /// }
    ///
    /// let mut decoder = Decoder::new();
    /// decoder.push(b"data: {\"content\":\"Hel\"}\n\n");
    /// let Some(DecodedRef::Message(message)) = decoder.next_decoded_ref()? else { panic!() };
    /// let delta: Delta<'_> = message.json()?;
    /// assert_eq!(delta.content, "Hel");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json<'de, T: Deserialize<'de>>(&'de self) -> Result<T, JsonError> {
        serde_json::from_str(self.data()).map_err(JsonError::deserialize)
    }
}

/// Event data that could not be turned into JSON or read as JSON: what went wrong
/// ([`kind`](Self::kind)) and, for data that was read, where ([`line`](Self::line),
/// [`column`](Self::column)). The underlying error is its [`source`](Error::source).
///
/// # Example
///
/// ```
/// use ssekit_core::{JsonErrorKind, Message};
///
/// let error = Message::new("", "{\"n\": 1,}", "").json::<serde_json::Value>().unwrap_err();
/// assert_eq!(error.kind(), JsonErrorKind::Syntax);
/// assert_eq!((error.line(), error.column()), (Some(1), Some(9)));
/// assert_eq!(error.to_string(), "invalid json in event data at line 1 column 9: trailing comma");
/// ```
#[derive(Debug)]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub struct JsonError {
    kind: JsonErrorKind,
    source: serde_json::Error,
}

/// What kind of [`JsonError`] happened.
///
/// # Example
///
/// ```
/// use ssekit_core::{JsonErrorKind, Message};
///
/// let cut_short = Message::new("", "[1, 2", "");
/// let error = cut_short.json::<Vec<u8>>().unwrap_err();
/// assert_eq!(error.kind(), JsonErrorKind::Eof);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub enum JsonErrorKind {
    /// The data is not JSON: a character that no JSON text may hold where it stands.
    Syntax,
    /// The data is valid JSON of another shape than the type asked for (a string for a
    /// number, a missing field).
    Data,
    /// The data ends before its JSON does, as when the sender cut the value short.
    Eof,
    /// `serde_json` cannot write the value: a map whose keys are not strings, or a
    /// `Serialize` impl that failed.
    Serialize,
}

impl JsonError {
    fn serialize(source: serde_json::Error) -> Self {
        Self {
            kind: JsonErrorKind::Serialize,
            source,
        }
    }

    fn deserialize(source: serde_json::Error) -> Self {
        let kind = match source.classify() {
            serde_json::error::Category::Syntax => JsonErrorKind::Syntax,
            serde_json::error::Category::Eof => JsonErrorKind::Eof,
            // Parsing a `&str` does no I/O, so only `Data` is left in practice.
            serde_json::error::Category::Data | serde_json::error::Category::Io => {
                JsonErrorKind::Data
            }
        };
        Self { kind, source }
    }

    /// What went wrong.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{JsonErrorKind, Message};
    ///
    /// let error = Message::new("", "\"seven\"", "").json::<u32>().unwrap_err();
    /// assert_eq!(error.kind(), JsonErrorKind::Data);
    /// ```
    pub fn kind(&self) -> JsonErrorKind {
        self.kind
    }

    /// The line of the event's data at which reading stopped, counting from 1 (the data's
    /// lines are its `data:` lines); `None` for an error in writing a value.
    ///
    /// # Example
    ///
    /// ```
    /// let error = ssekit_core::Message::new("", "{\n\"n\": nul}", "")
    ///     .json::<serde_json::Value>()
    ///     .unwrap_err();
    /// assert_eq!(error.line(), Some(2));
    /// ```
    pub fn line(&self) -> Option<usize> {
        self.position().map(|(line, _)| line)
    }

    /// The column (in bytes, counting from 1) of [`line`](Self::line) at which reading
    /// stopped; `None` for an error in writing a value.
    ///
    /// # Example
    ///
    /// ```
    /// let error = ssekit_core::Message::new("", "[1, x]", "")
    ///     .json::<Vec<u8>>()
    ///     .unwrap_err();
    /// assert_eq!(error.column(), Some(5));
    /// ```
    pub fn column(&self) -> Option<usize> {
        self.position().map(|(_, column)| column)
    }

    /// Line and column, if the error has a position: `serde_json` says line 0 when it has
    /// none.
    fn position(&self) -> Option<(usize, usize)> {
        match self.source.line() {
            0 => None,
            line => Some((line, self.source.column())),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            JsonErrorKind::Syntax => "invalid json in event data",
            JsonErrorKind::Data => "json in event data does not fit the type",
            JsonErrorKind::Eof => "json in event data ends early",
            JsonErrorKind::Serialize => "value cannot be written as json",
        };
        let message = self.source.to_string();
        match self.position() {
            Some((line, column)) => {
                // serde_json ends its message with the position; we give it first, once.
                let position = format!(" at line {line} column {column}");
                let message = message.strip_suffix(&position).unwrap_or(&message);
                write!(f, "{what}{position}: {message}")
            }
            None => write!(f, "{what}: {message}"),
        }
    }
}

impl Error for JsonError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}
