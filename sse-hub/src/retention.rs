//! How much of its past a topic keeps for clients that reconnect.

use std::time::Duration;

/// How many events a topic keeps by default: a few seconds of a busy topic, enough to cover a
/// browser's reconnection (3 s by default in `EventSource`) and a subscriber cut off for
/// being slow (at most [`DEFAULT_BACKLOG`](crate::DEFAULT_BACKLOG) events behind).
pub const DEFAULT_RETAINED_EVENTS: usize = 1024;

/// Which past events a topic keeps, so that a client that reconnects with a `Last-Event-ID`
/// gets what it missed: at most a number of events, and (when set) none older than an age.
/// An event goes as soon as either limit says so.
///
/// Keep at least as many events as a subscriber's [backlog](crate::HubConfig::backlog), so
/// that a subscriber cut off for being slow can resume where it stopped.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ssekit_hub::Retention;
///
/// let retention = Retention::new().max_events(500).max_age(Duration::from_secs(60));
/// assert_eq!(retention.events_limit(), 500);
/// assert_eq!(retention.age_limit(), Some(Duration::from_secs(60)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    max_events: usize,
    max_age: Option<Duration>,
}

impl Retention {
    /// The last [`DEFAULT_RETAINED_EVENTS`] events, whatever their age.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_hub::{DEFAULT_RETAINED_EVENTS, Retention};
    ///
    /// assert_eq!(Retention::new().events_limit(), DEFAULT_RETAINED_EVENTS);
    /// assert_eq!(Retention::new().age_limit(), None);
    /// ```
    pub fn new() -> Self {
        Self {
            max_events: DEFAULT_RETAINED_EVENTS,
            max_age: None,
        }
    }

    /// Keeps nothing: a reconnecting client starts with the next live event (its id counts
    /// as [unknown](crate::OnUnknownId) unless it was the latest).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_hub::Retention::none().events_limit(), 0);
    /// ```
    pub fn none() -> Self {
        Self {
            max_events: 0,
            max_age: None,
        }
    }

    /// Keeps at most this many events; `usize::MAX` for no limit on the number (then set an
    /// age limit, or the topic grows without bound).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_hub::Retention::new().max_events(10).events_limit(), 10);
    /// ```
    #[must_use]
    pub fn max_events(mut self, max_events: usize) -> Self {
        self.max_events = max_events;
        self
    }

    /// Keeps no event older than `max_age` (counted from its publication).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let retention = ssekit_hub::Retention::new().max_age(Duration::from_secs(30));
    /// assert_eq!(retention.age_limit(), Some(Duration::from_secs(30)));
    /// ```
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The most events kept.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_hub::Retention::none().max_events(3).events_limit(), 3);
    /// ```
    pub fn events_limit(&self) -> usize {
        self.max_events
    }

    /// The oldest an event may be and still be kept, if there is such a limit.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_hub::Retention::new().age_limit(), None);
    /// ```
    pub fn age_limit(&self) -> Option<Duration> {
        self.max_age
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self::new()
    }
}
