//! Bytes to events: the sans-IO decoder, its limits and what it yields.

mod decoder;
mod error;
mod limits;
mod lines;
mod message;
mod padded;
mod text_buf;

pub use decoder::Decoder;
pub use error::DecodeError;
pub use limits::{DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_LEN, Limits};
pub use message::{Decoded, DecodedRef, Message, MessageRef};
