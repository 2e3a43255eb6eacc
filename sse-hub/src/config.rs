//! The in-memory hub's settings.

use std::time::Duration;

use crate::retention::Retention;
use crate::unknown_id::OnUnknownId;

/// How many published events a subscriber may have waiting by default before it is cut off:
/// well under [`DEFAULT_RETAINED_EVENTS`](crate::DEFAULT_RETAINED_EVENTS), so that a
/// subscriber cut off for being slow finds what it missed still retained when it reconnects.
pub const DEFAULT_BACKLOG: usize = 256;

/// The most bytes a subscription yields at once by default, when several frames are ready:
/// 64 KiB, the size of a common socket send buffer, so that one body chunk fills one write.
/// (hyper writes at most 16 chunks per `writev`; many small chunks cost many system calls.)
pub const DEFAULT_BATCH_BYTES: usize = 64 * 1024;

/// The largest first id: half the id space, so that a topic cannot run out of ids (it would
/// take 2^63 events).
pub const MAX_FIRST_ID: u64 = u64::MAX / 2;

/// How long a topic with no subscriber and no publication stays in memory by default (with
/// what it retains): 10 minutes, long past a browser's reconnection (3 s) or a laptop waking
/// from sleep, short enough that per-user topics do not pile up.
pub const DEFAULT_IDLE_TOPIC_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Settings of the in-memory hub, for every topic.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ssekit_hub::{Hub, HubConfig, OnUnknownId, Retention};
///
/// let config = HubConfig::new()
///     .retention(Retention::new().max_events(100).max_age(Duration::from_secs(60)))
///     .backlog(32)
///     .on_unknown_id(OnUnknownId::StartLive);
/// let hub = Hub::with_config(config);
/// # let _ = hub;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubConfig {
    pub(crate) retention: Retention,
    pub(crate) backlog: usize,
    pub(crate) batch_bytes: usize,
    pub(crate) on_unknown_id: OnUnknownId,
    /// `None`: from the clock ([`crate::id::clock_first_id`]).
    pub(crate) first_id: Option<u64>,
    /// `None`: idle topics that retain events stay.
    pub(crate) idle_topic_timeout: Option<Duration>,
}

impl HubConfig {
    /// The default retention ([`Retention::new`]), a backlog of [`DEFAULT_BACKLOG`] events,
    /// batches of up to [`DEFAULT_BATCH_BYTES`], [`OnUnknownId::ReplayAll`], and ids from 1.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_hub::HubConfig::new(), ssekit_hub::HubConfig::default());
    /// ```
    pub fn new() -> Self {
        Self {
            retention: Retention::new(),
            backlog: DEFAULT_BACKLOG,
            batch_bytes: DEFAULT_BATCH_BYTES,
            on_unknown_id: OnUnknownId::ReplayAll,
            first_id: None,
            idle_topic_timeout: Some(DEFAULT_IDLE_TOPIC_TIMEOUT),
        }
    }

    /// Which past events each topic keeps ([`retention`](Self::retention) sets it).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{HubConfig, Retention};
    ///
    /// assert_eq!(HubConfig::new().retention_limits(), Retention::new());
    /// ```
    pub fn retention_limits(&self) -> Retention {
        self.retention
    }

    /// How long an idle topic stays, if there is a limit
    /// ([`idle_topic_timeout`](Self::idle_topic_timeout) sets it).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{DEFAULT_IDLE_TOPIC_TIMEOUT, HubConfig};
    ///
    /// assert_eq!(HubConfig::new().idle_topic_limit(), Some(DEFAULT_IDLE_TOPIC_TIMEOUT));
    /// assert_eq!(HubConfig::new().keep_idle_topics().idle_topic_limit(), None);
    /// ```
    pub fn idle_topic_limit(&self) -> Option<Duration> {
        self.idle_topic_timeout
    }

    /// What a subscriber whose `Last-Event-ID` cannot be resumed gets
    /// ([`on_unknown_id`](Self::on_unknown_id) sets it).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{HubConfig, OnUnknownId};
    ///
    /// assert_eq!(HubConfig::new().unknown_id_policy(), &OnUnknownId::ReplayAll);
    /// ```
    pub fn unknown_id_policy(&self) -> &OnUnknownId {
        &self.on_unknown_id
    }

    /// Sets which past events each topic keeps for reconnecting clients.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{HubConfig, Retention};
    ///
    /// let config = HubConfig::new().retention(Retention::none());
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Sets how many events may wait for a subscriber that does not keep up (at least 1; 0
    /// counts as 1). One more, and the subscriber is cut off: its stream ends after the
    /// events already waiting, and its client reconnects with the last id it got.
    ///
    /// # Example
    ///
    /// ```
    /// let config = ssekit_hub::HubConfig::new().backlog(16);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn backlog(mut self, backlog: usize) -> Self {
        self.backlog = backlog.max(1);
        self
    }

    /// Sets the most bytes a subscription joins into one item when several frames are
    /// ready. A frame larger than this comes alone; 0 turns joining off.
    ///
    /// # Example
    ///
    /// ```
    /// let config = ssekit_hub::HubConfig::new().batch_bytes(16 * 1024);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn batch_bytes(mut self, batch_bytes: usize) -> Self {
        self.batch_bytes = batch_bytes;
        self
    }

    /// Sets what a subscriber whose `Last-Event-ID` cannot be resumed gets.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{HubConfig, OnUnknownId};
    ///
    /// let config = HubConfig::new().on_unknown_id(OnUnknownId::StartLive);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn on_unknown_id(mut self, on_unknown_id: OnUnknownId) -> Self {
        self.on_unknown_id = on_unknown_id;
        self
    }

    /// Sets the id of each topic's first event, in place of the clock (at most
    /// [`MAX_FIRST_ID`], larger values count as that).
    ///
    /// By default a topic's first id comes from the clock: the time it is created, in
    /// milliseconds since 1970, times 2^20. Ids then grow across restarts of the process, so
    /// an id a client kept from a previous run is never taken for one of this run's: it is
    /// older than the topic's first, hence [unknown](OnUnknownId), never a silent gap. A
    /// fixed first id (1, say, for ids a person reads) gives that up: after a restart the
    /// same ids name other events. Either way, a topic that left memory and comes back
    /// starts past every id its earlier self gave.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{Hub, HubConfig};
    ///
    /// let hub = Hub::with_config(HubConfig::new().first_id(1));
    /// let Ok(id) = hub.publish("talk", ssekit_core::Event::new("hi")).into_inner();
    /// assert_eq!(id, 1);
    /// ```
    #[must_use]
    pub fn first_id(mut self, first_id: u64) -> Self {
        self.first_id = Some(first_id.min(MAX_FIRST_ID));
        self
    }

    /// Sets how long a topic with no subscriber, and no publication or subscription, stays
    /// in memory with the events it retains ([`DEFAULT_IDLE_TOPIC_TIMEOUT`] by default). A
    /// client that comes back later with a `Last-Event-ID` of that topic gets what
    /// [`OnUnknownId`] says. A topic that retains nothing leaves as soon as its last
    /// subscriber does, whatever this says.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use ssekit_hub::HubConfig;
    ///
    /// let config = HubConfig::new().idle_topic_timeout(Duration::from_secs(60));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn idle_topic_timeout(mut self, timeout: Duration) -> Self {
        self.idle_topic_timeout = Some(timeout);
        self
    }

    /// Keeps idle topics that retain events in memory for as long as the process runs (for
    /// a hub whose topics come from a bounded set).
    ///
    /// # Example
    ///
    /// ```
    /// let config = ssekit_hub::HubConfig::new().keep_idle_topics();
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn keep_idle_topics(mut self) -> Self {
        self.idle_topic_timeout = None;
        self
    }
}

impl Default for HubConfig {
    fn default() -> Self {
        Self::new()
    }
}
