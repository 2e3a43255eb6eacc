//! How much the decoder may hold in memory.

/// Longest line the decoder buffers by default, in bytes (8 MiB).
///
/// Large enough for the biggest single-line payloads seen in practice (an LLM API that returns
/// a generated image as base64 JSON sends several megabytes in one `data:` line, and a 64 KiB
/// cap is the most common complaint about other SSE clients), small enough that a server that
/// never sends a line break cannot exhaust a client's memory.
pub const DEFAULT_MAX_LINE_LEN: usize = 8 * 1024 * 1024;

/// Largest data an event may gather by default, in bytes (16 MiB): room for a couple of
/// maximal lines, or many thousands of ordinary ones, in one event.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

/// The decoder's memory limits.
///
/// - `max_line_len`: the longest line, in bytes, without its line ending. A longer line is
///   reported as [`DecodeError::LineTooLong`](crate::DecodeError::LineTooLong) as soon as the
///   decoder has seen more than this many bytes of it.
/// - `max_event_size`: the most bytes an event's data may gather (its `data` values, plus one
///   LF each). Past it: [`DecodeError::EventTooLarge`](crate::DecodeError::EventTooLarge).
///
/// The spec sets no limits; [`Limits::unlimited`] lifts them.
///
/// # Example
///
/// ```
/// use ssekit_core::{Decoder, Limits};
///
/// let limits = Limits::default().max_line_len(1 << 20).max_event_size(4 << 20);
/// assert_eq!(limits.max_line_len, 1 << 20);
/// let decoder = Decoder::with_limits(limits);
/// assert_eq!(decoder.limits(), limits);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// The longest line, in bytes, without its line ending.
    pub max_line_len: usize,
    /// The most bytes an event's data may gather.
    pub max_event_size: usize,
}

impl Limits {
    /// [`DEFAULT_MAX_LINE_LEN`] and [`DEFAULT_MAX_EVENT_SIZE`].
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{Limits, DEFAULT_MAX_LINE_LEN};
    ///
    /// assert_eq!(Limits::new().max_line_len, DEFAULT_MAX_LINE_LEN);
    /// ```
    pub const fn new() -> Self {
        Self {
            max_line_len: DEFAULT_MAX_LINE_LEN,
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
        }
    }

    /// No limits at all, as the spec has none: memory then grows with the longest line and
    /// the largest event the server sends.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::Limits::unlimited().max_event_size, usize::MAX);
    /// ```
    pub const fn unlimited() -> Self {
        Self {
            max_line_len: usize::MAX,
            max_event_size: usize::MAX,
        }
    }

    /// Sets the longest line, in bytes.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::Limits::new().max_line_len(80).max_line_len, 80);
    /// ```
    #[must_use]
    pub const fn max_line_len(mut self, bytes: usize) -> Self {
        self.max_line_len = bytes;
        self
    }

    /// Sets the most bytes an event's data may gather.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::Limits::new().max_event_size(80).max_event_size, 80);
    /// ```
    #[must_use]
    pub const fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
