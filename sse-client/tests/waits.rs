//! Every wait of CLIENT.md, end to end on tokio's paused clock: the real `EventSource` over
//! an in-memory transport that notes when each request arrives, so that the test reads the
//! time between attempts off the clock, not off the client's own report.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, stream};

use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use ssekit_client::{
    Attempt, BoxError, ClientError, DEFAULT_FLOOR, DEFAULT_MAX_DELAY, EventSource, Item,
    ResponseFuture, Session, Transport, Url, Waits,
};
use ssekit_core::TokioTimer;
use tokio::time::Instant;

/// What the server does with one request.
#[derive(Clone)]
enum Reply {
    /// No response: the connection is refused.
    Refuse,
    /// A response with no stream: a status and its headers.
    Status(u16, Vec<(&'static str, &'static str)>),
    /// An event stream of `body`, which ends after `up` (never, for `None`).
    Stream {
        body: &'static str,
        up: Option<Duration>,
    },
}

/// Answers the n-th request with the n-th reply (a `204` after the script) and notes when
/// each came, on the paused clock.
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    at: Arc<Mutex<Vec<Duration>>>,
    start: Instant,
}

impl Transport for Script {
    fn send(&self, _attempt: Attempt) -> ResponseFuture {
        self.at.lock().unwrap().push(self.start.elapsed());
        let reply = self
            .replies
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Reply::Status(204, vec![]));
        Box::pin(async move {
            let (status, headers, body) = match reply {
                Reply::Refuse => return Err(BoxError::from("connection refused")),
                Reply::Status(status, headers) => (status, headers, None),
                Reply::Stream { body, up } => {
                    let headers = vec![("content-type", "text/event-stream")];
                    (200, headers, Some((body, up)))
                }
            };
            let first = body.map(|(body, _)| Ok(Frame::data(Bytes::from_static(body.as_bytes()))));
            let end = async move {
                match body.map(|(_, up)| up) {
                    // A status: its body is empty.
                    None => None,
                    Some(Some(up)) => {
                        tokio::time::sleep(up).await;
                        Some(Err(BoxError::from("the server went away")))
                    }
                    Some(None) => std::future::pending().await,
                }
            };
            let body = stream::iter(first)
                .map(Some)
                .chain(stream::once(end))
                .filter_map(std::future::ready);
            let mut response = http::Response::new(BodyExt::boxed(StreamBody::new(body)));
            *response.status_mut() = http::StatusCode::from_u16(status)?;
            for (name, value) in headers {
                response.headers_mut().insert(name, value.parse()?);
            }
            Ok(response)
        })
    }
}

/// Runs a client of `waits` against `replies` (with `configure` applied) until it stops,
/// or for at most 10 minutes of paused time; returns when each request came, and the
/// items.
async fn run(
    waits: Waits,
    replies: Vec<Reply>,
    configure: impl FnOnce(EventSource) -> EventSource,
) -> (Vec<Duration>, Vec<Item>) {
    let at = Arc::default();
    let script = Script {
        replies: Mutex::new(replies.into()),
        at: Arc::clone(&at),
        start: Instant::now(),
    };
    let session = Session::new(Url::parse("http://127.0.0.1:9/events").unwrap()).waits(waits);
    let mut client = configure(EventSource::with(session, script, TokioTimer));
    let mut items = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    while let Ok(Some(item)) = tokio::time::timeout_at(deadline, client.next()).await {
        items.push(item);
    }
    let at = at.lock().unwrap().clone();
    (at, items)
}

fn secs(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds)
}

/// The time between consecutive requests.
fn gaps(at: &[Duration]) -> Vec<Duration> {
    at.windows(2)
        .map(|pair| pair[1].checked_sub(pair[0]).unwrap())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_reconnection_time_is_1s_by_default_and_doubles_per_failure() {
    let replies = vec![Reply::Refuse, Reply::Refuse, Reply::Refuse];
    let (at, _) = run(Waits::new().without_jitter(), replies, |client| client).await;
    assert_eq!(gaps(&at), [secs(1.0), secs(2.0), secs(4.0)]);
}

#[tokio::test(start_paused = true)]
async fn a_retry_field_sets_the_reconnection_time_for_every_later_connection() {
    let replies = vec![
        // `retry:` in a block with no data still counts, and is kept across connections.
        Reply::Stream {
            body: "retry: 250\n\n",
            up: Some(Duration::ZERO),
        },
        Reply::Refuse,
        Reply::Stream {
            body: "data: x\n\n",
            up: Some(Duration::ZERO),
        },
    ];
    let (at, _) = run(Waits::new().without_jitter(), replies, |client| client).await;
    assert_eq!(gaps(&at), [secs(0.25), secs(0.5), secs(1.0)]);
}

#[tokio::test(start_paused = true)]
async fn backoff_grows_to_the_maximum_delay_and_stays_there() {
    let replies = vec![Reply::Refuse; 8];
    let waits = Waits::new()
        .max_delay(Duration::from_secs(5))
        .without_jitter();
    let (at, _) = run(waits, replies, |client| client).await;
    assert_eq!(
        gaps(&at),
        [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0, 5.0].map(secs)
    );
    assert_eq!(DEFAULT_MAX_DELAY, Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn jitter_keeps_each_wait_between_half_and_all_of_its_backoff() {
    let replies = vec![Reply::Refuse; 40];
    let waits = Waits::new().max_delay(Duration::from_secs(8));
    let (at, _) = run(waits, replies, |client| client).await;
    let gaps = gaps(&at);
    assert_eq!(gaps.len(), 40);
    for (failure, gap) in gaps.iter().enumerate() {
        let backoff = secs(f64::from(1 << failure.min(3)));
        assert!(
            *gap >= backoff / 2 && *gap <= backoff,
            "wait {failure}: {gap:?} for {backoff:?}"
        );
    }
    let capped = &gaps[3..];
    let distinct: std::collections::BTreeSet<_> = capped.iter().collect();
    assert!(
        distinct.len() > capped.len() / 2,
        "jittered waits differ: {capped:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_backoff_starts_over_only_after_a_stream_stayed_up_for_a_while() {
    let waits = Waits::new()
        .reset_after(Duration::from_secs(60))
        .without_jitter();
    let replies = vec![
        Reply::Refuse,
        Reply::Refuse,
        // Up for less than a minute: no reset, the waits keep growing.
        Reply::Stream {
            body: ": hi\n\n",
            up: Some(secs(59.0)),
        },
        // Up for a minute: its end waits the reconnection time again.
        Reply::Stream {
            body: ": hi\n\n",
            up: Some(secs(60.0)),
        },
    ];
    let (at, _) = run(waits, replies, |client| client).await;
    assert_eq!(gaps(&at), [1.0, 2.0, 4.0 + 59.0, 1.0 + 60.0].map(secs));
}

#[tokio::test(start_paused = true)]
async fn no_wait_is_shorter_than_the_floor_even_for_retry_0() {
    let replies = vec![
        Reply::Stream {
            body: "retry: 0\n\n",
            up: Some(Duration::ZERO),
        },
        Reply::Status(503, vec![("retry-after", "0")]),
    ];
    let (at, _) = run(Waits::new().without_jitter(), replies, |client| client).await;
    assert_eq!(DEFAULT_FLOOR, Duration::from_millis(100));
    assert_eq!(gaps(&at), [DEFAULT_FLOOR, DEFAULT_FLOOR]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_on_429_and_503_is_the_wait_capped_by_the_maximum() {
    let replies = vec![
        Reply::Status(429, vec![("retry-after", "7")]),
        Reply::Status(503, vec![("retry-after", "120")]),
        // Not a 429 or a 503: its Retry-After is not the client's business.
        Reply::Status(500, vec![("retry-after", "7")]),
    ];
    let waits = Waits::new()
        .max_delay(Duration::from_secs(20))
        .without_jitter();
    let (at, items) = run(waits, replies, |client| client).await;
    assert_eq!(
        gaps(&at),
        [secs(7.0), secs(20.0), secs(4.0)],
        "the third failure: 4 s"
    );
    let asked: Vec<_> = items
        .iter()
        .filter_map(|item| match item {
            Item::Error(ClientError::Status { retry_after, .. }) => Some(*retry_after),
            _ => None,
        })
        .collect();
    assert_eq!(asked, [Some(secs(7.0)), Some(secs(120.0)), None]);
}

#[tokio::test(start_paused = true)]
async fn the_idle_timeout_reconnects_a_stream_that_went_silent() {
    let replies = vec![
        Reply::Stream {
            body: "id: 1\ndata: a\n\n",
            up: None,
        },
        Reply::Stream {
            body: ": still here\n\n",
            up: None,
        },
    ];
    let (at, items) = run(Waits::new().without_jitter(), replies, |client| {
        client.read_timeout(Duration::from_secs(45))
    })
    .await;
    // Silent for 45 s: reconnect after the reconnection time (the second failure: 2 s).
    assert_eq!(at[..3], [secs(0.0), secs(46.0), secs(46.0 + 45.0 + 2.0)]);
    let idle = items
        .iter()
        .filter(|item| matches!(item, Item::Error(ClientError::Idle(timeout)) if *timeout == secs(45.0)))
        .count();
    assert!(idle >= 2, "{items:?}");
}

#[tokio::test(start_paused = true)]
async fn with_no_idle_timeout_a_silent_stream_is_kept() {
    let replies = vec![Reply::Stream {
        body: "data: a\n\n",
        up: None,
    }];
    let (at, _) = run(Waits::new(), replies, |client| client).await;
    assert_eq!(at, [secs(0.0)], "one request in ten minutes of silence");
}
