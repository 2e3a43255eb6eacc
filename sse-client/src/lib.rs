//! A reconnecting Server-Sent Events client: an `EventSource` for Rust that gets reconnects
//! right (`../shared/CLIENT.md` of this project restates the rules).
//!
//! This first part holds the client's decisions, with no I/O, no runtime and no clock of
//! its own, each a rule of the standard or of what users of today's clients report:
//!
//! - [`Attempt`]: what each attempt sends: the caller's method, URL, headers and body, with
//!   `Accept: text/event-stream`, `Cache-Control: no-cache`, and `Last-Event-ID` when the
//!   stored id is not empty.
//! - [`verdict`]: what a response means: open the stream, stop for good (`204`, a `4xx`, the
//!   wrong `Content-Type`: [`StopReason`]), or try again (`408`, `429`, `5xx`).
//! - [`retry_after`]: the wait a server asks for, in seconds or as an HTTP date.
//! - [`redirect`]: where a `301`, `302`, `303`, `307` or `308` leads (relative `Location`s
//!   resolved; `303`, and `301`/`302` of a `POST`, turn into a `GET` without the body), and
//!   whether it leaves the origin ([`strip_credentials`] then). At most [`MAX_REDIRECTS`].
//! - [`Waits`]: the waits between attempts: the reconnection time (`retry:`), doubled after
//!   each failure up to a cap, with jitter and a floor, started over only after a stream
//!   stayed up for a while; `Retry-After` wins, within the cap.
//!
//! - [`Session`]: one client's state across its connections: the request of each attempt
//!   (from the original URL, with the stored last event id), what a response means
//!   ([`OnResponse`]: open, follow a redirect, retry after a wait, stop), the decoder of each
//!   connection seeded with the stored id, and what the end of a body means ([`OnEnd`]):
//!   reconnect, or stop ([`Stopped`]: finished at a [`Terminal`] event or the end of a finite
//!   stream, truncated, a `POST` not sent twice).
//!
//! - [`EventSource`]: the client a user holds, a `Stream` of [`Item`]s (opened, events,
//!   comments, errors it recovers from, waits, and why it stopped), driving a [`Session`]
//!   over a [`Transport`] ([`HyperTransport`] by default; a `reqwest::Client` of the
//!   caller's with the `reqwest` feature) on any `Timer`.
//!
//! - [`BeforeAttempt`]: a hook run before every attempt (fresh credentials), and
//!   [`ResumeStore`]: where the resume id outlives the process.
//!
//! With the `json` feature, `Message::json` deserializes an event's data with serde.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod event_source;
mod hooks;
mod redirect;
mod request;
#[cfg(feature = "reqwest")]
mod reqwest_transport;
mod retry_after;
mod session;
mod transport;
mod verdict;
mod waits;

pub use event_source::{
    ClientError, EventSource, Item, MAX_ERROR_BODY, Restart, RetryCause, Stop, StoppedResponse,
};
pub use hooks::{BeforeAttempt, ResumeStore};
pub use redirect::{MAX_REDIRECTS, Redirect, RedirectError, redirect, strip_credentials};
pub use request::{Attempt, LAST_EVENT_ID};
#[cfg(feature = "reqwest")]
pub use reqwest_transport::ReqwestTransport;
pub use retry_after::retry_after;
/// With the `rustls` feature: the rustls that [`HyperTransportBuilder::tls_config`] takes
/// a configuration of.
#[cfg(feature = "rustls")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
pub use rustls;
pub use session::{CLIENT_LIMITS, OnEnd, OnResponse, Session, Stopped, Terminal};
/// The decoder's types that reach a user of the client: the events, the limits.
pub use ssekit_core::{DecodeError, Limits, Message};
/// With the `json` feature: what [`Message::json`] reports.
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use ssekit_core::{JsonError, JsonErrorKind};
pub use transport::{
    BoxError, CONNECT_TIMEOUT, HyperTransport, HyperTransportBuilder, RESPONSE_TIMEOUT,
    ResponseBody, ResponseFuture, Transport,
};
/// The `url` crate's URL, which [`Redirect`] holds.
pub use url::Url;
pub use verdict::{StopReason, Verdict, verdict};
pub use waits::{
    DEFAULT_FLOOR, DEFAULT_MAX_DELAY, DEFAULT_RECONNECTION_TIME, DEFAULT_RESET_AFTER, Waits,
};

/// This crate's README.md example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
