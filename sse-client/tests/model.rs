//! The client against a model of `shared/CLIENT.md`: for any script of server behaviours,
//! the requests the client sends and the items it yields are the model's.
//!
//! A script is a few responses, then a `204`: `200` event streams (events with and without
//! ids, `event:` types, `retry:`-only and `id:`-only blocks, an empty `id` that clears the
//! id, an `id` holding U+0000, comments, unknown fields, CR, LF and CRLF line endings), cut
//! off at any byte and delivered in chunks split at any byte, ending cleanly or with a body
//! error, and staying up for a while or not; `200` with another `Content-Type`; `204`,
//! `401`, `404`; `408`, `429`, `500`, `503` with or without a `Retry-After` in seconds;
//! redirects `301`, `302` and `307` to relative and absolute `Location`s (or none), up to
//! and past 10 hops; connections refused before a response. The case also picks the
//! method (`GET`, or a `POST` with a body), a starting last event id, the reconnection
//! time, the maximum delay and the time a stream must stay up to reset the backoff.
//!
//! The real [`EventSource`] runs over an in-memory [`Transport`] that answers from the
//! script, on tokio's paused clock, without jitter, so every wait is exact. The model is a
//! separate, plain reading of the rules (its own line parser, its own URL resolution, its
//! own backoff), and must agree on:
//!
//! - every request: method, URL after redirects, `Last-Event-ID` (kept across connections,
//!   moved by `id:`-only blocks, cleared by an empty `id`, not moved by an event the
//!   connection cut off), `Authorization` (dropped on leaving the origin), the stream
//!   headers and the body (dropped when a `301`/`302` turns a `POST` into a `GET`);
//! - every item: `Open` (attempt, final URL), `Event` (type, data, last event id),
//!   `Error` (refused, status with its honoured `Retry-After`, broken body), `Retrying`
//!   (attempt number and delay: the reconnection time doubled per failure, capped, with a
//!   floor; `Retry-After` on `429`/`503` within the cap; reset after a stable stream), and
//!   `Stopped` (reason, and the status and body of the response that made it stop).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue, Method, header};
use http_body::Frame;
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::sample::Index;
use ssekit_client::{
    Attempt, BoxError, ClientError, EventSource, Item, RedirectError, ResponseFuture, Session,
    StopReason, Stopped, Transport, Url, Waits,
};
use ssekit_core::TokioTimer;

/// Where every attempt starts.
const ORIGIN: &str = "http://stream.test";
const PATH: &str = "/v1/events";

/// The credentials the caller sends, which must not leave the origin.
const AUTHORIZATION: &str = "Bearer t0k3n";

/// The body of a `POST` stream.
const POST_BODY: &str = r#"{"stream":true}"#;

/// The shortest wait, even after `retry: 0` (CLIENT.md: "e.g. 100 ms").
const FLOOR: Duration = Duration::from_millis(100);

/// The most redirects one attempt follows (CLIENT.md).
const MAX_HOPS: usize = 10;

/// More items than any script can make: past it, the client is looping.
const MAX_ITEMS: usize = 1000;

// ---------------------------------------------------------------------------------------
// The script.

/// How a response's body arrives: its bytes up to a cut, in chunks, then its end.
#[derive(Clone, Debug)]
struct BodyPlan {
    /// `Bytes` for its `Debug`: a failing script reads as text.
    bytes: Bytes,
    /// Where the connection drops (`None`: after the last byte).
    cut: Option<Index>,
    /// Where the received bytes are split into chunks.
    splits: Vec<Index>,
    /// The body ends with an error rather than cleanly.
    broken: bool,
}

impl BodyPlan {
    fn empty() -> Self {
        Self {
            bytes: Bytes::new(),
            cut: None,
            splits: Vec::new(),
            broken: false,
        }
    }

    /// The bytes the client receives before the end.
    fn received(&self) -> &[u8] {
        let len = self
            .cut
            .map_or(self.bytes.len(), |cut| cut.index(self.bytes.len() + 1));
        &self.bytes[..len]
    }

    fn chunks(&self) -> VecDeque<Bytes> {
        let received = self.received();
        let mut at: Vec<usize> = self
            .splits
            .iter()
            .map(|split| split.index(received.len() + 1))
            .collect();
        at.push(0);
        at.push(received.len());
        at.sort_unstable();
        at.windows(2)
            .map(|pair| Bytes::copy_from_slice(&received[pair[0]..pair[1]]))
            .collect()
    }
}

/// How long a stream stays up after its last byte, against the case's reset time.
#[derive(Clone, Copy, Debug)]
enum Up {
    Brief,
    JustUnder,
    Exactly,
    Long,
}

impl Up {
    fn duration(self, reset_after: Duration) -> Duration {
        match self {
            Self::Brief => Duration::ZERO,
            Self::JustUnder => reset_after.saturating_sub(Duration::from_millis(1)),
            Self::Exactly => reset_after,
            Self::Long => reset_after * 2,
        }
    }
}

/// What the server does with one request.
#[derive(Clone, Debug)]
enum Step {
    /// The connection fails before a response.
    Refused,
    /// A `200` with this `Content-Type` (or none).
    Ok {
        content_type: Option<&'static str>,
        body: BodyPlan,
        up: Up,
    },
    /// Another status, with this `Retry-After` (or none).
    Status {
        status: u16,
        retry_after: Option<&'static str>,
        body: BodyPlan,
    },
    /// A redirect to this `Location` (or none).
    Redirect {
        status: u16,
        location: Option<&'static str>,
    },
}

impl Step {
    fn no_content() -> Self {
        Self::Status {
            status: 204,
            retry_after: None,
            body: BodyPlan::empty(),
        }
    }
}

/// One client and what its server does.
#[derive(Clone, Debug)]
struct Case {
    post: bool,
    start_id: Option<&'static str>,
    reconnection_time: Duration,
    max_delay: Duration,
    reset_after: Duration,
    /// Ends with a `204`.
    script: Vec<Step>,
}

// ---------------------------------------------------------------------------------------
// What is compared.

/// A request as the server sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Request {
    method: Method,
    url: String,
    last_event_id: Option<String>,
    authorization: bool,
    /// `Accept: text/event-stream` and `Cache-Control: no-cache`.
    stream_headers: bool,
    body: Vec<u8>,
}

impl Request {
    fn sent(attempt: &Attempt) -> Self {
        let headers = &attempt.headers;
        Self {
            method: attempt.method.clone(),
            url: attempt.url.as_str().to_owned(),
            last_event_id: headers
                .get("last-event-id")
                .map(|id| String::from_utf8_lossy(id.as_bytes()).into_owned()),
            authorization: headers
                .get(header::AUTHORIZATION)
                .map(HeaderValue::as_bytes)
                == Some(AUTHORIZATION.as_bytes()),
            stream_headers: headers.get(header::ACCEPT).map(HeaderValue::as_bytes)
                == Some(b"text/event-stream")
                && headers
                    .get(header::CACHE_CONTROL)
                    .map(HeaderValue::as_bytes)
                    == Some(b"no-cache"),
            body: attempt.body.to_vec(),
        }
    }
}

/// Why an error item came.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cause {
    Connect,
    Body,
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    Other(String),
}

/// An item, as compared.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Open {
        status: u16,
        attempt: u32,
        url: String,
    },
    Event {
        event_type: String,
        data: String,
        id: String,
    },
    Error(Cause),
    Retrying {
        attempt: u32,
        delay: Duration,
    },
    Stopped {
        reason: Stopped,
        /// The status and the start of the body of the response that made it stop.
        response: Option<(u16, Vec<u8>)>,
    },
    Other(String),
}

impl From<Item> for Seen {
    fn from(item: Item) -> Self {
        match item {
            Item::Open {
                status,
                url,
                attempt,
                ..
            } => Self::Open {
                status: status.as_u16(),
                attempt,
                url: url.as_str().to_owned(),
            },
            Item::Event(message) => Self::Event {
                event_type: message.event_type().to_owned(),
                data: message.data().to_owned(),
                id: message.last_event_id().to_owned(),
            },
            Item::Error(error) => Self::Error(match error {
                ClientError::Connect(_) => Cause::Connect,
                ClientError::Body(_) => Cause::Body,
                ClientError::Status {
                    status,
                    retry_after,
                } => Cause::Status {
                    status: status.as_u16(),
                    retry_after,
                },
                other => Cause::Other(other.to_string()),
            }),
            Item::Retrying { attempt, delay, .. } => Self::Retrying { attempt, delay },
            Item::Stopped(stop) => Self::Stopped {
                reason: stop.reason,
                response: stop
                    .response
                    .map(|response| (response.status.as_u16(), response.body.to_vec())),
            },
            other => Self::Other(format!("{other:?}")),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The client, over a scripted transport.

/// A body that gives its chunks, waits for its time up, then ends or breaks.
struct ScriptedBody {
    chunks: VecDeque<Bytes>,
    up: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    broken: bool,
}

impl http_body::Body for ScriptedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.chunks.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if !this.up.is_zero() {
            let up = this.up;
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(up)));
            ready!(sleep.as_mut().poll(cx));
            this.up = Duration::ZERO;
        }
        if std::mem::take(&mut this.broken) {
            return Poll::Ready(Some(Err("connection reset by the script".into())));
        }
        Poll::Ready(None)
    }
}

/// Answers the n-th request with the script's n-th step (a `204` past its end), and keeps
/// every request.
struct ScriptedTransport {
    script: Vec<Step>,
    reset_after: Duration,
    sent: Arc<Mutex<Vec<Request>>>,
}

impl Transport for ScriptedTransport {
    fn send(&self, attempt: Attempt) -> ResponseFuture {
        let step = {
            let mut sent = self.sent.lock().unwrap();
            sent.push(Request::sent(&attempt));
            self.script
                .get(sent.len() - 1)
                .cloned()
                .unwrap_or_else(Step::no_content)
        };
        let (status, headers, body, up) = match step {
            Step::Refused => {
                return Box::pin(async { Err("connection refused by the script".into()) });
            }
            Step::Ok {
                content_type,
                body,
                up,
            } => (
                200,
                content_type.map(|value| (header::CONTENT_TYPE, value)),
                body,
                up.duration(self.reset_after),
            ),
            Step::Status {
                status,
                retry_after,
                body,
            } => (
                status,
                retry_after.map(|value| (header::RETRY_AFTER, value)),
                body,
                Duration::ZERO,
            ),
            Step::Redirect { status, location } => (
                status,
                location.map(|value| (header::LOCATION, value)),
                BodyPlan::empty(),
                Duration::ZERO,
            ),
        };
        let mut response = http::Response::new(
            ScriptedBody {
                chunks: body.chunks(),
                up,
                sleep: None,
                broken: body.broken,
            }
            .boxed(),
        );
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        if let Some((name, value)) = headers {
            response
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        Box::pin(async move { Ok(response) })
    }
}

/// Runs the real client on the case's script, on a paused clock: its requests and items.
fn run(case: &Case) -> (Vec<Request>, Vec<Seen>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = Url::parse(&format!("{ORIGIN}{PATH}")).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(AUTHORIZATION),
        );
        let waits = Waits::new()
            .reconnection_time(case.reconnection_time)
            .max_delay(case.max_delay)
            .floor(FLOOR)
            .reset_after(case.reset_after)
            .without_jitter();
        let mut session = Session::new(url).headers(headers).waits(waits);
        if case.post {
            session = session.request(Method::POST, POST_BODY);
        }
        if let Some(id) = case.start_id {
            session = session.last_event_id(id);
        }
        let sent = Arc::default();
        let transport = ScriptedTransport {
            script: case.script.clone(),
            reset_after: case.reset_after,
            sent: Arc::clone(&sent),
        };
        let mut client = EventSource::with(session, transport, TokioTimer);
        let mut seen = Vec::new();
        while let Some(item) = client.next().await {
            seen.push(Seen::from(item));
            if seen.len() > MAX_ITEMS {
                break;
            }
        }
        let requests = sent.lock().unwrap().clone();
        (requests, seen)
    })
}

// ---------------------------------------------------------------------------------------
// The model.

/// A URL as the model keeps it: `http://host`, a path from `/`, a query.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Place {
    origin: String,
    path: String,
    query: Option<String>,
}

impl Place {
    fn original() -> Self {
        Self {
            origin: ORIGIN.to_owned(),
            path: PATH.to_owned(),
            query: None,
        }
    }

    /// `location` resolved against this URL (RFC 3986, section 5.2, for the forms the
    /// script uses: absolute `http` URLs, absolute paths, queries, relative paths).
    fn join(&self, location: &str) -> Self {
        let (origin, reference) = match location.strip_prefix("http://") {
            Some(rest) => {
                let end = rest.find('/').unwrap_or(rest.len());
                (format!("http://{}", &rest[..end]), &rest[end..])
            }
            None => (self.origin.clone(), location),
        };
        let (path, query) = match reference.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (reference, None),
        };
        let absolute = origin != self.origin || location.starts_with("http://");
        let path = if absolute || path.starts_with('/') {
            if path.is_empty() { "/" } else { path }.to_owned()
        } else if path.is_empty() {
            // A query only: the same path.
            return Self {
                origin,
                path: self.path.clone(),
                query,
            };
        } else {
            let directory = &self.path[..=self.path.rfind('/').unwrap_or(0)];
            format!("{directory}{path}")
        };
        Self {
            origin,
            path: remove_dot_segments(&path),
            query,
        }
    }

    fn as_url(&self) -> String {
        match &self.query {
            Some(query) => format!("{}{}?{query}", self.origin, self.path),
            None => format!("{}{}", self.origin, self.path),
        }
    }
}

/// `.` and `..` segments taken out of an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path[1..].split('/').collect();
    for segment in &segments {
        match *segment {
            "." => {}
            ".." => {
                kept.pop();
            }
            other => kept.push(other),
        }
    }
    if matches!(segments.last(), Some(&("." | ".."))) {
        kept.push("");
    }
    format!("/{}", kept.join("/"))
}

/// The essence of a `Content-Type` is `text/event-stream`, in any case.
fn is_event_stream(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or_default();
        essence.trim().eq_ignore_ascii_case("text/event-stream")
    })
}

/// A `Retry-After` in seconds: digits, with optional whitespace around them.
fn retry_after_seconds(value: Option<&str>) -> Option<Duration> {
    let value = value?.trim();
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().map(Duration::from_secs)
}

/// An event as the model delivers it.
struct ModelEvent {
    event_type: String,
    data: String,
    id: String,
}

/// One client's state across connections, as CLIENT.md and SPEC.md describe it.
struct Model {
    last_event_id: String,
    reconnection_time: Duration,
    max_delay: Duration,
    reset_after: Duration,
    /// Failed attempts since the last stable stream.
    failures: u32,
}

impl Model {
    /// The wait after a failed attempt: `asked` (a `Retry-After`) within the cap, or the
    /// reconnection time doubled per failure in a row, within the cap; never under the
    /// floor.
    fn failed(&mut self, asked: Option<Duration>) -> Duration {
        self.failures += 1;
        let wait = asked.map_or_else(
            || {
                let mut wait = self.reconnection_time.min(self.max_delay);
                for _ in 1..self.failures {
                    wait = (wait * 2).min(self.max_delay);
                }
                wait
            },
            |asked| asked.min(self.max_delay),
        );
        wait.max(FLOOR)
    }

    /// Reads one connection's received bytes: the events it delivers, the last event id and
    /// the reconnection time it leaves. Only lines that ended count; an event the bytes
    /// end in is dropped, with its id.
    fn read(&mut self, bytes: &[u8]) -> Vec<ModelEvent> {
        let mut events = Vec::new();
        // The last-event-id buffer starts from the id kept from earlier connections.
        let mut id_buffer = self.last_event_id.clone();
        let mut data = String::new();
        let mut event_type = String::new();
        let mut at = 0;
        while let Some(length) = bytes[at..].iter().position(|&b| b == b'\r' || b == b'\n') {
            let line = std::str::from_utf8(&bytes[at..at + length]).unwrap();
            let ending = at + length;
            at = if bytes[ending] == b'\r' && bytes.get(ending + 1) == Some(&b'\n') {
                ending + 2
            } else {
                ending + 1
            };
            if line.is_empty() {
                self.last_event_id.clone_from(&id_buffer);
                if data.is_empty() {
                    event_type.clear();
                    continue;
                }
                data.pop();
                events.push(ModelEvent {
                    event_type: if event_type.is_empty() {
                        "message".to_owned()
                    } else {
                        std::mem::take(&mut event_type)
                    },
                    data: std::mem::take(&mut data),
                    id: self.last_event_id.clone(),
                });
                event_type.clear();
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (name, value) = match line.split_once(':') {
                Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match name {
                "event" => value.clone_into(&mut event_type),
                "data" => {
                    data.push_str(value);
                    data.push('\n');
                }
                "id" if !value.contains('\0') => value.clone_into(&mut id_buffer),
                "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    self.reconnection_time = Duration::from_millis(value.parse().unwrap());
                }
                _ => {}
            }
        }
        events
    }
}

/// What the client must send and show for `case`, by the rules alone.
fn model(case: &Case) -> (Vec<Request>, Vec<Seen>) {
    let mut model = Model {
        last_event_id: case.start_id.unwrap_or_default().to_owned(),
        reconnection_time: case.reconnection_time,
        max_delay: case.max_delay,
        reset_after: case.reset_after,
        failures: 0,
    };
    let mut steps = case
        .script
        .iter()
        .cloned()
        .chain(std::iter::repeat_with(Step::no_content));
    let mut requests = Vec::new();
    let mut seen = Vec::new();
    for attempt in 1.. {
        let Some(wait) = model.attempt(attempt, case.post, &mut steps, &mut requests, &mut seen)
        else {
            break;
        };
        seen.push(Seen::Retrying {
            attempt: attempt + 1,
            delay: wait,
        });
        if seen.len() > MAX_ITEMS {
            break;
        }
    }
    (requests, seen)
}

impl Model {
    /// One attempt, from the original URL through its redirects: the wait before the next,
    /// or `None` when the client stops.
    fn attempt(
        &mut self,
        attempt: u32,
        post: bool,
        steps: &mut impl Iterator<Item = Step>,
        requests: &mut Vec<Request>,
        seen: &mut Vec<Seen>,
    ) -> Option<Duration> {
        let mut place = Place::original();
        let (mut method, mut body) = if post {
            (Method::POST, POST_BODY.as_bytes().to_vec())
        } else {
            (Method::GET, Vec::new())
        };
        let mut authorization = true;
        let mut hops = 0;
        loop {
            requests.push(Request {
                method: method.clone(),
                url: place.as_url(),
                last_event_id: Some(self.last_event_id.clone()).filter(|id| !id.is_empty()),
                authorization,
                stream_headers: true,
                body: body.clone(),
            });
            let stop = |reason, response| Seen::Stopped {
                reason,
                response: Some(response),
            };
            match steps.next().unwrap() {
                Step::Refused => {
                    seen.push(Seen::Error(Cause::Connect));
                    return Some(self.failed(None));
                }
                Step::Redirect {
                    status,
                    location: None,
                } => {
                    seen.push(stop(
                        Stopped::Redirect(RedirectError::Location),
                        (status, Vec::new()),
                    ));
                    return None;
                }
                Step::Redirect {
                    status,
                    location: Some(location),
                } => {
                    if hops == MAX_HOPS {
                        seen.push(stop(Stopped::TooManyRedirects, (status, Vec::new())));
                        return None;
                    }
                    let next = place.join(location);
                    if next.origin != place.origin {
                        authorization = false;
                    }
                    if status != 307 && method == Method::POST {
                        method = Method::GET;
                        body.clear();
                    }
                    place = next;
                    hops += 1;
                }
                Step::Ok {
                    content_type,
                    body: plan,
                    up,
                } if is_event_stream(content_type) => {
                    return self.stream(attempt, post, &place, &plan, up, seen);
                }
                Step::Ok { body: plan, .. } => {
                    let response = (200, plan.received().to_vec());
                    seen.push(stop(Stopped::Response(StopReason::ContentType), response));
                    return None;
                }
                Step::Status {
                    status,
                    retry_after,
                    body: plan,
                } => {
                    let asked = match status {
                        408 | 500 => None,
                        429 | 503 => retry_after_seconds(retry_after),
                        204 => {
                            let response = (status, plan.received().to_vec());
                            seen.push(stop(Stopped::Response(StopReason::NoContent), response));
                            return None;
                        }
                        _ => {
                            let response = (status, plan.received().to_vec());
                            seen.push(stop(
                                Stopped::Response(StopReason::Status(status)),
                                response,
                            ));
                            return None;
                        }
                    };
                    seen.push(Seen::Error(Cause::Status {
                        status,
                        retry_after: asked,
                    }));
                    return Some(self.failed(asked));
                }
            }
        }
    }

    /// An open stream: its events, its end, and the wait after it (`None`: a `POST` that
    /// delivered events with no id to resume from is not sent again).
    fn stream(
        &mut self,
        attempt: u32,
        post: bool,
        place: &Place,
        plan: &BodyPlan,
        up: Up,
        seen: &mut Vec<Seen>,
    ) -> Option<Duration> {
        seen.push(Seen::Open {
            status: 200,
            attempt,
            url: place.as_url(),
        });
        let events = self.read(plan.received());
        let delivered = events.len();
        seen.extend(events.into_iter().map(|event| Seen::Event {
            event_type: event.event_type,
            data: event.data,
            id: event.id,
        }));
        if plan.broken {
            seen.push(Seen::Error(Cause::Body));
        }
        if post && delivered > 0 && self.last_event_id.is_empty() {
            seen.push(Seen::Stopped {
                reason: Stopped::Truncated,
                response: None,
            });
            return None;
        }
        if up.duration(self.reset_after) >= self.reset_after {
            self.failures = 0;
        }
        Some(self.failed(None))
    }
}

// ---------------------------------------------------------------------------------------
// The strategies.

/// One line of an event stream, without its ending.
fn stream_line() -> impl Strategy<Value = String> {
    let value = "[ab1 :]{0,4}";
    prop_oneof![
        4 => Just(String::new()),
        4 => value.prop_map(|value| format!("data: {value}")),
        1 => value.prop_map(|value| format!("data:{value}")),
        1 => Just("data".to_owned()),
        1 => "[a-c]{0,3}".prop_map(|name| format!("event: {name}")),
        3 => "[0-9]{1,2}".prop_map(|id| format!("id: {id}")),
        1 => "[ab ]{0,2}".prop_map(|id| format!("id:{id}")),
        1 => prop::sample::select(vec!["id", "id:", "id: "]).prop_map(str::to_owned),
        1 => Just("id: 9\0".to_owned()),
        2 => (0_u64..=1000).prop_map(|ms| format!("retry: {ms}")),
        1 => prop::sample::select(vec!["retry: +5", "retry: 1x", "retry:", " retry: 5", "retry: 7 "])
            .prop_map(str::to_owned),
        1 => prop::sample::select(vec![": ping", ":", "Data: X", "other: y", "idx: 3"])
            .prop_map(str::to_owned),
    ]
}

/// An event stream's bytes: lines, each with a CR, LF or CRLF.
fn stream_bytes() -> impl Strategy<Value = Vec<u8>> {
    let ending = prop_oneof![3 => Just("\n"), 1 => Just("\r"), 1 => Just("\r\n")];
    prop::collection::vec((stream_line(), ending), 0..20).prop_map(|lines| {
        lines
            .into_iter()
            .flat_map(|(line, ending)| [line, ending.to_owned()])
            .collect::<String>()
            .into_bytes()
    })
}

fn plan(bytes: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = BodyPlan> {
    let bytes = bytes.prop_map(Bytes::from);
    (
        bytes,
        prop::option::weighted(0.5, any::<Index>()),
        prop::collection::vec(any::<Index>(), 0..4),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(bytes, cut, splits, broken)| BodyPlan {
            bytes,
            cut,
            splits,
            broken,
        })
}

fn up() -> impl Strategy<Value = Up> {
    prop_oneof![
        6 => Just(Up::Brief),
        1 => Just(Up::JustUnder),
        1 => Just(Up::Exactly),
        1 => Just(Up::Long),
    ]
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        16 => Just(Some("text/event-stream")),
        3 => Just(Some("text/event-stream; charset=utf-8")),
        3 => Just(Some("Text/Event-Stream;")),
        1 => Just(None),
        1 => Just(Some("text/plain")),
        1 => Just(Some("application/json")),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        2 => Just(408),
        3 => Just(429),
        2 => Just(500),
        3 => Just(503),
        1 => Just(204),
        1 => Just(401),
        1 => Just(404),
    ]
}

fn retry_after() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::weighted(
        0.6,
        prop::sample::select(vec!["0", "1", "3", "20", " 2 ", "soon", "1.5"]),
    )
}

fn redirect() -> impl Strategy<Value = Step> {
    let location = prop::option::weighted(
        0.98,
        prop::sample::select(vec![
            "/v2/events",
            "next",
            "../moved",
            "./here",
            "sub/deeper?page=2",
            "?page=3",
            "http://other.test/far/away",
            "http://stream.test/v1/back",
        ]),
    );
    (prop::sample::select(vec![301_u16, 302, 307]), location)
        .prop_map(|(status, location)| Step::Redirect { status, location })
}

/// A few steps that go together: one response, or a chain of redirects.
fn steps() -> impl Strategy<Value = Vec<Step>> {
    let stream =
        (content_type(), plan(stream_bytes()), up()).prop_map(|(content_type, body, up)| {
            Step::Ok {
                content_type,
                body,
                up,
            }
        });
    let status = (
        status(),
        retry_after(),
        plan("[a-z ]{0,8}".prop_map(String::into_bytes)),
    )
        .prop_map(|(status, retry_after, body)| Step::Status {
            status,
            retry_after,
            body,
        });
    let chain = prop_oneof![
        6 => prop::collection::vec(redirect(), 1..=3),
        1 => prop::collection::vec(redirect(), 10..=11),
    ];
    prop_oneof![
        6 => stream.prop_map(|step| vec![step]),
        4 => status.prop_map(|step| vec![step]),
        2 => chain,
        1 => Just(vec![Step::Refused]),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let millis = |values: Vec<u64>| prop::sample::select(values).prop_map(Duration::from_millis);
    (
        any::<bool>(),
        prop::option::of(Just("start")),
        millis(vec![0, 1, 50, 100, 250, 1000]),
        millis(vec![1000, 2000, 3000, 8000]),
        millis(vec![1000, 5000, 60_000]),
        prop::collection::vec(steps(), 1..=8),
    )
        .prop_map(
            |(post, start_id, reconnection_time, max_delay, reset_after, groups)| {
                let mut script: Vec<Step> = groups.into_iter().flatten().collect();
                script.push(Step::no_content());
                Case {
                    post,
                    start_id,
                    reconnection_time,
                    max_delay,
                    reset_after,
                    script,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_client_sends_and_shows_what_the_model_of_the_rules_does(case in case()) {
        let (requests, seen) = run(&case);
        let (expected_requests, expected_seen) = model(&case);
        prop_assert_eq!(seen, expected_seen, "the items");
        prop_assert_eq!(requests, expected_requests, "the requests");
    }
}

/// The model itself, on the cases CLIENT.md spells out.
#[test]
fn the_model_resolves_locations_and_reads_streams_as_the_rules_say() {
    let from = Place::original();
    let cases = [
        ("/v2/events", "http://stream.test/v2/events"),
        ("next", "http://stream.test/v1/next"),
        ("../moved", "http://stream.test/moved"),
        ("./here", "http://stream.test/v1/here"),
        (
            "sub/deeper?page=2",
            "http://stream.test/v1/sub/deeper?page=2",
        ),
        ("?page=3", "http://stream.test/v1/events?page=3"),
        ("http://other.test/far/away", "http://other.test/far/away"),
    ];
    for (location, expected) in cases {
        assert_eq!(from.join(location).as_url(), expected, "{location}");
        let parsed = Url::parse(&from.as_url()).unwrap().join(location).unwrap();
        assert_eq!(
            parsed.as_str(),
            expected,
            "the url crate agrees on {location}"
        );
    }
    assert_eq!(
        Place::original().join("../moved").join("../moved").as_url(),
        "http://stream.test/moved"
    );

    let mut model = Model {
        last_event_id: "5".into(),
        reconnection_time: Duration::from_secs(1),
        max_delay: Duration::from_secs(4),
        reset_after: Duration::from_secs(60),
        failures: 0,
    };
    let events = model.read(b"data: a\r\rid: 6\n\nretry: 250\r\nid: 7\ndata: cut");
    let events: Vec<_> = events
        .iter()
        .map(|event| {
            (
                event.event_type.as_str(),
                event.data.as_str(),
                event.id.as_str(),
            )
        })
        .collect();
    assert_eq!(events, [("message", "a", "5")]);
    assert_eq!(
        model.last_event_id, "6",
        "the id-only block moved it; the cut event did not"
    );
    assert_eq!(model.reconnection_time, Duration::from_millis(250));
    let waits: Vec<_> = (0..5).map(|_| model.failed(None).as_millis()).collect();
    assert_eq!(waits, [250, 500, 1000, 2000, 4000]);
    assert_eq!(
        model.failed(Some(Duration::from_secs(20))),
        Duration::from_secs(4)
    );
    model.read(b"retry: 0\n");
    model.failures = 0;
    assert_eq!(model.failed(None), FLOOR);
}
