//! A reader: one task, one connection, one group of topics. It reads every followed topic's
//! new entries with one blocking `XREAD` from explicit ids, and relays them to the local
//! fan-out, where each one is queued for every local subscriber.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisError, Value};
use ssekit_hub::Relayed;

use crate::backend::Inner;
use crate::entries::{self, Entry, Malformed};
use crate::follow::{Follow, Group};
use crate::stats::count;
use ssekit_core::backoff::random;

/// How many entries attaching a topic loads at most: its latest, for the local window.
const MAX_TAIL: usize = 10_000;

/// What ended a reader's step: the connection is dropped and made again.
#[derive(Debug)]
enum StepError {
    Redis(RedisError),
    Malformed(Malformed),
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Redis(error) => write!(f, "{error}"),
            Self::Malformed(Malformed(what)) => write!(f, "unexpected reply: {what}"),
        }
    }
}

impl From<RedisError> for StepError {
    fn from(error: RedisError) -> Self {
        Self::Redis(error)
    }
}

impl From<Malformed> for StepError {
    fn from(error: Malformed) -> Self {
        Self::Malformed(error)
    }
}

/// Runs the reader of `group` until the backend is dropped.
pub(crate) async fn run(backend: Weak<Inner>, group: Arc<Group>) {
    let mut connection: Option<MultiplexedConnection> = None;
    let mut failures: u32 = 0;
    let mut connected_before = false;
    let mut reader = Reader {
        wake_from: "0-0".into(),
        touched: Instant::now(),
    };
    loop {
        let Some(inner) = backend.upgrade() else {
            return;
        };
        let outcome = match connection.as_mut() {
            Some(connection) => reader.step(&inner, &group, connection).await,
            None => match connect(&inner).await {
                Ok(made) => {
                    if connected_before {
                        count(&inner.counters.reader_reconnects);
                    }
                    connected_before = true;
                    connection = Some(made);
                    continue;
                }
                Err(error) => Err(StepError::Redis(error)),
            },
        };
        match outcome {
            Ok(()) => failures = 0,
            Err(error) => {
                tracing::warn!(%error, "ssekit-redis: reader connects again");
                connection = None;
                failures = failures.saturating_add(1);
                let delay = inner.config.backoff.delay(failures, random());
                // Let go of the backend while waiting, so that dropping it ends this task.
                drop(inner);
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// A connection of the reader's own: its blocking read would stall every other command on
/// a shared one. Its replies time out after the block time and a margin, which is the
/// watchdog: a connection that stays open but goes silent fails that read.
async fn connect(inner: &Inner) -> Result<MultiplexedConnection, RedisError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(inner.config.command_timeout))
        .set_response_timeout(Some(inner.config.block + inner.config.reply_margin));
    inner
        .client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

struct Reader {
    /// The id of the last entry read from the wake stream.
    wake_from: String,
    /// When the followed topics' keys were last given a new time to live.
    touched: Instant,
}

impl Reader {
    async fn step(
        &mut self,
        inner: &Inner,
        group: &Group,
        connection: &mut MultiplexedConnection,
    ) -> Result<(), StepError> {
        let follows = group.take_follows();
        let new: Vec<&Arc<Follow>> = follows
            .iter()
            .filter(|follow| !follow.is_attached())
            .collect();
        if !new.is_empty() {
            attach(inner, connection, &new).await?;
        }
        if let Some(idle) = inner.config.hub.idle_topic_limit() {
            if self.touched.elapsed() >= idle / 4 && !follows.is_empty() {
                touch(connection, &follows, idle).await?;
                self.touched = Instant::now();
            }
        }
        if group.is_dirty() {
            // Followed since the list was taken: take it again before blocking.
            return Ok(());
        }
        let reply = self.read(inner, group, connection, &follows).await?;
        self.deliver(inner, group, &follows, reply)
    }

    /// `XREAD` of every followed topic after its last id, and of the wake stream.
    async fn read(
        &self,
        inner: &Inner,
        group: &Group,
        connection: &mut MultiplexedConnection,
        follows: &[Arc<Follow>],
    ) -> Result<Value, RedisError> {
        let mut command = redis::cmd("XREAD");
        command
            .arg("COUNT")
            .arg(inner.config.read_count)
            .arg("BLOCK")
            .arg(u64::try_from(inner.config.block.as_millis()).unwrap_or(u64::MAX))
            .arg("STREAMS")
            .arg(&group.wake_key);
        for follow in follows {
            command.arg(&follow.keys.stream);
        }
        command.arg(&self.wake_from);
        for follow in follows {
            command.arg(follow.read_from());
        }
        command.query_async(connection).await
    }

    fn deliver(
        &mut self,
        inner: &Inner,
        group: &Group,
        follows: &[Arc<Follow>],
        reply: Value,
    ) -> Result<(), StepError> {
        let by_key: HashMap<&[u8], &Arc<Follow>> = follows
            .iter()
            .map(|follow| (follow.keys.stream.as_bytes(), follow))
            .collect();
        for (key, stream) in entries::streams(reply)? {
            if key == group.wake_key.as_bytes() {
                if let Value::Array(items) = &stream {
                    if let Some(Value::Array(last)) = items.last() {
                        if let Some(Value::BulkString(id)) = last.first() {
                            self.wake_from = String::from_utf8_lossy(id).into_owned();
                        }
                    }
                }
                continue;
            }
            let Some(follow) = by_key.get(key.as_slice()) else {
                continue;
            };
            relay(inner, follow, entries::entries(stream)?, true);
        }
        Ok(())
    }
}

/// Reads where each new topic stands (its counter, then its latest entries, in that order:
/// an entry appended between the two is among the entries), relays those entries to the
/// local window, and marks the topics attached.
async fn attach(
    inner: &Inner,
    connection: &mut MultiplexedConnection,
    follows: &[&Arc<Follow>],
) -> Result<(), StepError> {
    let tail = inner
        .config
        .hub
        .retention_limits()
        .events_limit()
        .clamp(1, MAX_TAIL);
    let mut pipe = redis::pipe();
    for follow in follows {
        pipe.cmd("GET").arg(&follow.keys.counter);
        pipe.cmd("XREVRANGE")
            .arg(&follow.keys.stream)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(tail);
    }
    let replies: Vec<Value> = pipe.query_async(connection).await?;
    if replies.len() != 2 * follows.len() {
        return Err(Malformed("a pipeline's replies do not match its commands").into());
    }
    let mut replies = replies.into_iter();
    for follow in follows {
        let (Some(counter), Some(latest)) = (replies.next(), replies.next()) else {
            break;
        };
        let counter = entries::counter(&counter)?;
        let mut latest = entries::entries(latest)?;
        latest.reverse();
        {
            let mut state = follow.lock();
            if state.detached {
                continue;
            }
            // Relaying goes on from just before the first entry read, or from the counter
            // when the stream keeps none.
            state.last = latest
                .first()
                .map_or(counter, |first| first.id.checked_sub(1));
            state.attached = true;
        }
        relay(inner, follow, latest, false);
        follow.changed();
    }
    Ok(())
}

/// Relays `entries` (in id order) of `follow` to the local fan-out, under its lock; a
/// skipped id is a gap, counted when the entries were read `live` (not loaded to attach).
fn relay(inner: &Inner, follow: &Follow, entries: Vec<Entry>, live: bool) {
    let Some(newest) = entries.last() else {
        return;
    };
    // Only what the reader reads as it comes tells its lag: the latest entries loaded when
    // a topic is attached are as old as they are.
    if let (true, Some(published_ms)) = (live, newest.published_ms) {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        inner
            .counters
            .reader_lag_ms
            .store(now_ms.saturating_sub(published_ms), Ordering::Relaxed);
    }
    let mut state = follow.lock();
    if state.detached {
        return;
    }
    for entry in entries {
        if state.last.is_some_and(|last| entry.id <= last) {
            continue;
        }
        let skipped = state.last.is_some_and(|last| entry.id > last + 1);
        let relayed = inner.memory.relay(&follow.name, entry.id, &entry.frame);
        if live && (skipped || matches!(relayed, Relayed::Gap { .. })) {
            count(&inner.counters.gaps);
            tracing::warn!(topic = %follow.name, id = entry.id, "ssekit-redis: ids were skipped (trimmed unread, or a new epoch)");
        }
        state.relayed(entry.id, entry.published_ms.unwrap_or(0));
    }
    drop(state);
    follow.changed();
}

/// Gives every followed topic's keys a new time to live: a topic that an instance follows
/// does not expire while nobody publishes to it.
async fn touch(
    connection: &mut MultiplexedConnection,
    follows: &[Arc<Follow>],
    idle: Duration,
) -> Result<(), RedisError> {
    let ttl = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX).max(1);
    let mut pipe = redis::pipe();
    for follow in follows {
        pipe.cmd("PEXPIRE")
            .arg(&follow.keys.stream)
            .arg(ttl)
            .ignore();
        pipe.cmd("PEXPIRE")
            .arg(&follow.keys.counter)
            .arg(ttl)
            .ignore();
    }
    pipe.query_async::<()>(connection).await
}
