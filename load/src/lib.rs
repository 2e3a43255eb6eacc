//! A load tool for event-stream servers, and the servers it compares: this library's axum
//! and warp adapters fed by `ssekit-hub`, axum's own `Sse`, and an axum WebSocket.
//!
//! `cargo run --release -p ssekit-load -- --help` runs it; `BENCHMARKS.md` holds its figures
//! and the exact commands. A benchmark, not an example: an unpublished crate of its own. It talks to 127.0.0.1 only, and every phase is bounded in
//! connections and time.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chunked;
pub mod client;
pub mod phases;
pub mod process;
pub mod server;
pub mod websocket;

use std::time::{SystemTime, UNIX_EPOCH};

/// The data of each pushed event (32 bytes), the same for every server.
pub const PUSH_PAYLOAD: &str = r#"{"delta":"token","seq":12345678}"#;

/// Nanoseconds since the Unix epoch: the clock that server and client share on one machine.
pub fn now_nanos() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX)
}

/// The data of fan-out event `n`, stamped with the time it is published.
pub fn fanout_payload(n: u64) -> String {
    format!(r#"{{"n":{n},"sent_at_ns":{}}}"#, now_nanos())
}

/// When the fan-out event with this data was published, in nanoseconds since the epoch.
pub fn sent_at(data: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(data).ok()?;
    let (_, after) = text.split_once(r#""sent_at_ns":"#)?;
    after.trim_end_matches('}').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_reads_back() {
        let before = now_nanos();
        let payload = fanout_payload(7);
        let stamp = sent_at(payload.as_bytes()).unwrap();
        assert!(stamp >= before && stamp <= now_nanos(), "{payload}");
        assert_eq!(PUSH_PAYLOAD.len(), 32);
    }
}
