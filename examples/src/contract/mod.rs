//! `contract-service`: the test service of `CLIENT.md`, through which an outside harness
//! drives `ssekit-client` over HTTP on 127.0.0.1.
//!
//! - `GET /`: `{"name": ..., "capabilities": [...]}`;
//! - `POST /` with a stream's settings (`streamUrl`, `callbackUrl`, and the optional ones):
//!   `201` with `Location: /streams/<n>`, and a client that reports what it sees with a `POST`
//!   of JSON to `<callbackUrl>/<k>`, k counting from 1, in order;
//! - `POST /streams/<n>` with `{"command": "restart"}`: the client connects again at once;
//! - `DELETE /streams/<n>`: the client stops (`204`); `DELETE /`: the service exits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use ssekit_client::{ClientError, EventSource, Item, Restart, Session, Terminal, Url, Waits};
use tokio::sync::oneshot;

/// What the service claims to do, as the harness asks.
pub const CAPABILITIES: [&str; 12] = [
    "comments",
    "bom",
    "headers",
    "last-event-id",
    "post",
    "report",
    "read-timeout",
    "restart",
    "server-directed-shutdown-request",
    "x-lifecycle",
    "x-finite",
    "x-timing",
];

/// The streams the service runs, by number.
#[derive(Clone, Default)]
pub struct Streams {
    running: Arc<Mutex<HashMap<u64, Running>>>,
    next: Arc<AtomicU64>,
    /// Fired by `DELETE /`: the service exits.
    quit: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

struct Running {
    restart: Restart,
    stop: Option<oneshot::Sender<()>>,
}

impl Streams {
    /// The streams, and the future that completes when the harness says quit.
    pub fn new() -> (Self, oneshot::Receiver<()>) {
        let (quit, quitting) = oneshot::channel();
        let streams = Self {
            quit: Arc::new(Mutex::new(Some(quit))),
            ..Self::default()
        };
        (streams, quitting)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The service's routes.
pub fn router(streams: Streams) -> Router {
    Router::new()
        .route("/", get(status).post(create).delete(quit))
        .route("/streams/{id}", post(command).delete(close))
        .with_state(streams)
}

async fn status() -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "name": "ssekit-client", "capabilities": CAPABILITIES }),
    )
}

async fn quit(State(streams): State<Streams>) -> StatusCode {
    if let Some(quit) = streams
        .quit
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        let _ = quit.send(());
    }
    StatusCode::NO_CONTENT
}

/// A stream's settings, from the create request's JSON.
#[derive(Debug)]
struct Settings {
    session: Session,
    callback: String,
    read_timeout: Option<Duration>,
    lifecycle: bool,
}

fn settings(body: &Value) -> Result<Settings, String> {
    let text = |name: &str| body.get(name).and_then(Value::as_str);
    let millis = |name: &str| {
        body.get(name)
            .and_then(Value::as_u64)
            .map(Duration::from_millis)
    };
    let url = text("streamUrl").ok_or("streamUrl is missing")?;
    let url = Url::parse(url).map_err(|error| format!("streamUrl: {error}"))?;
    let callback = text("callbackUrl")
        .ok_or("callbackUrl is missing")?
        .trim_end_matches('/')
        .to_owned();
    let mut waits = Waits::new();
    if let Some(initial) = millis("initialDelayMs") {
        waits = waits.reconnection_time(initial);
    }
    if let Some(max) = millis("maxDelayMs") {
        waits = waits.max_delay(max);
    }
    if body.get("jitter").and_then(Value::as_bool) == Some(false) {
        waits = waits.without_jitter();
    }
    let mut session = Session::new(url).waits(waits);
    if let Some(id) = text("lastEventId") {
        session = session.last_event_id(id);
    }
    if let Some(headers) = body.get("headers").and_then(Value::as_object) {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            let name = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|error| format!("header {name}: {error}"))?;
            let value = value.as_str().ok_or("header values are strings")?;
            let value = http::HeaderValue::from_str(value)
                .map_err(|error| format!("header {name}: {error}"))?;
            map.append(name, value);
        }
        session = session.headers(map);
    }
    let method = text("method").unwrap_or("GET");
    let method =
        http::Method::from_bytes(method.as_bytes()).map_err(|error| format!("method: {error}"))?;
    session = session.request(method, Bytes::from(text("body").unwrap_or("").to_owned()));
    if body.get("finite").and_then(Value::as_bool) == Some(true) {
        session = session.finite(text("terminal").map(|data| Terminal::Data(data.to_owned())));
    }
    Ok(Settings {
        session,
        callback,
        read_timeout: millis("readTimeoutMs"),
        lifecycle: body.get("lifecycle").and_then(Value::as_bool) == Some(true),
    })
}

async fn create(State(streams): State<Streams>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body)
        .map_err(|error| error.to_string())
        .and_then(|body| settings(&body));
    let settings = match parsed {
        Ok(settings) => settings,
        Err(reason) => return json_response(StatusCode::BAD_REQUEST, &json!({ "error": reason })),
    };
    let id = streams.next.fetch_add(1, Ordering::Relaxed) + 1;
    let mut client = EventSource::new(settings.session).comments(true);
    if let Some(timeout) = settings.read_timeout {
        client = client.read_timeout(timeout);
    }
    let (stop, stopped) = oneshot::channel();
    streams.lock().insert(
        id,
        Running {
            restart: client.restart_handle(),
            stop: Some(stop),
        },
    );
    tokio::spawn(report(
        client,
        settings.callback,
        settings.lifecycle,
        stopped,
    ));
    let location = format!("/streams/{id}");
    (StatusCode::CREATED, [(header::LOCATION, location)]).into_response()
}

async fn command(State(streams): State<Streams>, Path(id): Path<u64>, body: Bytes) -> StatusCode {
    let command = serde_json::from_slice::<Value>(&body).ok();
    let restart = streams
        .lock()
        .get(&id)
        .map(|running| running.restart.clone());
    let Some(restart) = restart else {
        return StatusCode::NOT_FOUND;
    };
    match command
        .as_ref()
        .and_then(|command| command.get("command"))
        .and_then(Value::as_str)
    {
        Some("restart") => {
            restart.restart();
            StatusCode::NO_CONTENT
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn close(State(streams): State<Streams>, Path(id): Path<u64>) -> StatusCode {
    match streams.lock().remove(&id) {
        Some(mut running) => {
            if let Some(stop) = running.stop.take() {
                let _ = stop.send(());
            }
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

/// Runs `client` and POSTs what it sees to `callback`, in order, until it stops or
/// `stopped` fires (then the client is dropped: no request after it).
async fn report(
    mut client: EventSource,
    callback: String,
    lifecycle: bool,
    mut stopped: oneshot::Receiver<()>,
) {
    let poster = Poster::new(callback);
    loop {
        let item = tokio::select! {
            item = client.next() => item,
            _ = &mut stopped => {
                drop(client);
                if lifecycle {
                    poster.post(json!({ "kind": "closed", "reason": "closed" })).await;
                }
                return;
            }
        };
        let Some(item) = item else {
            return;
        };
        if let Some(report) = report_of(&item, lifecycle) {
            poster.post(report).await;
        }
    }
}

/// The callback JSON of `item`, if the harness asked to see it.
fn report_of(item: &Item, lifecycle: bool) -> Option<Value> {
    match item {
        Item::Event(message) => Some(json!({
            "kind": "event",
            "event": { "type": message.event_type(), "data": message.data(), "id": message.last_event_id() },
        })),
        Item::Comment(comment) => Some(json!({ "kind": "comment", "comment": comment })),
        Item::Error(error) => {
            let mut report = json!({ "kind": "error", "error": error.to_string() });
            if let (true, ClientError::Status { status, retry_after }) = (lifecycle, error) {
                report["status"] = json!(status.as_u16());
                if let Some(wait) = retry_after {
                    report["retryAfterMs"] = json!(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
                }
            }
            Some(report)
        }
        Item::Open { status, .. } => lifecycle.then(|| json!({ "kind": "open", "status": status.as_u16() })),
        Item::Retrying { attempt, delay, .. } => lifecycle.then(|| {
            json!({ "kind": "retrying", "attempt": attempt, "delayMs": u64::try_from(delay.as_millis()).unwrap_or(u64::MAX) })
        }),
        Item::Stopped(stop) => {
            let mut reports = Vec::new();
            if let Some(response) = &stop.response {
                let mut error = json!({ "kind": "error", "error": format!("the server answered {}", response.status) });
                if lifecycle {
                    error["status"] = json!(response.status.as_u16());
                    error["body"] = json!(String::from_utf8_lossy(&response.body));
                }
                reports.push(error);
            }
            if lifecycle {
                reports.push(json!({ "kind": "closed", "reason": stop.reason.as_str() }));
            }
            match reports.len() {
                0 => None,
                1 => reports.pop(),
                _ => Some(Value::Array(reports)),
            }
        }
        _ => None,
    }
}

/// POSTs reports to `<callback>/<k>`, k counting from 1.
struct Poster {
    callback: String,
    sent: AtomicU64,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Poster {
    fn new(callback: String) -> Self {
        Self {
            callback,
            sent: AtomicU64::new(0),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Posts `report` (each one of an array in turn), waiting for each answer: the harness
    /// sees them in order.
    async fn post(&self, report: Value) {
        let reports = match report {
            Value::Array(reports) => reports,
            report => vec![report],
        };
        for report in reports {
            let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
            let request = http::Request::post(format!("{}/{n}", self.callback))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(report.to_string())));
            let Ok(request) = request else {
                return;
            };
            let sent =
                tokio::time::timeout(Duration::from_secs(10), self.client.request(request)).await;
            if !matches!(sent, Ok(Ok(_))) {
                eprintln!("contract-service: callback {n} to {} failed", self.callback);
            }
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_take_every_field_and_refuse_what_is_missing() {
        let body = json!({
            "streamUrl": "http://127.0.0.1:9/s", "callbackUrl": "http://127.0.0.1:9/cb/",
            "initialDelayMs": 50, "readTimeoutMs": null, "lastEventId": "7",
            "headers": { "x-a": "1" }, "method": "REPORT", "body": "q",
            "maxDelayMs": 500, "jitter": false, "finite": true, "terminal": "[DONE]", "lifecycle": true,
        });
        let mut settings = settings(&body).unwrap();
        assert_eq!(settings.callback, "http://127.0.0.1:9/cb");
        assert_eq!(settings.read_timeout, None);
        assert!(settings.lifecycle);
        let attempt = settings.session.attempt();
        assert_eq!(attempt.method.as_str(), "REPORT");
        assert_eq!(
            (
                attempt.headers["x-a"].to_str().unwrap(),
                attempt.headers["last-event-id"].to_str().unwrap()
            ),
            ("1", "7")
        );
        assert_eq!(attempt.body, "q");
        for bad in [
            json!({}),
            json!({ "streamUrl": "x" }),
            json!({ "streamUrl": "http://a/", "callbackUrl": "http://b/", "method": "BAD METHOD" }),
        ] {
            assert!(settings_err(&bad), "{bad}");
        }
    }

    fn settings_err(body: &Value) -> bool {
        settings(body).is_err()
    }
}
