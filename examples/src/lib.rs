//! Reference programs for the workspace. First among them, [`talk`]: the `/talk` server of the
//! original document, recreated on this library (`cargo run -p examples --bin talk`); then
//! [`relay`], the hub as a black box (`cargo run -p examples --bin relay`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cli;
pub mod http1;
pub mod relay;
pub mod signal;
pub mod talk;
