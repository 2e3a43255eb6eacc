//! What can go wrong while decoding: only the limits the caller set, never the bytes.

use std::fmt;

/// A memory limit of [`Limits`](crate::Limits) tripped.
///
/// The decoder stays usable: keep pulling. What it skipped is described on each variant.
///
/// # Example
///
/// ```
/// use ssekit_core::{DecodeError, Decoder, Limits};
///
/// let mut decoder = Decoder::with_limits(Limits::new().max_line_len(8));
/// decoder.push(b"data: far too long\n\ndata: ok\n\n");
/// let error = decoder.next_decoded().unwrap_err();
/// assert_eq!(error, DecodeError::LineTooLong { limit: 8 });
/// assert_eq!(error.to_string(), "line exceeds 8 bytes");
/// assert!(decoder.next_decoded()?.is_some()); // "ok" still arrives
/// # Ok::<(), DecodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line is longer than the limit. The rest of the line is skipped; if it was a `data`,
    /// `event` or `id` line, the whole event it belongs to is dropped, up to and including
    /// the blank line that ends it. A comment, a `retry` or an unknown field costs only
    /// itself. While an event is being dropped, further overlong lines are skipped silently.
    LineTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// An event's data outgrew the limit. The event is dropped, up to and including the blank
    /// line that ends it; `retry` fields and comments within it still count.
    EventTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LineTooLong { limit } => write!(f, "line exceeds {limit} bytes"),
            Self::EventTooLarge { limit } => write!(f, "event data exceeds {limit} bytes"),
        }
    }
}

impl std::error::Error for DecodeError {}
