//! `relay`: a small publish/subscribe server on the hub, so that any tool can check the hub
//! as a black box (the contract in `SPEC.md`).
//!
//! - `POST /topics/{topic}`, the event's data as the UTF-8 body and an optional
//!   `Event-Type` header: `200` with `{"id": "<id>"}` once the event is published, `503`
//!   with `{"error": ...}` when the backend cannot publish;
//! - `GET /topics/{topic}` asking for `text/event-stream`, with an optional
//!   `Last-Event-ID`: the topic's retained events after that id, then every new one; an id
//!   that cannot be resumed first gets an event of type `missed` with no id, then every
//!   retained event;
//! - `GET /stats`: the hub's counters as a JSON object.
//!
//! A topic name is 1 to 128 characters of `A-Z a-z 0-9 - _ .`; any other name, a body that
//! is not UTF-8, or an event type that cannot be one is `400` with `{"error": ...}`.
//!
//! The routes serve any [`RelayBackend`]: the memory backend, or the Redis one, with which
//! several instances share their topics.

use std::fmt::Display;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use ssekit_axum::{AcceptsEventStream, LastEventId, Sse};
use ssekit_core::Event;
use ssekit_hub::{Backend, Hub, HubConfig, HubStats, MemoryBackend, OnUnknownId, Retention};
use ssekit_redis::RedisBackend;

/// How many events each topic retains by default.
pub const DEFAULT_RETAINED_EVENTS: usize = 1000;

/// The longest topic name, in characters.
pub const MAX_TOPIC_NAME: usize = 128;

/// The request header that gives a published event its type.
pub const EVENT_TYPE_HEADER: &str = "event-type";

/// The type of the event a client gets first when its `Last-Event-ID` cannot be resumed.
pub const MISSED_EVENT_TYPE: &str = "missed";

/// The hub settings of the contract: `retained` events per topic, and the `missed` marker
/// for ids that cannot be resumed.
///
/// # Panics
///
/// Never: [`MISSED_EVENT_TYPE`] holds no line break.
pub fn config(retained: usize) -> HubConfig {
    let missed = Event::new("the events after your Last-Event-ID are no longer retained")
        .with_event_type(MISSED_EVENT_TYPE)
        .expect("a single-line event type");
    HubConfig::new()
        .retention(Retention::new().max_events(retained))
        .on_unknown_id(OnUnknownId::Marker(missed))
}

/// Whether `name` is a topic name of the contract: 1 to 128 characters of
/// `A-Z a-z 0-9 - _ .`.
pub fn is_topic_name(name: &str) -> bool {
    (1..=MAX_TOPIC_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
}

/// A backend the relay serves, and what its `/stats` shows.
pub trait RelayBackend: Backend<Error: Display> {
    /// The counters, as the `/stats` object.
    fn stats_json(&self) -> serde_json::Value;
}

impl RelayBackend for MemoryBackend {
    fn stats_json(&self) -> serde_json::Value {
        stats_json(&self.stats())
    }
}

impl RelayBackend for RedisBackend {
    /// The hub's counters, then the Redis backend's own.
    fn stats_json(&self) -> serde_json::Value {
        let stats = self.redis_stats();
        let mut object = stats_json(&stats.hub);
        let redis = json!({
            "publish_errors": stats.publish_errors,
            "publish_retries": stats.publish_retries,
            "reader_reconnects": stats.reader_reconnects,
            "gaps": stats.gaps,
            "resumed_from_memory": stats.resumed_from_memory,
            "resumed_from_redis": stats.resumed_from_redis,
            "resumed_after_wait": stats.resumed_after_wait,
            "resumed_unknown": stats.resumed_unknown,
            "followed_topics": stats.followed_topics,
            "reader_lag_ms": stats.reader_lag_ms,
        });
        if let (Some(object), serde_json::Value::Object(redis)) = (object.as_object_mut(), redis) {
            object.extend(redis);
        }
        object
    }
}

/// The routes of the contract over `hub`.
pub fn router<B: RelayBackend>(hub: Hub<B>) -> Router {
    Router::new()
        .route("/topics/{topic}", post(publish::<B>).get(subscribe::<B>))
        .route("/stats", get(stats::<B>))
        .with_state(hub)
}

async fn publish<B: RelayBackend>(
    State(hub): State<Hub<B>>,
    Path(topic): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_topic_name(&topic) {
        return bad_request("a topic name is 1 to 128 characters of A-Z a-z 0-9 - _ .");
    }
    let Ok(data) = String::from_utf8(body.to_vec()) else {
        return bad_request("the body is not UTF-8");
    };
    let mut event = Event::new(data);
    if let Some(event_type) = headers.get(EVENT_TYPE_HEADER) {
        let typed = event_type
            .to_str()
            .ok()
            .and_then(|event_type| event.with_event_type(event_type).ok());
        let Some(typed) = typed else {
            return bad_request("the Event-Type header is no event type");
        };
        event = typed;
    }
    match hub.publish(&topic, event).await {
        Ok(id) => json_response(StatusCode::OK, &json!({ "id": id.to_string() })),
        Err(error) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "error": error.to_string() }),
        ),
    }
}

async fn subscribe<B>(
    State(hub): State<Hub<B>>,
    Path(topic): Path<String>,
    _: AcceptsEventStream,
    LastEventId(last_event_id): LastEventId,
) -> Response
where
    B: Backend,
{
    if !is_topic_name(&topic) {
        return bad_request("a topic name is 1 to 128 characters of A-Z a-z 0-9 - _ .");
    }
    Sse::from_frames(hub.subscribe(&topic, last_event_id.as_deref())).into_response()
}

async fn stats<B: RelayBackend>(State(hub): State<Hub<B>>) -> Response {
    json_response(StatusCode::OK, &hub.backend().stats_json())
}

/// The hub's counters as the `/stats` object.
pub fn stats_json(stats: &HubStats) -> serde_json::Value {
    json!({
        "published": stats.published,
        "subscribers": stats.subscribers,
        "slow_disconnects": stats.slow_disconnects,
        "topics": stats.topics,
        "topics_removed": stats.topics_removed,
    })
}

fn bad_request(reason: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({ "error": reason }))
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let headers = [(header::CONTENT_TYPE, "application/json")];
    (status, headers, body.to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_of_the_contract() {
        let longest = "a".repeat(MAX_TOPIC_NAME);
        for name in ["a", "user-42", "room_1.events", "A-Z.09", longest.as_str()] {
            assert!(is_topic_name(name), "{name}");
        }
        let too_long = "a".repeat(MAX_TOPIC_NAME + 1);
        for name in ["", "a/b", "a b", "é", "a:b", "a%2Fb", too_long.as_str()] {
            assert!(!is_topic_name(name), "{name}");
        }
    }
}
