//! A fan-out hub with replay for Server-Sent Events servers.
//!
//! Publish an event to a named topic once: the hub gives it the topic's next id, encodes it
//! once, and hands the same bytes (reference-counted, never copied per subscriber) to every
//! subscriber. Each topic retains its latest events ([`Retention`]), so that a client that
//! reconnects with a `Last-Event-ID` gets what it missed, then the live events, with no gap
//! and no duplicate even when publishing races with subscribing. A subscriber that falls
//! more than its backlog behind is cut off instead of slowing anyone down or growing the
//! hub's memory; its client reconnects and resumes from the retained events.
//!
//! Ids survive restarts: a topic's first id comes from the clock, so an id a client kept
//! from before a restart is never taken for another event (it is unknown, and
//! [`OnUnknownId`] decides). Topics may be made per user: one that nobody uses leaves
//! memory ([`HubConfig::idle_topic_timeout`]), and if it comes back, its ids go on past
//! every id it gave.
//!
//! - [`Hub`] and [`Topic`]: publish and subscribe; [`HubStats`] counts what happened.
//! - [`HubConfig`], [`Retention`], [`OnUnknownId`]: the settings.
//! - [`Backend`]: where topics live; [`MemoryBackend`] (the default) needs nothing installed,
//!   and a broker shared by several servers can take its place.
//! - [`Subscription`]: a stream of encoded frames, for `Sse::from_frames` in `ssekit-axum` and
//!   `ssekit-warp`.
//!
//! Publishing returns a future of the event's id, since a broker takes a round trip to assign
//! one; in memory it is ready at once (`into_inner` takes the id), so publishing needs no async
//! runtime. Subscriptions run on any.
//!
//! # Example
//!
//! ```
//! use futures_util::{FutureExt, StreamExt};
//! use ssekit_core::Event;
//! use ssekit_hub::Hub;
//!
//! let hub = Hub::new();
//! let talk = hub.topic("talk");
//! let mut live = talk.subscribe(None);
//! // Ids start from the clock (so that they grow across restarts) and go up by one.
//! let Ok(first) = talk.publish(Event::new("first")).into_inner();
//! let Ok(second) = talk.publish(Event::new("second")).into_inner();
//! assert_eq!(second, first + 1);
//! let frames = live.next().now_or_never().unwrap().unwrap();
//! assert_eq!(frames, format!("id: {first}\ndata: first\n\nid: {second}\ndata: second\n\n"));
//!
//! // A client that saw the first event reconnects: it gets the second, then the live events.
//! let mut resumed = talk.subscribe(Some(&first.to_string()));
//! let replayed = resumed.next().now_or_never().unwrap().unwrap();
//! assert_eq!(replayed, format!("id: {second}\ndata: second\n\n"));
//! ```
//!
//! In an axum handler (with `ssekit-axum`), serving a topic is one line:
//!
//! ```
//! use axum::{Router, extract::State, routing::get};
//! use ssekit_axum::{Frames, LastEventId, Sse};
//! use ssekit_hub::{Hub, Subscription};
//!
//! async fn talk(State(hub): State<Hub>, LastEventId(last): LastEventId) -> Sse<Frames<Subscription>> {
//!     Sse::from_frames(hub.subscribe("talk", last.as_deref()))
//! }
//!
//! let app: Router = Router::new().route("/talk", get(talk)).with_state(Hub::new());
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

mod backend;
mod config;
mod hub;
pub mod id;
mod memory;
mod relay;
mod retention;
mod stats;
mod unknown_id;

pub use backend::Backend;
pub use config::{
    DEFAULT_BACKLOG, DEFAULT_BATCH_BYTES, DEFAULT_IDLE_TOPIC_TIMEOUT, HubConfig, MAX_FIRST_ID,
};
pub use hub::{Hub, Topic};
pub use memory::{MemoryBackend, Subscription};
pub use relay::{Relayed, TopicPosition};
pub use retention::{DEFAULT_RETAINED_EVENTS, Retention};
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use ssekit_core::JsonError;
pub use ssekit_core::{self, Event};
pub use stats::HubStats;
pub use unknown_id::OnUnknownId;

/// This crate's README.md example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
