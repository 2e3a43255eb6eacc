//! A Redis Streams backend for [`ssekit-hub`](ssekit_hub): several server instances serve one
//! sequence of Server-Sent Events per topic, and a client resumes on any of them after its
//! `Last-Event-ID`, with no gap and no duplicate.
//!
//! See [`RedisBackend`] for how it works and what it promises under which Redis settings.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
mod batch;
mod commands;
mod config;
mod entries;
mod error;
mod follow;
mod keys;
mod reader;
mod script;
mod stats;
mod subscription;

pub use backend::RedisBackend;
pub use config::{DEFAULT_BLOCK, DEFAULT_PUBLISH_DEADLINE, MIN_STREAM_LEN, RedisConfig};
pub use error::{Error, ErrorKind};
pub use stats::RedisStats;
pub use subscription::RedisSubscription;

/// This crate's README.md example, compiled as a doc test (it needs a Redis to run).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
