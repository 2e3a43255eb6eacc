//! Server-Sent Events responses for warp, built on [`sse_core`].
//!
//! The adapter itself is not written yet; until it is, this crate only re-exports
//! [`sse_core`], so that depending on it already gives you the protocol types.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use sse_core;
