//! The topics an instance follows in Redis: those with a local subscriber, each in one
//! reader's group, with the id its reader got to.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use crate::keys::TopicKeys;

/// Each followed topic by name, with how many subscriptions hold it.
type Follows = HashMap<Box<str>, (Arc<Follow>, usize)>;

/// The topics one reader follows.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) wake_key: String,
    /// Each followed topic, with how many subscriptions hold it.
    follows: Mutex<Follows>,
    /// Set when a topic was followed since the reader last took the list.
    dirty: AtomicBool,
}

/// A followed topic: where its reader got to, under the lock that relaying to the local
/// fan-out and deciding a resume both take, so that each sees the other whole.
#[derive(Debug)]
pub(crate) struct Follow {
    pub(crate) name: Box<str>,
    pub(crate) keys: TopicKeys,
    state: Mutex<FollowState>,
    /// Bumped after each change of the state, for subscribers waiting for one.
    changes: watch::Sender<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct FollowState {
    /// The reader has read where the topic stands (its latest entries, or its counter).
    pub(crate) attached: bool,
    /// Nobody follows it any more: the reader relays nothing more of it.
    pub(crate) detached: bool,
    /// The id of the last event relayed, or the topic's counter at attachment; `None` while
    /// the topic has no id in Redis.
    pub(crate) last: Option<u64>,
    /// The first id relayed while `last` was `None`: where the topic's ids began for a
    /// subscriber that came before any.
    pub(crate) first_relayed: Option<u64>,
    /// The latest [`RECENT`] ids relayed, with when each was published (ms since 1970 by
    /// the publisher's clock, 0 if unknown): where a subscriber that came before the topic
    /// was attached starts.
    pub(crate) recent: VecDeque<(u64, u64)>,
}

/// How many relayed ids a follow remembers with their publication times.
pub(crate) const RECENT: usize = 32;

impl FollowState {
    /// Records that `id`, published at `published_ms`, was relayed.
    pub(crate) fn relayed(&mut self, id: u64, published_ms: u64) {
        if self.last.is_none() {
            self.first_relayed = Some(id);
        }
        self.last = Some(id);
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back((id, published_ms));
    }

    /// The id after which a subscriber that came at `since_ms` starts: just before the first
    /// event published since then, among the recent ones; else after the latest. `None`
    /// while the topic has no id (then it starts at the first).
    pub(crate) fn start_since(&self, since_ms: u64) -> Option<u64> {
        match self
            .recent
            .iter()
            .find(|(_, published_ms)| *published_ms >= since_ms)
        {
            Some((id, _)) => id.checked_sub(1),
            None => self.last,
        }
    }
}

/// What [`Group::follow`] did.
pub(crate) struct Followed {
    pub(crate) follow: Arc<Follow>,
    /// The topic was not followed before.
    pub(crate) new: bool,
    /// The reader must be woken to attach it (no wake-up is on its way already).
    pub(crate) wake: bool,
}

impl Group {
    pub(crate) fn new(wake_key: String) -> Self {
        Self {
            wake_key,
            follows: Mutex::new(HashMap::new()),
            dirty: AtomicBool::new(false),
        }
    }

    /// Follows `name` (or counts one more holder if followed already).
    pub(crate) fn follow(&self, name: &str, prefix: &str) -> Followed {
        let mut follows = self.lock();
        if let Some((follow, holders)) = follows.get_mut(name) {
            *holders += 1;
            return Followed {
                follow: Arc::clone(follow),
                new: false,
                wake: false,
            };
        }
        let follow = Arc::new(Follow::new(name, TopicKeys::new(prefix, name)));
        follows.insert(name.into(), (Arc::clone(&follow), 1));
        drop(follows);
        Followed {
            follow,
            new: true,
            wake: !self.dirty.swap(true, Ordering::SeqCst),
        }
    }

    /// One holder of `follow` fewer; the last one unfollows it, marked detached under its
    /// lock, and `on_unfollow` runs then, still under the group's lock (so that a new follow
    /// of the name waits for it). Returns whether it was the last.
    pub(crate) fn release(&self, follow: &Arc<Follow>, on_unfollow: impl FnOnce()) -> bool {
        let mut follows = self.lock();
        let Some((held, holders)) = follows.get_mut(&*follow.name) else {
            return false;
        };
        if !Arc::ptr_eq(held, follow) {
            return false;
        }
        *holders -= 1;
        if *holders > 0 {
            return false;
        }
        follows.remove(&*follow.name);
        follow.lock().detached = true;
        on_unfollow();
        true
    }

    /// The topics followed now, and clears the flag that new ones set.
    pub(crate) fn take_follows(&self) -> Vec<Arc<Follow>> {
        self.dirty.store(false, Ordering::SeqCst);
        self.lock()
            .values()
            .map(|(follow, _)| Arc::clone(follow))
            .collect()
    }

    /// Whether a topic was followed since [`take_follows`](Self::take_follows).
    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::SeqCst)
    }

    fn lock(&self) -> MutexGuard<'_, Follows> {
        self.follows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Follow {
    fn new(name: &str, keys: TopicKeys) -> Self {
        Self {
            name: name.into(),
            keys,
            state: Mutex::new(FollowState::default()),
            changes: watch::Sender::new(0),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, FollowState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells the waiting subscribers that the state changed.
    pub(crate) fn changed(&self) {
        self.changes.send_modify(|version| *version += 1);
    }

    /// A receiver that sees every change made after this call.
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The stream id to read after.
    pub(crate) fn read_from(&self) -> String {
        match self.lock().last {
            Some(last) => format!("{last}-0"),
            None => "0-0".into(),
        }
    }

    pub(crate) fn is_attached(&self) -> bool {
        self.lock().attached
    }
}
