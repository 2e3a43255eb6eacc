//! A Redis backend's settings.

use std::time::Duration;

use ssekit_hub::HubConfig;

use crate::error::{Error, ErrorKind};
use crate::script::Limits;
use ssekit_core::backoff::Backoff;

/// The fewest entries a topic's stream keeps by default, whatever the hub's retention: room
/// for readers that fall behind for a moment (a pause, a reconnection) to catch up without a
/// gap.
pub const MIN_STREAM_LEN: usize = 1000;

/// How long a reader's `XREAD` waits for entries by default before it asks again.
pub const DEFAULT_BLOCK: Duration = Duration::from_secs(2);

/// How long a publication may take by default, over all its attempts.
pub const DEFAULT_PUBLISH_DEADLINE: Duration = Duration::from_secs(5);

/// How many entries a stream keeps.
#[derive(Clone, Copy, Debug)]
pub(crate) enum StreamLen {
    /// The retention's count, at least [`MIN_STREAM_LEN`].
    FromRetention,
    /// This many (`None`: no limit).
    Set(Option<usize>),
}

/// The settings of a [`RedisBackend`](crate::RedisBackend).
///
/// The [hub's settings](HubConfig) apply to each instance's fan-out as in memory (backlog,
/// batches, [`OnUnknownId`](ssekit_hub::OnUnknownId)), and to Redis: each topic's stream
/// keeps the events the [retention](ssekit_hub::Retention) keeps (at least
/// [`MIN_STREAM_LEN`] of them, unless [`stream_len`](Self::stream_len) says otherwise), and
/// its keys expire after the [idle timeout](HubConfig::idle_topic_timeout) with no
/// publication and no instance following it.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ssekit_hub::{HubConfig, Retention};
/// use ssekit_redis::RedisConfig;
///
/// let config = RedisConfig::new("redis://127.0.0.1:6379/")
///     .hub(HubConfig::new().retention(Retention::new().max_events(10_000)))
///     .key_prefix("chat")
///     .publish_deadline(Duration::from_secs(2));
/// # let _ = config;
/// ```
#[derive(Clone, Debug)]
pub struct RedisConfig {
    pub(crate) url: String,
    pub(crate) hub: HubConfig,
    pub(crate) key_prefix: String,
    pub(crate) readers: usize,
    pub(crate) stream_len: StreamLen,
    pub(crate) block: Duration,
    pub(crate) reply_margin: Duration,
    pub(crate) command_timeout: Duration,
    pub(crate) publish_deadline: Duration,
    pub(crate) catch_up_timeout: Duration,
    pub(crate) idempotency_window: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) read_count: usize,
}

impl RedisConfig {
    /// The defaults, for the Redis at `url` (`redis://host:port/db`): the hub's defaults,
    /// keys under `ssekit:`, one reader, reads that wait [`DEFAULT_BLOCK`], publications
    /// that give up after [`DEFAULT_PUBLISH_DEADLINE`].
    ///
    /// # Example
    ///
    /// ```
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1:6379/");
    /// assert!(config.client().is_ok());
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            hub: HubConfig::new(),
            key_prefix: "ssekit".into(),
            readers: 1,
            stream_len: StreamLen::FromRetention,
            block: DEFAULT_BLOCK,
            reply_margin: Duration::from_secs(2),
            command_timeout: Duration::from_secs(1),
            publish_deadline: DEFAULT_PUBLISH_DEADLINE,
            catch_up_timeout: Duration::from_secs(5),
            idempotency_window: Duration::from_secs(60),
            backoff: Backoff::new(Duration::from_millis(50), Duration::from_secs(5)),
            read_count: 512,
        }
    }

    /// Sets the hub's settings, for the local fan-out and for what Redis retains.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{HubConfig, OnUnknownId};
    ///
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/")
    ///     .hub(HubConfig::new().on_unknown_id(OnUnknownId::StartLive));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn hub(mut self, hub: HubConfig) -> Self {
        self.hub = hub;
        self
    }

    /// Sets what every key of this backend starts with (`ssekit` by default; a topic's keys
    /// are `<prefix>:{<topic>}:events` and `<prefix>:{<topic>}:next`).
    ///
    /// # Example
    ///
    /// ```
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/").key_prefix("app1");
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Sets how many readers each instance runs (1 by default, at least 1): each follows
    /// its share of the topics (by a hash of the name) on a connection of its own. More
    /// readers split the work of an instance that follows many busy topics.
    ///
    /// # Example
    ///
    /// ```
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/").readers(4);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn readers(mut self, readers: usize) -> Self {
        self.readers = readers.max(1);
        self
    }

    /// Sets how many entries each topic's stream keeps (at least; `None` for no limit),
    /// in place of the retention's count or [`MIN_STREAM_LEN`], whichever is larger. A
    /// reader that falls further behind than this finds a gap.
    ///
    /// # Example
    ///
    /// ```
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/").stream_len(Some(50));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn stream_len(mut self, len: Option<usize>) -> Self {
        self.stream_len = StreamLen::Set(len);
        self
    }

    /// Sets how long a reader's `XREAD` waits for entries before it asks again
    /// ([`DEFAULT_BLOCK`]). A reader that gets no reply within this and a margin (2 s)
    /// takes its connection for dead, however open it looks, and connects again.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/")
    ///     .read_block(Duration::from_millis(500), Duration::from_millis(500));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn read_block(mut self, block: Duration, margin: Duration) -> Self {
        self.block = block.max(Duration::from_millis(1));
        self.reply_margin = margin;
        self
    }

    /// Sets how long one command may wait for its reply (1 s by default): after that it
    /// counts as lost, and a publication tries again on a new connection.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/")
    ///     .command_timeout(Duration::from_millis(300));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// Sets how long a publication may take over all its attempts
    /// ([`DEFAULT_PUBLISH_DEADLINE`]); then it fails.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/")
    ///     .publish_deadline(Duration::from_secs(1));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn publish_deadline(mut self, deadline: Duration) -> Self {
        self.publish_deadline = deadline;
        self
    }

    /// Sets how long a subscriber whose `Last-Event-ID` is ahead of this instance's reader
    /// (it came from a faster instance) waits for the reader to catch up (5 s by default);
    /// then its stream ends, and its client reconnects.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/")
    ///     .catch_up_timeout(Duration::from_secs(1));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn catch_up_timeout(mut self, timeout: Duration) -> Self {
        self.catch_up_timeout = timeout;
        self
    }

    /// Sets the waits between attempts to reach Redis: doubling from `min` up to `max`,
    /// each with up to half of it random (50 ms to 5 s by default).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/")
    ///     .reconnect_backoff(Duration::from_millis(10), Duration::from_secs(1));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.backoff = Backoff::new(min, max);
        self
    }

    /// Sets how long Redis remembers the idempotency key of a
    /// [`publish_with_key`](crate::RedisBackend::publish_with_key) (60 s by default): a retry
    /// with the same key within that time returns the first id. (The keys of plain
    /// publications serve only their own retries, and go after twice the publish deadline.)
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let config = ssekit_redis::RedisConfig::new("redis://127.0.0.1/")
    ///     .idempotency_window(Duration::from_secs(300));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn idempotency_window(mut self, window: Duration) -> Self {
        self.idempotency_window = window;
        self
    }

    /// The `redis` crate's client for the URL.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Url`] when the URL is not one.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(ssekit_redis::RedisConfig::new("redis://127.0.0.1:6379/0").client().is_ok());
    /// ```
    pub fn client(&self) -> Result<redis::Client, Error> {
        redis::Client::open(self.url.as_str())
            .map_err(|error| Error::new(ErrorKind::Url, Some(error)))
    }

    /// What the script keeps and for how long.
    pub(crate) fn limits(&self) -> Limits {
        let retention = self.hub.retention_limits();
        let max_len = match self.stream_len {
            StreamLen::Set(len) => len,
            StreamLen::FromRetention => match retention.events_limit() {
                usize::MAX => None,
                events => Some(events.max(MIN_STREAM_LEN)),
            },
        };
        Limits {
            max_len: max_len.map(|len| u64::try_from(len).unwrap_or(u64::MAX)),
            max_age: retention.age_limit(),
            idle: self.hub.idle_topic_limit(),
        }
    }
}
