//! The Server-Sent Events protocol (`text/event-stream`), exactly as the WHATWG HTML standard
//! specifies it, with no I/O of its own.
//!
//! - [`Event`] and its encoder: an event to wire bytes, refusing any value that could forge a
//!   field or a second event; [`EventRef`], the same over borrowed values, for encoding with
//!   no allocation.
//! - [`Decoder`]: push bytes as they arrive, pull [`Decoded`] items (messages, `retry` values,
//!   comments). Exact for every byte sequence and every chunking, with memory [`Limits`].
//! - [`decode_stream`] and [`encode_stream`]: the same as `Stream` adapters, for clients (an
//!   HTTP response body in, messages out) and servers (events in, body chunks out).
//! - [`KeepAlive`]: a comment whenever a server's stream has been quiet for a while.
//! - [`backoff::Backoff`]: the waits between attempts after failures (doubling, capped,
//!   with jitter), with no clock or randomness of its own.
//! - [`Shutdown`]: a signal that ends event streams for a graceful shutdown, each with a
//!   last frame (a `retry:` hint by default), so that the server's shutdown completes.
//! - [`ResponseBody`] and [`headers`]: what framework adapters need to serve a stream, so
//!   that none of them holds protocol logic of its own; [`FramesBody`] for a stream of frames
//!   encoded beforehand (once for many clients).
//!
//! # Example
//!
//! ```
//! use ssekit_core::{Decoded, Decoder, Event, Message};
//!
//! let frame = Event::new("line one\r\nline two").with_event_type("note")?.with_id("1")?.to_bytes();
//!
//! let mut decoder = Decoder::new();
//! for chunk in frame.chunks(3) {
//!     decoder.push(chunk);
//! }
//! assert_eq!(
//!     decoder.next_decoded()?,
//!     Some(Decoded::Message(Message::new("note", "line one\nline two", "1")))
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Unsafe code
//!
//! Two places, each earned by a benchmark (BENCHMARKS.md):
//!
//! - On `x86_64`, finding CR and LF 64 bytes at a time uses SSE2's compare and move-mask,
//!   which `std::arch` offers only as `unsafe` functions (a 16-byte load from a borrowed
//!   16-byte array, then register operations). It is 3.5x the speed of the portable
//!   word-at-a-time scan, which other targets use and the tests check it against.
//! - Checking that pushed bytes are UTF-8 crosses ASCII first, 128 bytes at a time with
//!   AVX2 where the processor has it (checked at run time) and with `<[u8]>::is_ascii`
//!   otherwise, two to three times the speed of `str::from_utf8`; calling the checked bytes
//!   text then takes one `str::from_utf8_unchecked`, right after the check. Within a long
//!   line, the same AVX2 pass also looks for the line's end, so that each pushed byte is
//!   read once for both (B with 16 KiB chunks, 12% faster).
//!
//! `std::arch`'s register operations are safe to call inside these functions from Rust
//! 1.87 on, which is why that is the minimum.
//!
//! # Features
//!
//! - `tokio` (default): [`TokioTimer`], and [`KeepAlive::wrap`] on tokio's clock. Without it,
//!   bring your own [`Timer`].
//! - `json`: `Event::json` and `Event::json_pretty` to send any `serde::Serialize` value as
//!   an event's data, `Message::json` and `MessageRef::json` to parse a message's data, and
//!   `JsonError`, which says what went wrong (and where) without exposing `serde_json`.
// No `unsafe` but in two places, which allow it by name: `scan`'s SSE2 block mask on x86_64
// and `utf8`'s ASCII check (and line-ending search), with the benchmarks that earn them in
// BENCHMARKS.md.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backoff;
mod decode;
mod encode;
mod event;
pub mod headers;
#[cfg(feature = "json")]
mod json;
mod keep_alive;
mod scan;
mod shutdown;
mod stream;
mod utf8;

/// The text type of a decoded [`Message`]'s data: a UTF-8 string over [`bytes::Bytes`],
/// shared rather than copied (from the `bytestring` crate).
pub use bytestring::ByteString;
pub use decode::{
    DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_LEN, DecodeError, Decoded, DecodedRef, Decoder,
    Limits, Message, MessageRef,
};
pub use event::{Event, EventRef, Field, FieldError};
#[cfg(feature = "json")]
pub use json::{JsonError, JsonErrorKind};
#[cfg(feature = "tokio")]
pub use keep_alive::TokioTimer;
pub use keep_alive::{DEFAULT_KEEP_ALIVE_INTERVAL, KeepAlive, KeepAliveStream, Timer};
pub use shutdown::{DEFAULT_SHUTDOWN_RETRY, Shutdown, UntilShutdown};
pub use stream::{
    DecodeStream, DecodeStreamError, EncodeStream, FramesBody, IntoEventResult, MAX_FRAME_BYTES,
    ResponseBody, decode_stream, encode_stream,
};

/// This crate's README.md example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
