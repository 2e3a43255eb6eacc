//! Reference programs for the workspace. First among them, [`talk`]: the `/talk` server of the
//! original document, recreated on this library (`cargo run -p examples --bin talk`); then
//! [`relay`], the hub as a black box (`cargo run -p examples --bin relay`); and [`contract`], the
//! test service through which outside harnesses drive `ssekit-client`
//! (`cargo run -p examples --bin contract-service`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cli;
pub mod contract;
pub mod http1;
pub mod relay;
pub mod signal;
pub mod talk;
