//! A subscription on a Redis backend: first it finds where the client resumes (this
//! instance's memory, a page of Redis, a wait for this instance's reader, or `OnUnknownId`),
//! then it is the local fan-out's subscription.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use ssekit_hub::id::parse_id;
use ssekit_hub::{OnUnknownId, Subscription};
use tokio::sync::watch;

use crate::backend::Inner;
use crate::entries;
use crate::follow::{Follow, FollowState};
use crate::stats::count;

/// How many entries one page of a resume from Redis asks for.
const PAGE: usize = 512;

/// A subscriber's stream of frames on a [`RedisBackend`](crate::RedisBackend): the events
/// after its `Last-Event-ID`, then the live ones, in order, with no gap and no duplicate
/// (or, for an id that cannot be resumed, what [`OnUnknownId`](ssekit_hub::OnUnknownId)
/// says). It ends, and its client reconnects, when the subscriber falls behind its backlog,
/// when this instance's reader finds a gap, or when the resume cannot be decided in time
/// (Redis unreachable); never with a hole in what it yielded.
///
/// # Example
///
/// ```no_run
/// use futures_util::StreamExt;
/// use ssekit_hub::Backend;
/// use ssekit_redis::{RedisBackend, RedisConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ssekit_redis::Error> {
/// let backend = RedisBackend::connect(RedisConfig::new("redis://127.0.0.1:6379/")).await?;
/// let mut subscription = backend.subscribe("talk", Some("1887436800000000041"));
/// while let Some(frames) = subscription.next().await {
///     print!("{}", String::from_utf8_lossy(&frames));
/// }
/// # Ok(())
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct RedisSubscription {
    state: State,
    /// Dropped after the local subscription (field order): the last holder unfollows.
    _follow: Option<FollowGuard>,
}

enum State {
    Opening(Pin<Box<dyn Future<Output = Option<Opened>> + Send>>),
    Open {
        prefix: VecDeque<Bytes>,
        live: Subscription,
    },
    Ended,
}

/// A resume decided: frames paged from Redis, then the local subscription.
pub(crate) struct Opened {
    prefix: VecDeque<Bytes>,
    live: Subscription,
}

/// A subscription's hold on its topic's follow.
pub(crate) struct FollowGuard {
    pub(crate) inner: Arc<Inner>,
    pub(crate) group: usize,
    pub(crate) follow: Arc<Follow>,
}

impl Drop for FollowGuard {
    fn drop(&mut self) {
        let inner = &self.inner;
        let follow = &self.follow;
        inner.groups[self.group].release(follow, || {
            inner.memory.remove_topic(&follow.name);
            inner
                .counters
                .followed_topics
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        });
    }
}

impl RedisSubscription {
    /// Opens a subscription that starts at `start`.
    pub(crate) fn opening(guard: FollowGuard, wake: bool, start: Start) -> Self {
        let future = open(
            Arc::clone(&guard.inner),
            Arc::clone(&guard.follow),
            guard.group,
            wake,
            start,
        );
        Self {
            state: State::Opening(Box::pin(future)),
            _follow: Some(guard),
        }
    }

    /// A subscription that ends at once (the backend is closed).
    pub(crate) fn ended() -> Self {
        Self {
            state: State::Ended,
            _follow: None,
        }
    }
}

impl Stream for RedisSubscription {
    type Item = Bytes;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Opening(future) => match ready!(future.as_mut().poll(cx)) {
                    Some(Opened { prefix, live }) => this.state = State::Open { prefix, live },
                    None => this.state = State::Ended,
                },
                State::Open { prefix, live } => {
                    if let Some(frames) = prefix.pop_front() {
                        return Poll::Ready(Some(frames));
                    }
                    return Pin::new(live).poll_next(cx);
                }
                State::Ended => return Poll::Ready(None),
            }
        }
    }
}

impl fmt::Debug for RedisSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Opening(_) => "opening",
            State::Open { .. } => "open",
            State::Ended => "ended",
        };
        f.debug_struct("RedisSubscription")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

/// Where a subscription starts.
#[derive(Debug)]
pub(crate) enum Start {
    /// After the client's `Last-Event-ID` (a resume, counted in the stats).
    Resume(String),
    /// After this id: where the reader was when a new subscriber came.
    After(u64),
    /// At the topic's first event: a new subscriber came before the topic had any.
    FirstEvent,
    /// At the first event published since this time (ms since 1970): a new subscriber of
    /// a topic this instance did not follow yet, placed once the reader attaches it.
    Since(u64),
}

/// What the topic's state says of a `Last-Event-ID`.
enum Decision {
    /// Resolved from this instance's memory: the local subscription replays what follows.
    Memory(Subscription),
    /// The id is past this instance's reader.
    Ahead(u64),
    /// The id is older than the local window, which starts at `first`: `live` yields from
    /// `first` on; the events between come from Redis.
    Older {
        last: u64,
        first: u64,
        live: Subscription,
    },
    /// The id cannot be resumed: what `OnUnknownId` says.
    Unknown,
}

async fn open(
    inner: Arc<Inner>,
    follow: Arc<Follow>,
    group: usize,
    wake: bool,
    start: Start,
) -> Option<Opened> {
    let mut changes = follow.watch();
    if wake {
        inner.wake(group).await;
    }
    let attach_wait = inner.config.block + inner.config.reply_margin + inner.config.command_timeout;
    wait_for(&follow, &mut changes, attach_wait, |state| state.attached).await?;
    let (last_event_id, resume) = match start {
        Start::Resume(id) => (Some(id), true),
        Start::After(last) => (Some(last.to_string()), false),
        Start::FirstEvent => {
            let first = follow.lock().first_relayed;
            (first.map(|first| (first - 1).to_string()), false)
        }
        Start::Since(since_ms) => {
            let after = follow.lock().start_since(since_ms);
            (after.map(|after| after.to_string()), false)
        }
    };
    let counters = &inner.counters;
    let tally = |counter: &AtomicU64| {
        if resume {
            count(counter);
        }
    };
    let mut waited = false;
    loop {
        match decide(&inner, &follow, last_event_id.as_deref()) {
            Decision::Memory(live) => {
                tally(if waited {
                    &counters.resumed_after_wait
                } else {
                    &counters.resumed_from_memory
                });
                return Some(Opened {
                    prefix: VecDeque::new(),
                    live,
                });
            }
            Decision::Ahead(last) => {
                let known = inner
                    .commands
                    .query::<Option<String>>(redis::cmd("GET").arg(&follow.keys.counter))
                    .await
                    .ok()?
                    .and_then(|text| parse_id(&text))
                    .is_some_and(|counter| counter >= last);
                if !known {
                    tally(&counters.resumed_unknown);
                    return unknown(&inner, &follow).await;
                }
                let caught_up = |state: &FollowState| state.last.is_some_and(|read| read >= last);
                wait_for(
                    &follow,
                    &mut changes,
                    inner.config.catch_up_timeout,
                    caught_up,
                )
                .await?;
                waited = true;
            }
            Decision::Older { last, first, live } => {
                if let Some(prefix) = page(&inner, &follow, Some(last), first).await? {
                    tally(&counters.resumed_from_redis);
                    return Some(Opened { prefix, live });
                }
                drop(live);
                tally(&counters.resumed_unknown);
                return unknown(&inner, &follow).await;
            }
            Decision::Unknown => {
                tally(&counters.resumed_unknown);
                return unknown(&inner, &follow).await;
            }
        }
    }
}

/// Decides under the follow's lock, which the reader holds while it relays: the local
/// window and the reader's position are one state here.
fn decide(inner: &Inner, follow: &Follow, last_event_id: Option<&str>) -> Decision {
    let state = follow.lock();
    let next = state.last.map(|last| last + 1);
    let subscribe = |last_event_id: Option<&str>| {
        inner
            .memory
            .subscribe_relayed(&follow.name, last_event_id, next)
    };
    let Some(text) = last_event_id.filter(|text| !text.is_empty()) else {
        return Decision::Memory(subscribe(None));
    };
    let (Some(last), Some(next)) = (parse_id(text), next) else {
        return Decision::Unknown;
    };
    let Some(resume) = last.checked_add(1) else {
        return Decision::Unknown;
    };
    let first = first_retained(inner, follow, next);
    if resume > next {
        Decision::Ahead(last)
    } else if resume >= first {
        Decision::Memory(subscribe(Some(text)))
    } else {
        let live = subscribe(Some(&(first - 1).to_string()));
        Decision::Older { last, first, live }
    }
}

/// The oldest id of the local window (`next` when it holds none).
fn first_retained(inner: &Inner, follow: &Follow, next: u64) -> u64 {
    inner
        .memory
        .position(&follow.name)
        .map_or(next, |position| position.first_retained)
}

/// A subscription for an id that cannot be resumed, as `OnUnknownId` says: the next live
/// event on; or (`ReplayAll`, `Marker`) every event Redis and the local window still
/// hold, after the marker if there is one. `None` when Redis could not be asked.
async fn unknown(inner: &Inner, follow: &Follow) -> Option<Opened> {
    let policy = inner.config.hub.unknown_id_policy();
    let (live, first) = {
        let state = follow.lock();
        let Some(next) = state.last.map(|last| last + 1) else {
            // Redis has no id of the topic: there is nothing to replay.
            let live = inner.memory.subscribe_relayed(&follow.name, None, None);
            return Some(Opened {
                prefix: marker(policy).into_iter().collect(),
                live,
            });
        };
        let first = match policy {
            OnUnknownId::StartLive => next,
            OnUnknownId::ReplayAll | OnUnknownId::Marker(_) => first_retained(inner, follow, next),
        };
        let after = (first - 1).to_string();
        let live = inner
            .memory
            .subscribe_relayed(&follow.name, Some(&after), Some(next));
        (live, first)
    };
    let mut prefix: VecDeque<Bytes> = marker(policy).into_iter().collect();
    if !matches!(policy, OnUnknownId::StartLive) {
        // What Redis holds before the window, if it joins the window with no hole.
        prefix.extend(page(inner, follow, None, first).await?.unwrap_or_default());
    }
    Some(Opened { prefix, live })
}

fn marker(policy: &OnUnknownId) -> Option<Bytes> {
    match policy {
        OnUnknownId::Marker(marker) => Some(marker.to_bytes()),
        OnUnknownId::StartLive | OnUnknownId::ReplayAll => None,
    }
}

/// The frames of the events after `last` (from the stream's oldest, for `None`) up to the
/// one before `first`, paged from Redis, joined a page at a time. `Some(None)` when Redis
/// no longer has all of them (trimmed, expired, a new epoch): they do not join `first`
/// with no hole. `None` when Redis could not be asked.
async fn page(
    inner: &Inner,
    follow: &Follow,
    last: Option<u64>,
    first: u64,
) -> Option<Option<VecDeque<Bytes>>> {
    let mut pages = VecDeque::new();
    let Some(end) = first.checked_sub(1) else {
        return Some(Some(pages));
    };
    let mut expected = last.map(|last| last + 1);
    while expected.is_none_or(|expected| expected < first) {
        let start = expected.map_or_else(|| "-".to_owned(), |expected| format!("{expected}-0"));
        let reply = inner
            .commands
            .query::<redis::Value>(
                redis::cmd("XRANGE")
                    .arg(&follow.keys.stream)
                    .arg(start)
                    .arg(format!("{end}-0"))
                    .arg("COUNT")
                    .arg(PAGE),
            )
            .await
            .ok()?;
        let entries = entries::entries(reply).ok()?;
        if entries.is_empty() {
            // Nothing before the window: with no id to resume from, that is all there is.
            return Some(expected.is_none().then_some(pages));
        }
        let mut joined = BytesMut::new();
        for entry in entries {
            if expected.is_some_and(|expected| entry.id != expected) {
                return Some(None);
            }
            joined.extend_from_slice(&entry.frame);
            expected = Some(entry.id + 1);
        }
        pages.push_back(joined.freeze());
    }
    Some(Some(pages))
}

/// Waits until `ready` holds for the follow's state, at most `timeout`; `None` if it does
/// not by then.
async fn wait_for(
    follow: &Follow,
    changes: &mut watch::Receiver<u64>,
    timeout: Duration,
    ready: impl Fn(&FollowState) -> bool,
) -> Option<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if ready(&follow.lock()) {
            return Some(());
        }
        tokio::time::timeout_at(deadline, changes.changed())
            .await
            .ok()?
            .ok()?;
    }
}
