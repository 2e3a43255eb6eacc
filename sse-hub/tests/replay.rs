//! Replay against a model: for any interleaving of publications, subscriptions (with a valid,
//! expired, future, malformed, empty or absent `Last-Event-ID`), reads and disconnects, each
//! subscriber sees exactly the retained events after its id (or what `OnUnknownId` says),
//! then every later event, in order, decoded with the real decoder.

mod common;

use common::Reader;
use proptest::prelude::*;
use proptest::sample::Index;
use ssekit_core::{Event, Message};
use ssekit_hub::{Hub, HubConfig, OnUnknownId, Retention};

#[derive(Clone, Debug)]
enum LastId {
    Absent,
    Empty,
    /// A number from 0 to two past the latest id: resumable, expired or not given yet.
    Number(Index),
    /// Text the hub never writes as an id.
    Malformed(&'static str),
}

#[derive(Clone, Debug)]
enum Step {
    Publish,
    Subscribe(LastId),
    /// Reads what one subscriber has ready.
    Read(Index),
    /// Drops one subscriber, as a client that disconnects.
    Disconnect(Index),
}

fn last_id() -> impl Strategy<Value = LastId> {
    prop_oneof![
        1 => Just(LastId::Absent),
        1 => Just(LastId::Empty),
        4 => any::<Index>().prop_map(LastId::Number),
        1 => prop::sample::select(vec!["x", "+1", "01", "-1", "1 ", "99999999999999999999"])
            .prop_map(LastId::Malformed),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::Publish),
        2 => last_id().prop_map(Step::Subscribe),
        2 => any::<Index>().prop_map(Step::Read),
        1 => any::<Index>().prop_map(Step::Disconnect),
    ]
}

fn on_unknown_id() -> impl Strategy<Value = OnUnknownId> {
    prop_oneof![
        Just(OnUnknownId::StartLive),
        Just(OnUnknownId::ReplayAll),
        Just(OnUnknownId::Marker(marker())),
    ]
}

fn marker() -> Event {
    Event::new("you missed events")
        .with_event_type("missed")
        .unwrap()
}

/// The data of the event with this id: two lines, so that a frame holds more than one.
fn data(id: u64) -> String {
    format!("event {id}\nsecond line of {id}")
}

/// What the model expects a subscriber to see.
struct Expected {
    reader: Reader,
    messages: Vec<Message>,
}

/// The slow, obvious account of what a topic retains and resumes: ids 1, 2, 3, ..., the
/// last `max_events` of them kept.
struct Model {
    published: u64,
    max_events: u64,
    on_unknown_id: OnUnknownId,
}

impl Model {
    fn retained(&self) -> std::ops::RangeInclusive<u64> {
        let first_kept = self.published.saturating_sub(self.max_events) + 1;
        first_kept..=self.published
    }

    fn replay(&self, last_id: &LastId) -> Vec<Message> {
        let resumable = match last_id {
            LastId::Absent | LastId::Empty => return Vec::new(),
            LastId::Malformed(_) => None,
            LastId::Number(index) => {
                let id = index.index(usize::try_from(self.published).unwrap() + 3) as u64;
                (self.retained().start() - 1..=self.published)
                    .contains(&id)
                    .then_some(id)
            }
        };
        let messages = |ids: std::ops::RangeInclusive<u64>| ids.map(message).collect::<Vec<_>>();
        match (resumable, &self.on_unknown_id) {
            (Some(id), _) => messages(id + 1..=self.published),
            (None, OnUnknownId::StartLive) => Vec::new(),
            (None, OnUnknownId::ReplayAll) => messages(self.retained()),
            (None, OnUnknownId::Marker(_)) => {
                let mut replay = vec![Message::new("missed", "you missed events", "")];
                replay.extend(messages(self.retained()));
                replay
            }
        }
    }

    /// The `Last-Event-ID` header text the subscriber sends.
    fn header(&self, last_id: &LastId) -> Option<String> {
        match last_id {
            LastId::Absent => None,
            LastId::Empty => Some(String::new()),
            LastId::Number(index) => Some(
                index
                    .index(usize::try_from(self.published).unwrap() + 3)
                    .to_string(),
            ),
            LastId::Malformed(text) => Some((*text).to_string()),
        }
    }
}

fn message(id: u64) -> Message {
    Message::new("message", data(id), id.to_string())
}

fn run(steps: &[Step], max_events: u64, on_unknown_id: &OnUnknownId) {
    // The model numbers events from 1.
    let config = HubConfig::new()
        .first_id(1)
        .retention(Retention::new().max_events(usize::try_from(max_events).unwrap()))
        .on_unknown_id(on_unknown_id.clone())
        .backlog(steps.len() + 1)
        .batch_bytes(200);
    let hub = Hub::with_config(config);
    let topic = hub.topic("topic");
    let mut model = Model {
        published: 0,
        max_events,
        on_unknown_id: on_unknown_id.clone(),
    };
    let mut subscribers: Vec<Expected> = Vec::new();
    for step in steps {
        match step {
            Step::Publish => {
                model.published += 1;
                let Ok(id) = topic
                    .publish(Event::new(data(model.published)))
                    .into_inner();
                assert_eq!(id, model.published);
                for subscriber in &mut subscribers {
                    subscriber.messages.push(message(id));
                }
            }
            Step::Subscribe(last_id) => {
                let header = model.header(last_id);
                subscribers.push(Expected {
                    reader: Reader::new(topic.subscribe(header.as_deref())),
                    messages: model.replay(last_id),
                });
            }
            Step::Read(index) if !subscribers.is_empty() => {
                let chosen = index.index(subscribers.len());
                let subscriber = &mut subscribers[chosen];
                subscriber.reader.read_ready();
                assert!(!subscriber.reader.ended, "the stream goes on");
                assert!(subscriber.messages.starts_with(&subscriber.reader.messages));
            }
            Step::Disconnect(index) if !subscribers.is_empty() => {
                let subscriber = subscribers.swap_remove(index.index(subscribers.len()));
                assert!(subscriber.messages.starts_with(&subscriber.reader.messages));
            }
            Step::Read(_) | Step::Disconnect(_) => {}
        }
        assert_eq!(hub.stats().subscribers, subscribers.len() as u64);
    }
    for subscriber in &mut subscribers {
        subscriber.reader.read_ready();
        assert_eq!(subscriber.reader.messages, subscriber.messages);
    }
    let stats = hub.stats();
    assert_eq!(stats.published, model.published);
    assert_eq!(stats.slow_disconnects, 0);
    let retained = model.retained().count();
    assert_eq!(hub.backend().retained_len("topic"), retained);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn each_subscriber_gets_the_retained_suffix_after_its_id_then_every_later_event(
        steps in prop::collection::vec(step(), 1..60),
        max_events in 0_u64..8,
        on_unknown_id in on_unknown_id(),
    ) {
        run(&steps, max_events, &on_unknown_id);
    }
}
