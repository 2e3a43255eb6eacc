//! What the Redis tests share: a `redis-server` of their own, a TCP proxy that breaks
//! connections on purpose, and a reader of frames.
#![allow(dead_code)]

pub mod proxy;

use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use ssekit_core::{Decoded, Decoder};

#[allow(unused_imports)]
pub use proxy::Proxy;
pub use ssekit_testing::RedisServer;

/// An event as a subscriber saw it: its id and its data.
pub type Seen = (u64, String);

/// Reads frames from `subscription` until `count` events came, it ended, or `within` passed.
pub async fn read_events<S: Stream<Item = Bytes> + Unpin>(
    subscription: &mut S,
    count: usize,
    within: Duration,
) -> Vec<Seen> {
    let mut decoder = Decoder::new();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    while seen.len() < count {
        let Ok(Some(frames)) = tokio::time::timeout_at(deadline, subscription.next()).await else {
            break;
        };
        decoder.push(&frames);
        while let Some(decoded) = decoder.next_decoded().expect("frames decode") {
            if let Decoded::Message(message) = decoded {
                // A marker has no id of its own: it shows with the id before it, or 0.
                let id = message.last_event_id().parse().unwrap_or(0);
                seen.push((id, message.data().to_owned()));
            }
        }
    }
    seen
}

/// Polls `subscription` for a moment (finding nothing), so that it attaches (its reader
/// reads where the topic stands) before the test goes on.
pub async fn attached<S: Stream<Item = Bytes> + Unpin>(mut subscription: S) -> S {
    assert!(
        read_events(&mut subscription, 1, Duration::from_millis(100))
            .await
            .is_empty()
    );
    subscription
}

/// Whether `subscription` ends (yields `None`) within `within`, after any frames it holds.
pub async fn ends_within<S: Stream<Item = Bytes> + Unpin>(
    subscription: &mut S,
    within: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, subscription.next()).await {
            Ok(None) => return true,
            Ok(Some(_)) => {}
            Err(_) => return false,
        }
    }
}

/// The ids `first..first + count`, as the events `data-<i>` would have them.
pub fn expected(first: u64, data: &[String]) -> Vec<Seen> {
    data.iter()
        .enumerate()
        .map(|(offset, data)| (first + offset as u64, data.clone()))
        .collect()
}
