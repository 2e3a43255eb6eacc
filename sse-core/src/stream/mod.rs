//! `Stream` adapters: byte chunks to events for clients, events to byte chunks for servers.

mod decode;
mod encode;

pub use decode::{DecodeStream, DecodeStreamError, decode_stream};
pub use encode::{EncodeStream, IntoEventResult, encode_stream};
