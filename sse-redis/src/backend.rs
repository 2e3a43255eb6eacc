//! The backend: publications through the script, subscriptions through the readers and the
//! local fan-out.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::Client;
use ssekit_core::Event;
use ssekit_hub::{Backend, HubStats, MemoryBackend};
use tokio::sync::{mpsc, oneshot};

use crate::batch::{self, Pending};
use crate::commands::Commands;
use crate::config::RedisConfig;
use crate::error::{Error, ErrorKind};
use crate::follow::Group;
use crate::keys::{TopicKeys, wake_key};
use crate::reader;
use crate::script::{Limits, Publication};
use crate::stats::{Counters, RedisStats, count};
use crate::subscription::{FollowGuard, RedisSubscription, Start};
use ssekit_core::backoff::random;

/// Now, in milliseconds since 1970.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// A hub backend on Redis Streams: several server instances, each with a `Hub` on this
/// backend and one Redis behind them all, serve one sequence of events per topic, and a
/// client resumes on any instance after its `Last-Event-ID`.
///
/// # How it works
///
/// - **Publishing** runs one Lua script: it numbers the event with the topic's next id
///   (contiguous, per topic), appends the frame to the topic's stream, trims the stream
///   (count and age) and renews the keys' expiry, together. A new topic's first id comes
///   from the clock (ms × 2^20), so ids grow across epochs: when Redis loses a topic, its
///   next ids are above every old one, and an old id is unknown, never taken for another
///   event. Every publication carries an idempotency key; attempts that time out or lose
///   their connection are retried with it until the [deadline](RedisConfig::publish_deadline),
///   so a publication whose reply was lost is applied once and returns its id.
/// - **Delivery**: each instance's readers (one task and one connection each) follow the
///   topics that have a local subscriber with one blocking `XREAD` from explicit ids, and
///   relay the entries to the instance's in-memory fan-out: one copy per instance, shared
///   by every local subscriber; slow subscribers are cut off as in memory. The publishing
///   instance gets its own events through its reader too: one order everywhere. Redis's
///   work grows with instances and publications, not with clients.
/// - **Resuming** on any instance: from the local window; from Redis, paged, for an id
///   older than the window; after a wait for this instance's reader when the client came
///   from a faster one; or, for an id Redis no longer has (trimmed, expired, a new epoch),
///   what [`OnUnknownId`](ssekit_hub::OnUnknownId) says (`ReplayAll` and `Marker` replay all
///   that Redis still holds of the topic, and the local window). A reader that finds ids skipped
///   (it fell behind the stream's length, or Redis lost the topic) cuts that topic's local
///   subscribers off, and they resume the same way: a gap is never delivered.
/// - **Faults**: readers reconnect with backoff and jitter, and a read with no reply within
///   the block time and a margin replaces its connection (a half-open socket looks alive).
///
/// A publication is queued when `publish` is called, whether or not its future is awaited;
/// publications waiting together go to Redis in one script call, so that under load each
/// costs Redis less (figures in BENCHMARKS.md). A subscriber with no `Last-Event-ID` gets
/// every event published after `subscribe` returns when this instance follows the topic
/// already; for a topic it does not follow yet, every event published since `subscribe`
/// by the publishers' clocks (among the latest 32 when the reader attaches it; the clocks of
/// other hosts may be off by their skew).
///
/// # What is promised, under which Redis
///
/// Within the stream's length and its expiry, every subscriber gets every event once, in
/// order, across reconnections to any instance, restarts of instances, and losses of the
/// connection to Redis (each fault of BACKPLANE.md is a test: Redis frozen, restarted,
/// connections reset or half-open, a reply lost, a reader behind the stream's length, an
/// instance killed, a reconnect storm, the script cache flushed, topic churn). A publication
/// that fails (Redis unreachable past the deadline) may still have been applied, and is then
/// delivered like any other; publishing it again with the same key publishes it once. Keys
/// of several topics meet in one script call: this backend takes one Redis (or a primary
/// with replicas), not a Redis Cluster. What a crash of Redis loses depends on its persistence: with none,
/// every topic starts a new epoch (detected: old ids are unknown); with AOF and
/// `appendfsync always`, nothing; with RDB snapshots, the events after the last snapshot,
/// and their ids are given again to new events, which cannot be told from Redis alone: use
/// AOF, or no persistence, with this backend.
///
/// # Example
///
/// ```no_run
/// use ssekit_core::Event;
/// use ssekit_hub::Hub;
/// use ssekit_redis::{RedisBackend, RedisConfig};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), ssekit_redis::Error> {
/// let backend = RedisBackend::connect(RedisConfig::new("redis://127.0.0.1:6379/")).await?;
/// let hub = Hub::with_backend(backend);
/// let id = hub.publish("talk", Event::new("hello")).await?;
/// let _subscription = hub.subscribe("talk", Some(&(id - 1).to_string()));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RedisBackend {
    inner: Arc<Inner>,
}

/// What the backend's handles, its readers and its subscriptions share.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: RedisConfig,
    pub(crate) limits: Limits,
    pub(crate) client: Client,
    pub(crate) commands: Commands,
    pub(crate) memory: MemoryBackend,
    pub(crate) groups: Vec<Arc<Group>>,
    pub(crate) counters: Counters,
    /// Unique to this backend: a prefix for its idempotency keys and its wake streams.
    instance: String,
    publications: AtomicU64,
    /// Where publications wait for the batcher.
    publications_queue: mpsc::UnboundedSender<Pending>,
    closed: AtomicBool,
}

impl RedisBackend {
    /// Connects to the Redis of `config` (checking that it answers) and starts the readers
    /// on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// When the URL is not valid, or Redis does not answer `PING`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ssekit_redis::Error> {
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1:6379/");
    /// let backend = ssekit_redis::RedisBackend::connect(config).await?;
    /// # let _ = backend;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(config: RedisConfig) -> Result<Self, Error> {
        let client = config.client()?;
        let commands = Commands::new(client.clone(), config.command_timeout);
        commands
            .query_once::<String>(&redis::cmd("PING"))
            .await
            .map_err(Error::from_redis)?;
        let instance = format!("{:016x}", random());
        let groups = (0..config.readers)
            .map(|index| Arc::new(Group::new(wake_key(&config.key_prefix, &instance, index))))
            .collect::<Vec<_>>();
        let (publications_queue, queued) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            limits: config.limits(),
            memory: MemoryBackend::new(config.hub.clone()),
            config,
            client,
            commands,
            groups,
            counters: Counters::default(),
            instance,
            publications: AtomicU64::new(0),
            publications_queue,
            closed: AtomicBool::new(false),
        });
        tokio::spawn(batch::run(Arc::downgrade(&inner), queued));
        for group in &inner.groups {
            tokio::spawn(reader::run(Arc::downgrade(&inner), Arc::clone(group)));
        }
        Ok(Self { inner })
    }

    /// [`publish`](Backend::publish) with a key of the caller's: publishing again with the
    /// same key (within the [idempotency window](RedisConfig::idempotency_window)) returns
    /// the id the first publication got and publishes nothing, so a caller that retries
    /// after an error cannot publish twice. Keys are per topic.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use ssekit_core::Event;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ssekit_redis::Error> {
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1:6379/");
    /// let backend = ssekit_redis::RedisBackend::connect(config).await?;
    /// let first = backend.publish_with_key("orders", Event::new("paid"), "order-17").await?;
    /// let again = backend.publish_with_key("orders", Event::new("paid"), "order-17").await?;
    /// assert_eq!(first, again);
    /// # Ok(())
    /// # }
    /// ```
    // By value, as `Backend::publish` takes it: the event is the caller's to give away.
    #[allow(clippy::needless_pass_by_value)]
    pub fn publish_with_key(
        &self,
        topic: &str,
        event: Event,
        key: &str,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'static {
        let window = self.inner.config.idempotency_window;
        self.publication(topic, &event, format!("k:{key}"), window)
    }

    /// The backend's counters, with those of the local fan-out.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ssekit_redis::Error> {
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1:6379/");
    /// let backend = ssekit_redis::RedisBackend::connect(config).await?;
    /// assert_eq!(backend.redis_stats().gaps, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn redis_stats(&self) -> RedisStats {
        self.inner.counters.snapshot(self.inner.memory.stats())
    }

    /// This instance's fan-out: what it retains of each followed topic, and where it stands.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ssekit_redis::Error> {
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1:6379/");
    /// let backend = ssekit_redis::RedisBackend::connect(config).await?;
    /// assert_eq!(backend.local().retained_len("talk"), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn local(&self) -> &MemoryBackend {
        &self.inner.memory
    }

    /// A publication under `idempotency_key`, which Redis keeps for `window`.
    fn publication(
        &self,
        topic: &str,
        event: &Event,
        idempotency_key: String,
        window: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<u64, Error>> + Send + 'static>> {
        let keys = TopicKeys::new(&self.inner.config.key_prefix, topic);
        let publication = Publication::new(keys, idempotency_key, event, window);
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            publication,
            deadline: Instant::now() + self.inner.config.publish_deadline,
            reply,
        };
        let queued = self.inner.publications_queue.send(pending).is_ok();
        Box::pin(async move {
            if !queued {
                return Err(Error::new(ErrorKind::Unreachable, None));
            }
            answer
                .await
                .unwrap_or_else(|_| Err(Error::new(ErrorKind::Unreachable, None)))
        })
    }
}

impl Inner {
    /// Wakes the reader of `group` from its blocking read: one entry in its wake stream.
    /// An error is left alone: the reader is then reconnecting, and takes the new topics
    /// when it is back.
    pub(crate) async fn wake(&self, group: usize) {
        let command = redis::cmd("XADD")
            .arg(&self.groups[group].wake_key)
            .arg("MAXLEN")
            .arg(1)
            .arg("*")
            .arg("w")
            .arg(1)
            .to_owned();
        let expire = redis::cmd("PEXPIRE")
            .arg(&self.groups[group].wake_key)
            .arg(24 * 60 * 60 * 1000)
            .to_owned();
        if self.commands.query::<redis::Value>(&command).await.is_ok() {
            let _ = self.commands.query::<redis::Value>(&expire).await;
        }
    }

    /// The reader group of `topic`.
    fn group_of(&self, topic: &str) -> usize {
        if self.groups.len() == 1 {
            return 0;
        }
        // The same group for a name in every run (SipHash with fixed keys).
        let mut hasher = std::hash::DefaultHasher::new();
        topic.hash(&mut hasher);
        usize::try_from(hasher.finish() % self.groups.len() as u64).unwrap_or(0)
    }
}

impl Backend for RedisBackend {
    type Subscription = RedisSubscription;
    type Error = Error;
    type Publish = Pin<Box<dyn Future<Output = Result<u64, Error>> + Send + 'static>>;

    fn publish(&self, topic: &str, event: Event) -> Self::Publish {
        let sequence = self.inner.publications.fetch_add(1, Ordering::Relaxed);
        let key = format!("a:{}:{sequence:x}", self.inner.instance);
        // Only this publication's own retries use its key: kept past its deadline, no longer.
        let window = self.inner.config.publish_deadline * 2;
        self.publication(topic, &event, key, window)
    }

    fn subscribe(&self, topic: &str, last_event_id: Option<&str>) -> RedisSubscription {
        if self.inner.closed.load(Ordering::SeqCst) {
            return RedisSubscription::ended();
        }
        let group = self.inner.group_of(topic);
        let followed = self.inner.groups[group].follow(topic, &self.inner.config.key_prefix);
        if followed.new {
            // Counted off by the guard of the last holder.
            count(&self.inner.counters.followed_topics);
        }
        let start = match last_event_id {
            Some(id) if !id.is_empty() => Start::Resume(id.to_owned()),
            // A subscriber with no id of a topic followed already starts where the reader
            // is now, whatever is published before the subscription is first polled.
            _ => {
                let state = followed.follow.lock();
                match (state.attached, state.last) {
                    (true, Some(last)) => Start::After(last),
                    (true, None) => Start::FirstEvent,
                    (false, _) => Start::Since(now_ms()),
                }
            }
        };
        let guard = FollowGuard {
            inner: Arc::clone(&self.inner),
            group,
            follow: followed.follow,
        };
        RedisSubscription::opening(guard, followed.wake, start)
    }

    fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.memory.close();
    }

    fn stats(&self) -> HubStats {
        self.redis_stats().hub
    }
}
