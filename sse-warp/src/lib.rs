//! Server-Sent Events for warp 0.4, with every byte of protocol from [`ssekit_core`].
//!
//! - [`Sse`]: a reply from any `Stream` of [`Event`]s (or of `Result<Event, E>`), with the right
//!   headers, each event flushed as it is produced, and keep-alive on by default;
//!   [`Sse::from_frames`] for a stream of frames encoded beforehand, such as a fan-out hub's.
//! - [`last_event_id`]: a filter for the id a reconnecting client sent, never a rejection.
//! - [`accepts_event_stream`]: a filter that lets through only clients that asked for an event
//!   stream.
//! - [`Shutdown`] with [`Sse::shutdown`] or [`until_shutdown`] (for a whole filter): event
//!   streams that end at a graceful shutdown, with a last `retry:` hint.
//!
//! # Example
//!
//! ```
//! use futures_util::stream;
//! use ssekit_warp::{Event, Sse};
//! use warp::Filter;
//!
//! let events = warp::path("events")
//!     .and(ssekit_warp::accepts_event_stream())
//!     .and(ssekit_warp::last_event_id())
//!     .map(|last: Option<String>| {
//!         let first = last.and_then(|id| id.parse::<u64>().ok()).map_or(0, |id| id + 1);
//!         Sse::new(stream::iter((first..first + 3).map(|n| {
//!             Event::new(format!("event {n}")).with_id(n.to_string())
//!         })))
//!     });
//! # let _ = events;
//! ```
//!
//! # Features
//!
//! - `json`: ssekit-core's `json` feature, so that [`Event`] has `Event::json` and
//!   `Event::json_pretty` (data from any `serde::Serialize` value), with `JsonError`
//!   re-exported here.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod filters;
mod reply;
mod shutdown;

pub use filters::{accepts_event_stream, last_event_id};
pub use reply::{Frames, Sse};
pub use shutdown::until_shutdown;
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use ssekit_core::JsonError;
pub use ssekit_core::{self, Event, FieldError, KeepAlive, Shutdown};

/// This crate's README.md example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
