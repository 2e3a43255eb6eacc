//! One topic in memory: its retained frames and its subscribers, under one lock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use bytes::Bytes;
use ssekit_core::Event;

use super::queue::{self, SendError, Sender};
use super::registry::Registry;
use super::retained::Retained;
use super::subscription::Subscription;
use crate::config::HubConfig;
use crate::id::parse_id;
use crate::relay::{Relayed, TopicPosition};
use crate::stats::Counters;
use crate::unknown_id::OnUnknownId;

/// A topic: what it retains and who listens, behind the lock that makes publishing and
/// subscribing atomic with respect to each other.
#[derive(Debug)]
pub(crate) struct Topic {
    state: Mutex<TopicState>,
    config: Arc<HubConfig>,
    /// The [`OnUnknownId::Marker`] event, encoded once.
    marker: Option<Bytes>,
    counters: Arc<Counters>,
    /// Its name in `registry`, which the topic asks to remove it once nobody uses it.
    name: Box<str>,
    registry: Weak<Registry>,
}

#[derive(Debug)]
struct TopicState {
    retained: Retained,
    subscribers: Vec<Subscriber>,
    next_subscriber_key: u64,
    /// Set by [`Topic::close`]: no subscriber is added any more.
    closed: bool,
    /// When it was last published to, subscribed to or unsubscribed from.
    last_used: Instant,
    /// Set when the registry let go of it: whoever still holds it must look the name up
    /// again, so that nothing is published to or subscribed to a topic nobody can reach.
    removed: bool,
    /// Whether `retained` knows the next event's id. A relayed topic made before its first
    /// event does not: the broker's first id tells.
    positioned: bool,
}

/// A subscriber as publishing sees it: the sending end of its bounded queue.
#[derive(Debug)]
struct Subscriber {
    key: u64,
    frames: Sender,
}

impl Topic {
    /// The topic `name` of `registry`, whose first event gets `first_id` (`None`: whatever id
    /// the first relayed event has).
    pub(crate) fn new(
        name: &str,
        registry: Weak<Registry>,
        config: Arc<HubConfig>,
        counters: Arc<Counters>,
        first_id: Option<u64>,
        closed: bool,
    ) -> Self {
        let marker = match &config.on_unknown_id {
            OnUnknownId::Marker(marker) => Some(marker.to_bytes()),
            OnUnknownId::StartLive | OnUnknownId::ReplayAll => None,
        };
        Self {
            marker,
            state: Mutex::new(TopicState {
                retained: Retained::new(first_id.unwrap_or(0)),
                subscribers: Vec::new(),
                next_subscriber_key: 0,
                closed,
                last_used: Instant::now(),
                removed: false,
                positioned: first_id.is_some(),
            }),
            config,
            counters,
            name: name.into(),
            registry,
        }
    }

    /// Gives `event` the next id, encodes it once, retains the frame and queues a clone of
    /// it (a reference count, not a copy) for every subscriber; returns the id.
    ///
    /// A subscriber whose queue is full is cut off on the spot: publishing never waits for
    /// it, and the frames it holds stay bounded by its backlog.
    ///
    /// The event is taken out of `event` (which must hold one) unless the registry has let
    /// go of this topic: then it is left there, to publish to the topic the name leads to
    /// now, and the answer is `None`.
    pub(crate) fn publish(&self, event: &mut Option<Event>, now: Instant) -> Option<u64> {
        // Encoding waits for the lock: the id is only known there, and frames must be
        // retained and sent in id order.
        let mut state = self.lock();
        if state.removed {
            return None;
        }
        let event = event.take()?;
        let id = state.retained.next_id();
        self.append(&mut state, with_id(event, id).to_bytes(), now);
        drop(state);
        self.counters.published();
        Some(id)
    }

    /// Delivers `frame`, the event a broker numbered `id`, as a publication would: retained,
    /// and queued for every subscriber. See [`Relayed`] for ids out of order. `None` if the
    /// registry has let go of this topic: relay to the topic the name leads to now.
    pub(crate) fn relay(&self, id: u64, frame: &Bytes, now: Instant) -> Option<Relayed> {
        let mut state = self.lock();
        if state.removed {
            return None;
        }
        let expected = state.retained.next_id();
        let relayed = if !state.positioned {
            state.positioned = true;
            state.retained.restart_at(id);
            Relayed::Delivered
        } else if id < expected {
            return Some(Relayed::Duplicate);
        } else if id > expected {
            // Every subscriber would miss `expected..id`: each ends after what it holds, and
            // its client resumes from what it got (the backend fetches the missing events, or
            // the client gets what `OnUnknownId` says). What was retained has the same hole.
            state.subscribers.clear();
            state.retained.restart_at(id);
            Relayed::Gap { expected }
        } else {
            Relayed::Delivered
        };
        self.append(&mut state, frame.clone(), now);
        Some(relayed)
    }

    /// Retains `frame`, the event with the next id, and queues a clone of it (a reference
    /// count, not a copy) for every subscriber; a subscriber whose queue is full is cut off
    /// on the spot.
    fn append(&self, state: &mut TopicState, frame: Bytes, now: Instant) {
        state.last_used = now;
        let TopicState {
            retained,
            subscribers,
            ..
        } = state;
        subscribers.retain(
            |subscriber| match subscriber.frames.try_send(frame.clone()) {
                Ok(()) => true,
                Err(SendError::Full) => {
                    self.counters.slow_disconnect();
                    false
                }
                Err(SendError::Closed) => false,
            },
        );
        retained.append(frame, now, &self.config.retention);
    }

    /// Where the topic stands: the oldest id it retains and the next event's; `None` before
    /// a relayed topic's first event.
    pub(crate) fn position(&self) -> Option<TopicPosition> {
        let state = self.lock();
        state.positioned.then(|| TopicPosition {
            first_retained: state.retained.first_kept(),
            next: state.retained.next_id(),
        })
    }

    /// Subscribes: the frames to replay (decided by `last_event_id`) and the live queue,
    /// taken under the lock `publish` holds, so that every event is in exactly one of them.
    /// `None` if the registry has let go of this topic: subscribe to the topic the name
    /// leads to now.
    pub(crate) fn subscribe(
        self: &Arc<Self>,
        last_event_id: Option<&str>,
        now: Instant,
    ) -> Option<Subscription> {
        let (sender, receiver) = queue::queue(self.config.backlog);
        let mut state = self.lock();
        if state.removed {
            return None;
        }
        state.last_used = now;
        state.retained.expire(now, &self.config.retention);
        let replay = self.replay(&state.retained, last_event_id);
        let key = state.next_subscriber_key;
        state.next_subscriber_key += 1;
        // On a closed topic the sender is dropped here: the subscription yields its replay,
        // then ends.
        if !state.closed {
            state.subscribers.push(Subscriber {
                key,
                frames: sender,
            });
        }
        drop(state);
        self.counters.subscribed();
        Some(Subscription::new(
            replay,
            receiver,
            self.config.batch_bytes,
            Arc::clone(self),
            key,
        ))
    }

    /// What a new subscriber gets before the live events.
    fn replay(&self, retained: &Retained, last_event_id: Option<&str>) -> VecDeque<Bytes> {
        let last_event_id = match last_event_id {
            None | Some("") => return VecDeque::new(),
            Some(text) => text,
        };
        if let Some(frames) = parse_id(last_event_id).and_then(|id| retained.after(id)) {
            return frames.cloned().collect();
        }
        match &self.config.on_unknown_id {
            OnUnknownId::StartLive => VecDeque::new(),
            OnUnknownId::ReplayAll | OnUnknownId::Marker(_) => {
                let mut replay = VecDeque::with_capacity(retained.len() + 1);
                replay.extend(self.marker.clone());
                replay.extend(retained.all().cloned());
                replay
            }
        }
    }

    /// Forgets the subscriber `key` (its subscription was dropped), if publishing has not
    /// already; a topic that nobody uses any more then asks its registry to let go of it.
    pub(crate) fn unsubscribe(self: &Arc<Self>, key: u64) {
        let now = Instant::now();
        let mut state = self.lock();
        if let Some(index) = state
            .subscribers
            .iter()
            .position(|subscriber| subscriber.key == key)
        {
            state.subscribers.swap_remove(index);
        }
        state.last_used = now;
        let unused = !state.removed && self.is_unused(&mut state, now);
        drop(state);
        self.counters.unsubscribed();
        // The registry takes its own lock before the topic's: ask with the topic's released.
        if let Some(registry) = self.registry.upgrade() {
            if unused {
                registry.remove_if_unused(&self.name, self, now);
            }
            registry.sweep_if_due(now);
        }
    }

    /// Marks the topic removed if nobody uses it at `now`: no subscriber, and nothing
    /// retained or idle past the configured time. Returns the id its next event would have
    /// had, so that a topic of the same name made later starts from there; `None` if it is
    /// still in use. The registry calls this under its own lock, as it lets go of the topic.
    pub(crate) fn remove_if_unused(&self, now: Instant) -> Option<u64> {
        let mut state = self.lock();
        if state.removed || !self.is_unused(&mut state, now) {
            return None;
        }
        state.removed = true;
        Some(state.retained.next_id())
    }

    /// Marks the topic removed if it has no subscriber, whatever it retains; returns what
    /// [`remove_if_unused`](Self::remove_if_unused) does.
    pub(crate) fn remove_if_unsubscribed(&self) -> Option<u64> {
        let mut state = self.lock();
        if state.removed || !state.subscribers.is_empty() {
            return None;
        }
        state.removed = true;
        Some(state.retained.next_id())
    }

    /// No subscriber, and nothing retained (once what is too old has gone) or idle for the
    /// configured time.
    fn is_unused(&self, state: &mut TopicState, now: Instant) -> bool {
        if !state.subscribers.is_empty() {
            return false;
        }
        state.retained.expire(now, &self.config.retention);
        let idle = self
            .config
            .idle_topic_timeout
            .is_some_and(|timeout| now.saturating_duration_since(state.last_used) >= timeout);
        state.retained.len() == 0 || idle
    }

    /// Ends every subscription (each yields what it holds, then ends) and every one made
    /// from now on. Publishing goes on: events are numbered and retained as before.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.subscribers.clear();
    }

    /// How many frames the topic retains now.
    pub(crate) fn retained_len(&self) -> usize {
        self.lock().retained.len()
    }

    /// How many subscribers publishing sends to now.
    #[cfg(test)]
    pub(crate) fn subscriber_count(&self) -> usize {
        self.lock().subscribers.len()
    }

    // Nothing panics while holding the lock, but if something ever did, the state is still
    // consistent between statements: go on with it rather than spread the panic.
    fn lock(&self) -> MutexGuard<'_, TopicState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The event with the hub's id in place of its own.
fn with_id(event: Event, id: u64) -> Event {
    event
        .with_id(id.to_string())
        .expect("decimal digits are a valid id")
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use futures_core::Stream;

    use super::*;
    use crate::retention::Retention;

    fn topic(config: HubConfig) -> Arc<Topic> {
        let first_id = Some(config.first_id.unwrap_or(1));
        Arc::new(Topic::new(
            "test",
            Weak::new(),
            Arc::new(config),
            Arc::default(),
            first_id,
            false,
        ))
    }

    /// Everything the subscription yields without waiting, as text.
    fn ready_text(subscription: &mut Subscription) -> String {
        let mut text = String::new();
        let mut cx = Context::from_waker(Waker::noop());
        while let Poll::Ready(Some(frames)) = Pin::new(&mut *subscription).poll_next(&mut cx) {
            text.push_str(std::str::from_utf8(&frames).unwrap());
        }
        text
    }

    fn publish_all(topic: &Topic, data: &[&str]) {
        for data in data {
            topic.publish(&mut Some(Event::new(*data)), Instant::now());
        }
    }

    #[test]
    fn the_hub_id_replaces_the_event_id() {
        let topic = topic(HubConfig::new().first_id(7));
        let mut subscription = topic.subscribe(None, Instant::now()).unwrap();
        let event = Event::new("x").with_id("mine").unwrap();
        assert_eq!(topic.publish(&mut Some(event), Instant::now()), Some(7));
        assert_eq!(ready_text(&mut subscription), "id: 7\ndata: x\n\n");
    }

    #[test]
    fn an_empty_last_event_id_starts_live() {
        let topic = topic(HubConfig::new());
        publish_all(&topic, &["a"]);
        let mut subscription = topic.subscribe(Some(""), Instant::now()).unwrap();
        assert_eq!(ready_text(&mut subscription), "");
    }

    #[test]
    fn unknown_ids_get_what_the_config_says() {
        let marker = Event::new("missed").with_event_type("reset").unwrap();
        let cases = [
            (OnUnknownId::StartLive, ""),
            (
                OnUnknownId::ReplayAll,
                "id: 2\ndata: b\n\nid: 3\ndata: c\n\n",
            ),
            (
                OnUnknownId::Marker(marker),
                "event: reset\ndata: missed\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n",
            ),
        ];
        for (on_unknown_id, expected) in cases {
            let config = HubConfig::new()
                .retention(Retention::new().max_events(2))
                .on_unknown_id(on_unknown_id.clone());
            let topic = topic(config);
            publish_all(&topic, &["a", "b", "c"]);
            for unknown in ["0", "4", "x", "01"] {
                let mut subscription = topic.subscribe(Some(unknown), Instant::now()).unwrap();
                assert_eq!(
                    ready_text(&mut subscription),
                    expected,
                    "{on_unknown_id:?} {unknown}"
                );
            }
        }
    }

    #[test]
    fn frames_ready_together_come_as_one_batch_within_the_budget() {
        let frame_len = Event::new("x").with_id("1").unwrap().to_bytes().len();
        let topic = topic(HubConfig::new().batch_bytes(2 * frame_len));
        let mut subscription = topic.subscribe(Some("0"), Instant::now()).unwrap();
        publish_all(&topic, &["a", "b", "c", "d", "e"]);
        let mut cx = Context::from_waker(Waker::noop());
        let mut batches = Vec::new();
        while let Poll::Ready(Some(batch)) = Pin::new(&mut subscription).poll_next(&mut cx) {
            batches.push(batch);
        }
        assert_eq!(
            batches,
            [
                "id: 1\ndata: a\n\nid: 2\ndata: b\n\n",
                "id: 3\ndata: c\n\nid: 4\ndata: d\n\n",
                "id: 5\ndata: e\n\n",
            ]
        );
    }

    #[test]
    fn dropping_a_subscription_unsubscribes() {
        let topic = topic(HubConfig::new());
        let first = topic.subscribe(None, Instant::now()).unwrap();
        let second = topic.subscribe(None, Instant::now()).unwrap();
        assert_eq!(topic.subscriber_count(), 2);
        assert_eq!(topic.counters.snapshot().subscribers, 2);
        drop(first);
        assert_eq!(topic.subscriber_count(), 1);
        drop(second);
        assert_eq!(topic.subscriber_count(), 0);
        assert_eq!(topic.counters.snapshot().subscribers, 0);
    }

    #[test]
    fn closing_ends_every_subscription_after_what_it_holds_and_every_later_one() {
        let topic = topic(HubConfig::new());
        let mut open = topic.subscribe(None, Instant::now()).unwrap();
        publish_all(&topic, &["a"]);
        topic.close();
        assert_eq!(topic.subscriber_count(), 0);
        assert_eq!(ready_text(&mut open), "id: 1\ndata: a\n\n");
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(Pin::new(&mut open).poll_next(&mut cx), Poll::Ready(None));

        publish_all(&topic, &["b"]);
        let mut later = topic.subscribe(Some("1"), Instant::now()).unwrap();
        assert_eq!(topic.subscriber_count(), 0);
        assert_eq!(
            ready_text(&mut later),
            "id: 2\ndata: b\n\n",
            "the replay, then the end"
        );
        assert_eq!(Pin::new(&mut later).poll_next(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn a_full_backlog_cuts_the_subscriber_off_after_what_it_holds() {
        let topic = topic(HubConfig::new().backlog(2).batch_bytes(0));
        let mut slow = topic.subscribe(None, Instant::now()).unwrap();
        publish_all(&topic, &["a", "b", "c"]);
        assert_eq!(topic.subscriber_count(), 0);
        assert_eq!(topic.counters.snapshot().slow_disconnects, 1);
        assert_eq!(slow.backlog_len(), 2);
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(
            Pin::new(&mut slow).poll_next(&mut cx),
            Poll::Ready(Some("id: 1\ndata: a\n\n".into()))
        );
        assert_eq!(
            Pin::new(&mut slow).poll_next(&mut cx),
            Poll::Ready(Some("id: 2\ndata: b\n\n".into()))
        );
        assert_eq!(Pin::new(&mut slow).poll_next(&mut cx), Poll::Ready(None));
    }

    fn frame(id: u64) -> Bytes {
        Bytes::from(format!("id: {id}\ndata: {id}\n\n"))
    }

    #[test]
    fn relayed_frames_in_order_reach_subscribers_and_the_retained_window() {
        let topic = topic(HubConfig::new().first_id(5));
        let mut live = topic.subscribe(Some("4"), Instant::now()).unwrap();
        for id in 5..=6 {
            assert_eq!(
                topic.relay(id, &frame(id), Instant::now()),
                Some(Relayed::Delivered)
            );
        }
        assert_eq!(
            topic.relay(6, &frame(6), Instant::now()),
            Some(Relayed::Duplicate)
        );
        assert_eq!(
            topic.relay(3, &frame(3), Instant::now()),
            Some(Relayed::Duplicate)
        );
        assert_eq!(
            ready_text(&mut live),
            "id: 5\ndata: 5\n\nid: 6\ndata: 6\n\n"
        );
        let position = topic.position().unwrap();
        assert_eq!((position.first_retained, position.next), (5, 7));
        let mut resumed = topic.subscribe(Some("5"), Instant::now()).unwrap();
        assert_eq!(ready_text(&mut resumed), "id: 6\ndata: 6\n\n");
    }

    #[test]
    fn a_relayed_gap_ends_every_subscriber_after_what_it_holds_and_restarts_the_window() {
        let topic = topic(HubConfig::new().first_id(1));
        let mut live = topic.subscribe(None, Instant::now()).unwrap();
        topic.relay(1, &frame(1), Instant::now());
        assert_eq!(
            topic.relay(4, &frame(4), Instant::now()),
            Some(Relayed::Gap { expected: 2 })
        );
        assert_eq!(ready_text(&mut live), "id: 1\ndata: 1\n\n");
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(Pin::new(&mut live).poll_next(&mut cx), Poll::Ready(None));
        let position = topic.position().unwrap();
        assert_eq!((position.first_retained, position.next), (4, 5));
        let mut unknown = topic.subscribe(Some("1"), Instant::now()).unwrap();
        assert_eq!(
            ready_text(&mut unknown),
            "id: 4\ndata: 4\n\n",
            "1 cannot be resumed here: ReplayAll"
        );
    }

    #[test]
    fn a_topic_without_a_position_takes_the_first_relayed_id() {
        let topic = Arc::new(Topic::new(
            "test",
            Weak::new(),
            Arc::new(HubConfig::new().on_unknown_id(OnUnknownId::StartLive)),
            Arc::default(),
            None,
            false,
        ));
        assert_eq!(topic.position(), None);
        let mut live = topic.subscribe(None, Instant::now()).unwrap();
        let mut unknown = topic.subscribe(Some("9"), Instant::now()).unwrap();
        assert_eq!(
            topic.relay(10, &frame(10), Instant::now()),
            Some(Relayed::Delivered)
        );
        assert_eq!(ready_text(&mut live), "id: 10\ndata: 10\n\n");
        assert_eq!(
            ready_text(&mut unknown),
            "id: 10\ndata: 10\n\n",
            "started live"
        );
        assert_eq!(topic.position().unwrap().next, 11);
    }
}
