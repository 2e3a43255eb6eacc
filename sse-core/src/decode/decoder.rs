//! The decoder: bytes in, [`Decoded`] items out, with no I/O, clock or runtime.

use std::borrow::Cow;
use std::ops::Range;
use std::time::Duration;

use bytes::BytesMut;

use super::error::DecodeError;
use super::limits::Limits;
use super::lines::{LineReader, Scan};
use super::message::{Decoded, DecodedRef, Message, MessageData, MessageRef};
use super::text_buf::{TextBuf, shared_text};
use crate::scan::has_nul;

/// The fields whose value belongs to the event being built: losing one of their lines to a
/// limit loses the event.
const EVENT_FIELDS: [&[u8]; 3] = [b"data", b"event", b"id"];

/// How many bytes at the start of a line tell whether it holds one of [`EVENT_FIELDS`]: the
/// longest name and its colon.
const FIELD_NAME_HEAD: usize = "event:".len();

/// An incremental `text/event-stream` decoder: push bytes as they arrive, pull the items they
/// complete.
///
/// It follows the WHATWG HTML standard's event stream interpretation for every byte sequence
/// and every way of cutting it into chunks: CR, LF and CRLF line endings (a CRLF split across
/// two chunks is one line ending), one leading byte order mark dropped, invalid UTF-8 turned
/// into U+FFFD as browsers do, and an event that the stream ends before its blank line
/// dropped. No byte sequence is an error: only the [`Limits`] are.
///
/// Each byte is searched for a line ending once, however the input is chunked. The decoder
/// holds what you push until you pull it, so pull until `Ok(None)` after each push; then it
/// holds at most one partial line (up to the line limit) and one event's data (up to the
/// event limit), see [`buffered_len`](Self::buffered_len).
///
/// # Example
///
/// ```
/// use ssekit_core::{Decoded, Decoder, Message};
///
/// let mut decoder = Decoder::new();
/// decoder.push(b"event: greeting\ndata: hel");
/// assert_eq!(decoder.next_decoded()?, None); // push more bytes
/// decoder.push(b"lo\r");
/// decoder.push(b"\n\r\n");
/// assert_eq!(
///     decoder.next_decoded()?,
///     Some(Decoded::Message(Message::new("greeting", "hello", "")))
/// );
/// decoder.finish();
/// assert_eq!(decoder.next_decoded()?, None);
/// # Ok::<(), ssekit_core::DecodeError>(())
/// ```
#[derive(Debug)]
pub struct Decoder {
    lines: LineReader,
    /// The rest of the line being read is dropped: it outgrew the line limit.
    skipping_line: bool,
    /// The first bytes of the line being skipped (at most [`FIELD_NAME_HEAD`]), to tell once
    /// it ends whether it held a field of the event. Deciding at the end, from the line
    /// alone, keeps the outcome the same however the line was chunked.
    skipped_head: Vec<u8>,
    state: StreamState,
}

impl Decoder {
    /// A decoder with the default [`Limits`].
    ///
    /// # Example
    ///
    /// ```
    /// let decoder = ssekit_core::Decoder::new();
    /// assert_eq!(decoder.last_event_id(), "");
    /// ```
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A decoder with these limits.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Decoder, Limits};
    ///
    /// let decoder = Decoder::with_limits(Limits::unlimited());
    /// assert_eq!(decoder.limits(), Limits::unlimited());
    /// ```
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            lines: LineReader::new(),
            skipping_line: false,
            skipped_head: Vec::new(),
            state: StreamState::new(limits),
        }
    }

    /// Starts the last event id at `id`, as a reconnecting client must: the id it kept from
    /// its previous connection (the standard keeps one last-event-id buffer for the
    /// `EventSource`, not one per connection). Events with no `id:` field carry it; an
    /// `id:` field replaces it; an empty one clears it. An `id` holding U+0000 is ignored, as
    /// such a field would be.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Decoded, Decoder};
    ///
    /// let mut decoder = Decoder::new().with_last_event_id("41");
    /// decoder.push(b"data: no id of its own\n\n");
    /// let Some(Decoded::Message(message)) = decoder.next_decoded()? else { panic!() };
    /// assert_eq!(message.last_event_id(), "41");
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    #[must_use]
    pub fn with_last_event_id(mut self, id: impl Into<String>) -> Self {
        let id = id.into();
        if !id.contains('\0') {
            self.state.last_event_id = id;
        }
        self
    }

    /// Whether comment lines come out as [`Decoded::Comment`] (off by default). Turn it on to
    /// see a server's keep-alive comments.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Decoded, Decoder};
    ///
    /// let mut decoder = Decoder::new();
    /// decoder.set_emit_comments(true);
    /// decoder.push(b":ping\n");
    /// assert_eq!(decoder.next_decoded()?, Some(Decoded::Comment("ping".into())));
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    pub fn set_emit_comments(&mut self, emit: bool) {
        self.state.emit_comments = emit;
    }

    /// Adds bytes to decode. Pull what they complete with
    /// [`next_decoded`](Self::next_decoded). Bytes pushed after [`finish`](Self::finish) are
    /// ignored.
    ///
    /// # Example
    ///
    /// ```
    /// let mut decoder = ssekit_core::Decoder::new();
    /// decoder.push(b"data: x\n");
    /// decoder.push(bytes::Bytes::from_static(b"\n"));
    /// assert!(decoder.next_decoded()?.is_some());
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    pub fn push(&mut self, bytes: impl AsRef<[u8]>) {
        self.push_slice(bytes.as_ref());
    }

    /// [`push`](Self::push), compiled once here rather than into each caller: inlined into
    /// the `Stream` adapter's poll loop, it had made that loop a third slower on 1-64 byte
    /// chunks, and the same code ran 20-30% apart in two benchmark programs.
    #[inline(never)]
    fn push_slice(&mut self, bytes: &[u8]) {
        self.state.end_dispatch();
        if self.lines.compacts_before(bytes.len()) {
            // The reader drops consumed bytes: first copy out what the event reads there.
            self.state.own_data(&self.lines);
            self.lines.compact();
        }
        self.lines.push(bytes);
    }

    /// Says the stream has ended. What is already complete can still be pulled; the line and
    /// the event that the stream ended in are dropped, as the spec says.
    ///
    /// # Example
    ///
    /// ```
    /// let mut decoder = ssekit_core::Decoder::new();
    /// decoder.push(b"data: never closed\n");
    /// decoder.finish();
    /// assert_eq!(decoder.next_decoded()?, None);
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    pub fn finish(&mut self) {
        self.lines.finish();
    }

    /// The next item the pushed bytes complete, or `Ok(None)` when more bytes are needed (or,
    /// after [`finish`](Self::finish), when the stream is done).
    ///
    /// The message owns its text. To read it without a copy, see
    /// [`next_decoded_ref`](Self::next_decoded_ref).
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when a limit trips. The decoder skips what the error describes and
    /// carries on: keep pulling.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Decoded, Decoder};
    ///
    /// let mut decoder = Decoder::new();
    /// decoder.push(b"data: 1\n\ndata: 2\n\n");
    /// let mut data = Vec::new();
    /// while let Some(decoded) = decoder.next_decoded()? {
    ///     if let Decoded::Message(message) = decoded {
    ///         data.push(message.into_data());
    ///     }
    /// }
    /// assert_eq!(data, ["1", "2"]);
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    // Inlined into the caller's loop, across crates: without it each item cost a call that
    // saved a dozen registers and returned the item through memory. `#[inline]` alone was
    // not taken (the instructions did not change).
    #[allow(
        clippy::inline_always,
        reason = "owned D 16 KiB with thin LTO 31.6-31.7 to 23.0-24.1 ms; fewer instructions on every corpus in both profiles"
    )]
    #[inline(always)]
    pub fn next_decoded(&mut self) -> Result<Option<Decoded>, DecodeError> {
        let Some(outcome) = self.next_outcome()? else {
            return Ok(None);
        };
        Ok(Some(match outcome {
            Outcome::Dispatched => Decoded::Message(self.state.owned_message(&mut self.lines)),
            Outcome::Retry(retry) => Decoded::Retry(retry),
            Outcome::Comment(text) => Decoded::Comment(input_text(&self.lines, text).into_owned()),
        }))
    }

    /// Like [`next_decoded`](Self::next_decoded), but the item borrows its text from the
    /// decoder until the next call: a message whose data is a single line is read straight
    /// out of the pushed bytes, with no copy and no allocation.
    ///
    /// # Errors
    ///
    /// As [`next_decoded`](Self::next_decoded).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{DecodedRef, Decoder};
    ///
    /// let mut decoder = Decoder::new();
    /// decoder.push(b"data: {\"token\":\"hi\"}\n\n");
    /// let mut total = 0;
    /// while let Some(decoded) = decoder.next_decoded_ref()? {
    ///     if let DecodedRef::Message(message) = decoded {
    ///         total += message.data().len();
    ///     }
    /// }
    /// assert_eq!(total, 14);
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    // Inlined into the caller's loop, as `next_decoded` is: borrowed D 16 KiB with thin LTO
    // 14.4-15.1 to 9.0-9.6 ms.
    #[inline]
    pub fn next_decoded_ref(&mut self) -> Result<Option<DecodedRef<'_>>, DecodeError> {
        let Some(outcome) = self.next_outcome()? else {
            return Ok(None);
        };
        Ok(Some(match outcome {
            Outcome::Dispatched => DecodedRef::Message(self.state.message(&self.lines)),
            Outcome::Retry(retry) => DecodedRef::Retry(retry),
            Outcome::Comment(text) => DecodedRef::Comment(input_text(&self.lines, text)),
        }))
    }

    /// What the next item is; a message is read from the state, a comment from the input.
    ///
    /// The usual answer after the items of a push, that its bytes end within a line, is
    /// given where this is called; the lines are read out of line.
    #[allow(
        clippy::inline_always,
        reason = "the last pull after a push without a call: A and C with 1-64 B chunks +3%"
    )]
    #[inline(always)]
    fn next_outcome(&mut self) -> Result<Option<Outcome>, DecodeError> {
        if !self.skipping_line
            && self.lines.needs_more()
            && self.lines.partial_len() <= self.state.limits.max_line_len
        {
            self.state.end_dispatch();
            self.end_partial();
            return Ok(None);
        }
        self.read_lines()
    }

    /// Bytes held up to a line not yet ended, which may be read from the input: free the
    /// input when nothing reads from it.
    #[inline]
    fn end_partial(&mut self) {
        if !self.state.borrows_input() {
            self.lines.clear_if_consumed();
        }
    }

    /// [`next_outcome`](Self::next_outcome), reading lines.
    #[inline(never)]
    fn read_lines(&mut self) -> Result<Option<Outcome>, DecodeError> {
        self.state.end_dispatch();
        let outcome = loop {
            match self.lines.scan() {
                Scan::Line { start, end, next } => {
                    if !self.skipping_line {
                        if let Some(after) =
                            self.state
                                .single_line_event(self.lines.input(), start..end, next)
                        {
                            self.lines.consume_past(after);
                            break Outcome::Dispatched;
                        }
                    }
                    let outcome = if self.skipping_line {
                        self.skipping_line = false;
                        let line = &self.lines.input()[start..end];
                        let missing = FIELD_NAME_HEAD.saturating_sub(self.skipped_head.len());
                        self.skipped_head
                            .extend_from_slice(&line[..missing.min(line.len())]);
                        self.state.end_overlong_line(&self.skipped_head);
                        Ok(None)
                    } else if end - start > self.state.limits.max_line_len {
                        let error = self.state.overlong_line_error();
                        self.state
                            .end_overlong_line(head(&self.lines.input()[start..end]));
                        error.map_or(Ok(None), Err)
                    } else {
                        self.state.on_line(&self.lines, start..end)
                    };
                    self.lines.consume(next);
                    if let Some(outcome) = outcome? {
                        break outcome;
                    }
                }
                Scan::StartUndecided => return Ok(None),
                Scan::Partial if self.lines.is_finished() => {
                    self.lines.discard_partial();
                    self.skipping_line = false;
                    self.state.discard_event();
                    return Ok(None);
                }
                Scan::Partial if self.skipping_line => {
                    let missing = FIELD_NAME_HEAD.saturating_sub(self.skipped_head.len());
                    self.lines.partial_head(&mut self.skipped_head, missing);
                    self.lines.discard_partial();
                    return Ok(None);
                }
                Scan::Partial => {
                    if self.lines.partial_len() <= self.state.limits.max_line_len {
                        self.end_partial();
                        return Ok(None);
                    }
                    self.skipped_head.clear();
                    self.lines
                        .partial_head(&mut self.skipped_head, FIELD_NAME_HEAD);
                    self.lines.discard_partial();
                    self.skipping_line = true;
                    if let Some(error) = self.state.overlong_line_error() {
                        return Err(error);
                    }
                }
            }
        };
        Ok(Some(outcome))
    }

    /// The stream's last event id: what a client sends as `Last-Event-ID` when it
    /// reconnects. It changes when an event is dispatched (at a blank line), not at the `id`
    /// line itself.
    ///
    /// # Example
    ///
    /// ```
    /// let mut decoder = ssekit_core::Decoder::new();
    /// decoder.push(b"id: 3\n");
    /// while decoder.next_decoded()?.is_some() {}
    /// assert_eq!(decoder.last_event_id(), "");
    /// decoder.push(b"\n");
    /// while decoder.next_decoded()?.is_some() {}
    /// assert_eq!(decoder.last_event_id(), "3");
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    pub fn last_event_id(&self) -> &str {
        &self.state.last_event_id
    }

    /// The reconnection time the stream asked for with its last `retry` field, if any.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut decoder = ssekit_core::Decoder::new();
    /// decoder.push(b"retry: 1500\nretry: +5\n");
    /// while decoder.next_decoded()?.is_some() {}
    /// assert_eq!(decoder.reconnection_time(), Some(Duration::from_millis(1500)));
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.state.reconnection_time
    }

    /// How many bytes the decoder holds: pushed bytes not yet pulled, plus the event being
    /// built.
    ///
    /// # Example
    ///
    /// ```
    /// let mut decoder = ssekit_core::Decoder::new();
    /// decoder.push(b"data: abc\ndata: d");
    /// while decoder.next_decoded()?.is_some() {}
    /// assert_eq!(decoder.buffered_len(), 4 + 7); // "abc\n" gathered, "data: d" waiting
    /// # Ok::<(), ssekit_core::DecodeError>(())
    /// ```
    pub fn buffered_len(&self) -> usize {
        self.lines.partial_len() + self.state.buffered_len()
    }

    /// The limits this decoder enforces.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Decoder, Limits};
    ///
    /// assert_eq!(Decoder::new().limits(), Limits::default());
    /// ```
    pub fn limits(&self) -> Limits {
        self.state.limits
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

/// What a line asks the decoder to yield.
enum Outcome {
    /// The event was dispatched: [`StreamState::message`] has it.
    Dispatched,
    Retry(Duration),
    /// A comment, as a range of the input.
    Comment(Range<usize>),
}

/// The fields a line can set; any other name is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Data,
    Event,
    Id,
    Retry,
    Other,
}

impl Field {
    fn named(name: &[u8]) -> Self {
        match name {
            b"data" => Self::Data,
            b"event" => Self::Event,
            b"id" => Self::Id,
            b"retry" => Self::Retry,
            _ => Self::Other,
        }
    }
}

/// The interpretation of lines: the event being built and what outlives events.
#[derive(Debug)]
struct StreamState {
    limits: Limits,
    emit_comments: bool,
    /// The event being built was dropped by a limit: ignore its fields up to its blank line.
    skipping_event: bool,
    /// The event's only `data` value so far, still in the input; `data` is empty meanwhile.
    /// Most events have one data line: it is never copied for a borrowed message.
    first_data: Option<Range<usize>>,
    /// The data buffer once a second `data` line came: each value followed by LF. Values
    /// are decoded as they are appended (cut at ASCII bytes, they decode alike whole or in
    /// pieces), so that a message reads the buffers without a check.
    data: TextBuf,
    /// The data buffer instead, as bytes, once a value came from input held as bytes: then
    /// it is decoded once, when the message is read, rather than value by value.
    data_bytes: BytesMut,
    /// The data buffer's length in bytes as they arrived (what the limit counts), with
    /// `first_data` counted as if it were in `data`.
    data_len: usize,
    event_type: String,
    /// The event type's length as it arrived.
    event_type_len: usize,
    /// An `id` seen since the last dispatch, and its length as it arrived; `None` while the
    /// last-event-id buffer still equals `last_event_id`.
    pending_id: Option<(String, usize)>,
    /// The allocation of the last id buffer, kept for the next one.
    spare_id: String,
    last_event_id: String,
    reconnection_time: Option<Duration>,
    /// The last item borrowed the event's buffers: they are cleared at the next call.
    dispatched: bool,
}

impl StreamState {
    fn new(limits: Limits) -> Self {
        Self {
            limits,
            emit_comments: false,
            skipping_event: false,
            first_data: None,
            data: TextBuf::default(),
            data_bytes: BytesMut::new(),
            data_len: 0,
            event_type: String::new(),
            event_type_len: 0,
            pending_id: None,
            spare_id: String::new(),
            last_event_id: String::new(),
            reconnection_time: None,
            dispatched: false,
        }
    }

    /// Interprets `lines.input()[line]`.
    fn on_line(
        &mut self,
        lines: &LineReader,
        line: Range<usize>,
    ) -> Result<Option<Outcome>, DecodeError> {
        let input = lines.input();
        let text = &input[line.clone()];
        if text.is_empty() {
            self.skipping_event = false;
            return Ok(self.dispatch().then_some(Outcome::Dispatched));
        }
        // Most lines are data lines, then ids and types: recognise them without a call to
        // search for the colon, and without comparing their names again.
        let (field, colon) = if text.starts_with(b"data:") {
            (Field::Data, Some(4))
        } else if text.starts_with(b"id:") {
            (Field::Id, Some(2))
        } else if text.starts_with(b"event:") {
            (Field::Event, Some(5))
        } else {
            let colon = memchr::memchr(b':', text);
            (Field::named(&text[..colon.unwrap_or(text.len())]), colon)
        };
        let value = match colon {
            Some(0) => {
                let comment = line.start + 1..line.end;
                return Ok(self.emit_comments.then_some(Outcome::Comment(comment)));
            }
            Some(colon) => {
                let value_start = line.start + colon + 1;
                let skip_space = usize::from(input.get(value_start) == Some(&b' '));
                value_start + skip_space.min(line.end - value_start)..line.end
            }
            None => line.end..line.end,
        };
        if field == Field::Retry {
            return Ok(self.retry(&input[value]).map(Outcome::Retry));
        }
        if self.skipping_event {
            return Ok(None);
        }
        match field {
            Field::Data => self.append_data(lines, value)?,
            Field::Event => {
                self.event_type.clear();
                self.event_type_len = value.len();
                if !push_short_text(&mut self.event_type, lines, value.clone()) {
                    self.event_type.push_str(&input_text(lines, value));
                }
            }
            Field::Id if !has_nul(&input[value.clone()]) => {
                let (id, len) = self
                    .pending_id
                    .get_or_insert_with(|| (std::mem::take(&mut self.spare_id), 0));
                id.clear();
                *len = value.len();
                if !push_short_text(id, lines, value.clone()) {
                    id.push_str(&input_text(lines, value));
                }
            }
            _ => {}
        }
        Ok(None)
    }

    /// The common event, in one step: `input[line]` is a `data` line within the limits, the
    /// blank line that ends its event follows it at once (from `next`), and nothing else of
    /// the event was gathered. Dispatches the event and returns where the line after the
    /// blank line starts; `None` leaves everything to [`on_line`](Self::on_line).
    #[inline]
    fn single_line_event(
        &mut self,
        input: &[u8],
        line: Range<usize>,
        next: usize,
    ) -> Option<usize> {
        if self.data_len != 0 || self.skipping_event || line.len() > self.limits.max_line_len {
            return None;
        }
        if input.get(line.start..line.start + 5) != Some(b"data:") {
            return None;
        }
        let after = match (input.get(next), input.get(next + 1)) {
            (Some(b'\r'), Some(b'\n')) => next + 2,
            (Some(b'\n'), _) | (Some(b'\r'), Some(_)) => next + 1,
            // No blank line, or a CR whose LF may be in the next push.
            _ => return None,
        };
        let value_start = line.start + 5;
        let value_start =
            value_start + usize::from(value_start < line.end && input[value_start] == b' ');
        let len = line.end - value_start;
        if len >= self.limits.max_event_size {
            return None;
        }
        self.first_data = Some(value_start..line.end);
        self.data_len = len + 1;
        self.dispatch();
        Some(after)
    }

    /// Takes a `retry` value made of ASCII digits only; ignores any other, and one too large
    /// for a `u64` of milliseconds.
    fn retry(&mut self, value: &[u8]) -> Option<Duration> {
        if value.is_empty() {
            return None;
        }
        let mut millis: u64 = 0;
        for &byte in value {
            if !byte.is_ascii_digit() {
                return None;
            }
            millis = millis
                .checked_mul(10)?
                .checked_add(u64::from(byte - b'0'))?;
        }
        let retry = Duration::from_millis(millis);
        self.reconnection_time = Some(retry);
        Some(retry)
    }

    fn append_data(&mut self, lines: &LineReader, value: Range<usize>) -> Result<(), DecodeError> {
        let limit = self.limits.max_event_size;
        let len = value.len();
        if len >= limit || self.data_len > limit - len - 1 {
            self.drop_event();
            return Err(DecodeError::EventTooLarge { limit });
        }
        if self.data_len == 0 {
            self.first_data = Some(value);
        } else {
            self.own_data(lines);
            self.push_data(lines, value);
        }
        self.data_len += len + 1;
        Ok(())
    }

    /// Copies a data value that is still in the input into the data buffer: before a second
    /// data line joins it, or before the input is compacted.
    fn own_data(&mut self, lines: &LineReader) {
        if let Some(first) = self.first_data.take() {
            self.push_data(lines, first);
        }
    }

    /// Appends `lines.input()[value]` and a LF to the data buffer.
    fn push_data(&mut self, lines: &LineReader, value: Range<usize>) {
        if self.data_bytes.is_empty() && push_short_text(&mut self.data, lines, value.clone()) {
            self.data.push_str("\n");
            return;
        }
        match lines.text(value.clone()) {
            Some(text) if self.data_bytes.is_empty() => {
                self.data.reserve(text.len() + 1);
                self.data.push_str(text);
                self.data.push_str("\n");
            }
            _ => {
                if !self.data.is_empty() {
                    self.data_bytes.extend_from_slice(self.data.as_bytes());
                    self.data.clear();
                }
                match lines.window(value.start, SHORT_VALUE + 1) {
                    Some(window) if value.len() <= SHORT_VALUE => {
                        // As in `push_short_text`: a fixed-size copy, cut back, with the LF
                        // in place of the byte after the value. The byte buffer's padding
                        // makes the window always there in byte mode.
                        let end = self.data_bytes.len() + value.len();
                        self.data_bytes.extend_from_slice(window);
                        self.data_bytes[end] = b'\n';
                        self.data_bytes.truncate(end + 1);
                    }
                    _ => {
                        self.data_bytes.reserve(value.len() + 1);
                        self.data_bytes.extend_from_slice(&lines.input()[value]);
                        self.data_bytes.extend_from_slice(b"\n");
                    }
                }
            }
        }
    }

    /// Whether the event being built still reads from the input.
    fn borrows_input(&self) -> bool {
        self.first_data.is_some()
    }

    /// The error for a line longer than the limit: none while the event it belongs to is
    /// already being dropped.
    fn overlong_line_error(&self) -> Option<DecodeError> {
        (!self.skipping_event).then_some(DecodeError::LineTooLong {
            limit: self.limits.max_line_len,
        })
    }

    /// A line longer than the limit has ended; `head` is its start (see [`head`]). If it held
    /// a field of the event being built, that event is lost.
    fn end_overlong_line(&mut self, head: &[u8]) {
        let name = memchr::memchr(b':', head).map_or(head, |colon| &head[..colon]);
        if EVENT_FIELDS.contains(&name) {
            self.drop_event();
        }
    }

    /// Drops the event being built, and ignores its remaining fields up to its blank line.
    fn drop_event(&mut self) {
        self.discard_event();
        self.skipping_event = true;
    }

    fn discard_event(&mut self) {
        self.clear_event();
        self.pending_id = None;
        self.skipping_event = false;
    }

    fn clear_event(&mut self) {
        self.first_data = None;
        self.data.clear();
        self.data.reclaim();
        self.data_bytes.clear();
        self.data_len = 0;
        self.event_type.clear();
        self.event_type_len = 0;
    }

    /// The blank line: the last event id takes the id buffer, and the event is delivered if
    /// it has data (read it with [`message`](Self::message)).
    fn dispatch(&mut self) -> bool {
        if let Some((id, _)) = self.pending_id.take() {
            self.spare_id = std::mem::replace(&mut self.last_event_id, id);
        }
        if self.data_len == 0 {
            self.event_type.clear();
            self.event_type_len = 0;
            return false;
        }
        self.dispatched = true;
        true
    }

    /// The dispatched event, borrowing its buffers until [`end_dispatch`](Self::end_dispatch).
    #[allow(
        clippy::inline_always,
        reason = "a call returns the Cows through memory: reading them back stalled (perf annotate)"
    )]
    #[inline(always)]
    fn message<'a>(&'a self, lines: &'a LineReader) -> MessageRef<'a> {
        let data = match &self.first_data {
            Some(first) => match lines.text(first.clone()) {
                Some(text) => Cow::Borrowed(text),
                None => text_ref(&lines.input()[first.clone()]),
            },
            // Without the one trailing LF.
            None if self.data_bytes.is_empty() => {
                Cow::Borrowed(&self.data.as_str()[..self.data.len() - 1])
            }
            None => text_ref(&self.data_bytes[..self.data_bytes.len() - 1]),
        };
        MessageRef::new(Cow::Borrowed(&self.event_type), data, &self.last_event_id)
    }

    /// The dispatched event as an owned message. Data up to [`COPY_DATA_UP_TO`] bytes is
    /// copied (one allocation); longer data is not: it is cut from the buffer that holds it
    /// (the input, or the data buffer once the event had more than one data line), whose
    /// allocation it shares until it is dropped.
    #[inline(never)]
    fn owned_message(&mut self, lines: &mut LineReader) -> Message {
        let copy = self.data_len <= COPY_DATA_UP_TO + 1;
        let data = match self.first_data.clone() {
            Some(first) if copy => MessageData::Copied(match lines.text(first.clone()) {
                Some(text) => text.to_owned(),
                None => text_ref(&lines.input()[first]).into_owned(),
            }),
            Some(first) => {
                self.first_data = None;
                MessageData::Shared(lines.split_consumed(first))
            }
            // Without the one trailing LF.
            None if self.data_bytes.is_empty() => {
                let len = self.data.len();
                if copy {
                    MessageData::Copied(self.data.as_str()[..len - 1].to_owned())
                } else {
                    MessageData::Shared(self.data.split_front(len, 0..len - 1))
                }
            }
            None if copy => MessageData::Copied(
                text_ref(&self.data_bytes[..self.data_bytes.len() - 1]).into_owned(),
            ),
            None => {
                let mut joined = self.data_bytes.split();
                joined.truncate(joined.len() - 1);
                MessageData::Shared(shared_text(joined.freeze()))
            }
        };
        let event_type = if self.event_type.is_empty() {
            String::new()
        } else {
            self.event_type.clone()
        };
        // Most streams set no id: no call for an empty one.
        let last_event_id = if self.last_event_id.is_empty() {
            String::new()
        } else {
            self.last_event_id.clone()
        };
        Message::from_parts(event_type, data, last_event_id)
    }

    /// Clears the buffers of the event delivered last, once nothing borrows them.
    fn end_dispatch(&mut self) {
        if self.dispatched {
            self.dispatched = false;
            self.clear_event();
        }
    }

    fn buffered_len(&self) -> usize {
        self.data_len + self.event_type_len + self.pending_id.as_ref().map_or(0, |(_, len)| *len)
    }
}

/// Owned messages copy data up to this long into an allocation of their own, and share
/// longer data with the decoder's buffer (see [`StreamState::owned_message`]). Sharing costs
/// two atomic reference-count updates per message, and a `ByteString` made by a call: more
/// than a small allocation and copy into a `String` (A: 6.9 ms against 9.7, D: 30 against
/// 38, in the decode bench with 16 KiB chunks).
const COPY_DATA_UP_TO: usize = 512;

/// Values up to this long are copied as a window of this many bytes (see
/// [`push_short_text`]).
const SHORT_VALUE: usize = 32;

/// Appends `lines.input()[value]` to `text` if the value is short and read as text, and says
/// whether it did. The copy is a window of [`SHORT_VALUE`] bytes from the value's start (a
/// move or two, where a copy of any other length is a call into `memcpy`), cut back to the
/// value's length; it needs that many bytes held after the start, on a character boundary.
#[inline]
fn push_short_text(text: &mut impl AppendText, lines: &LineReader, value: Range<usize>) -> bool {
    if value.len() > SHORT_VALUE {
        return false;
    }
    match lines.text(value.start..value.start + SHORT_VALUE) {
        Some(window) if window.is_char_boundary(value.len()) => {
            text.append_window(window, value.len());
            true
        }
        _ => false,
    }
}

/// A text buffer that [`push_short_text`] appends to: the type and id (`String`), the data
/// ([`TextBuf`]).
trait AppendText {
    /// Appends the first `len` bytes of `window`, where `len` is a character boundary.
    fn append_window(&mut self, window: &str, len: usize);
}

impl AppendText for String {
    #[inline]
    fn append_window(&mut self, window: &str, len: usize) {
        let end = self.len() + len;
        self.push_str(window);
        self.truncate(end);
    }
}

impl AppendText for TextBuf {
    #[inline]
    fn append_window(&mut self, window: &str, len: usize) {
        let end = self.len() + len;
        self.push_str(window);
        self.truncate(end);
    }
}

/// The start of a line, as far as it can tell the line's field name.
fn head(line: &[u8]) -> &[u8] {
    &line[..line.len().min(FIELD_NAME_HEAD)]
}

/// `lines.input()[range]` as text: borrowed without a check while the reader holds text,
/// decoded as [`text_ref`] does otherwise.
#[inline]
fn input_text(lines: &LineReader, range: Range<usize>) -> Cow<'_, str> {
    match lines.text(range.clone()) {
        Some(text) => Cow::Borrowed(text),
        None => text_ref(&lines.input()[range]),
    }
}

/// Decodes UTF-8, turning each invalid sequence into U+FFFD exactly as browsers do. Decoding
/// a line's pieces one by one gives the same text as decoding the whole stream: the pieces
/// are cut at ASCII bytes, which never belong to a multi-byte sequence.
///
/// Valid text, the usual case, is checked by [`crate::utf8::to_str`], many times faster than
/// the lossy decoder (4 GB/s against well over 10 on one 64 KiB line); only text that fails
/// pays for the replacement.
#[allow(
    clippy::inline_always,
    reason = "as `message`: its Cow comes back through memory otherwise"
)]
#[inline(always)]
fn text_ref(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_empty() {
        // Most events have no type: skip the call.
        return Cow::Borrowed("");
    }
    match crate::utf8::to_str(bytes) {
        Some(text) => Cow::Borrowed(text),
        None => lossy(bytes),
    }
}

#[cold]
#[inline(never)]
fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of every length around the window of [`push_short_text`] (and of byte mode's
    /// data window), with a character of two to four bytes at every place, the window's end
    /// among them; followed by more characters, so that a window may end within one. Pushed
    /// whole (text), and in pieces small enough to be held as bytes.
    #[test]
    fn short_values_are_copied_whole_wherever_their_characters_fall() {
        for character in ["é", "€", "𝄞"] {
            for len in 0..=SHORT_VALUE + 2 {
                for at in 0..=len {
                    let value = format!("{}{character}{}", "v".repeat(at), "w".repeat(len - at));
                    let after = character.repeat(20);
                    let text = format!(
                        "id: {value}\nevent: {value}\ndata: {value}\ndata: {value}\ndata:{after}\n\n{}",
                        ":".repeat(300)
                    );
                    let expected = Message::new(
                        value.as_str(),
                        format!("{value}\n{value}\n{after}"),
                        value.as_str(),
                    );
                    for piece in [text.len(), 1, 7, 100] {
                        let mut decoder = Decoder::new();
                        for chunk in text.as_bytes().chunks(piece) {
                            decoder.push(chunk);
                        }
                        assert_eq!(
                            decoder.next_decoded(),
                            Ok(Some(Decoded::Message(expected.clone()))),
                            "{text:?} in pieces of {piece}"
                        );
                    }
                }
            }
        }
    }
}
