//! Test support shared by the adapters' tests: a real HTTP client that decodes event streams,
//! the scenarios every framework adapter must pass, and a `redis-server` of a test's own.
//! Not published.
//!
//! Everything here panics when what it checks does not hold: that is how a test fails.
#![allow(clippy::missing_panics_doc, clippy::missing_errors_doc)]

pub mod client;
pub mod redis_server;
pub mod scenarios;

pub use client::{BodyEnd, Get, PATIENCE, Protocol, Response};
pub use redis_server::RedisServer;
pub use scenarios::{Framework, Setup, ShutdownServer, SourceError};

/// Declares one `#[tokio::test]` per scenario, for framework `$framework`.
#[macro_export]
macro_rules! scenario_tests {
    ($framework:ty: $($scenario:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $scenario() {
                $crate::scenarios::$scenario::<$framework>().await;
            }
        )+
    };
}

/// Every scenario, for framework `$framework`.
#[macro_export]
macro_rules! all_scenario_tests {
    ($framework:ty) => {
        $crate::scenario_tests!($framework:
            status_and_headers,
            events_arrive_as_sent,
            each_event_is_sent_at_once,
            keep_alive_comments_on_an_idle_stream,
            no_comments_with_keep_alive_off,
            last_event_id_reaches_the_handler,
            http2_client_gets_the_stream,
            compression_layer_does_not_hold_events_back,
            client_disconnect_drops_the_stream,
            stream_error_ends_the_response_cleanly,
            requests_not_asking_for_a_stream_are_refused,
            slow_consumer_holds_the_stream_back,
            a_thousand_clients_leave_nothing_behind,
        );
    };
}
