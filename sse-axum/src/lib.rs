//! Server-Sent Events for axum 0.8, with every byte of protocol from [`ssekit_core`].
//!
//! - [`Sse`]: a response from any `Stream` of [`Event`]s (or of `Result<Event, E>`), with the
//!   right headers, each event flushed as it is produced, and keep-alive on by default;
//!   [`Sse::from_frames`] for a stream of frames encoded beforehand, such as a fan-out hub's.
//! - [`LastEventId`]: the id a reconnecting client sent, never a rejection.
//! - [`AcceptsEventStream`]: answer only clients that asked for an event stream.
//! - [`Shutdown`] with [`Sse::shutdown`] or [`ShutdownLayer`] (for a whole router): event
//!   streams that end at a graceful shutdown, with a last `retry:` hint.
//!
//! This crate depends on `axum-core`, not `axum`, as axum recommends to library authors.
//!
//! # Example
//!
//! ```
//! use axum::{Router, routing::get};
//! use futures_util::stream;
//! use ssekit_axum::{AcceptsEventStream, Event, LastEventId, Sse};
//!
//! async fn events(_: AcceptsEventStream, LastEventId(last): LastEventId) -> Sse<impl futures_util::Stream<Item = Event>> {
//!     let first = last.and_then(|id| id.parse::<u64>().ok()).map_or(0, |id| id + 1);
//!     Sse::new(stream::iter((first..first + 3).map(|n| {
//!         Event::new(format!("event {n}")).with_id(n.to_string()).expect("digits only")
//!     })))
//! }
//!
//! let app: Router = Router::new().route("/events", get(events));
//! # let _ = app;
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

mod extract;
mod response;
mod shutdown;

pub use extract::{AcceptsEventStream, LastEventId, NotAcceptable};
pub use response::{Frames, Sse};
pub use shutdown::{ShutdownFuture, ShutdownLayer, ShutdownService};
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use ssekit_core::JsonError;
pub use ssekit_core::{self, Event, FieldError, KeepAlive, Shutdown};

/// The workspace README's examples (ssekit-core's and this crate's), compiled and run as doc
/// tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// This crate's README.md example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
