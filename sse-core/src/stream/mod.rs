//! `Stream` adapters: byte chunks to events for clients, events to byte chunks for servers.

mod body;
mod decode;
mod encode;
mod frames;

pub use body::ResponseBody;

pub use decode::{DecodeStream, DecodeStreamError, decode_stream};
pub use encode::{EncodeStream, IntoEventResult, MAX_FRAME_BYTES, encode_stream};
pub use frames::FramesBody;
