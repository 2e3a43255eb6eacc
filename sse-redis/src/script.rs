//! The publication, as one Lua script: the topic's next id, the entry, retention and expiry,
//! applied together or not at all.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use redis::Script;
use ssekit_core::{Event, EventRef};
use ssekit_hub::id::clock_first_id;

use crate::keys::TopicKeys;

/// Appends one event to a topic's stream and returns its id, as a decimal string.
///
/// Keys: the stream, the counter, the idempotency key. Arguments: the frame without its id
/// line, where that line goes (bytes before it), the first id of a new epoch, the most
/// entries kept (`0`: no limit), the oldest kept in ms (`0`: no limit), now in ms, the keys'
/// time to live in ms (`0`: none), the idempotency key's time to live in ms.
///
/// - A key that was seen before returns the id it got then: a retried publication whose
///   reply was lost publishes nothing twice.
/// - A counter that exists is incremented. One that does not (the topic is new, expired, or
///   Redis lost it) starts a new epoch at the first id given, which comes from the clock, so
///   it is above every id an older epoch gave; the stream goes with it, so that its entries
///   all belong to one epoch.
/// - Ids stay strings: Lua turns integer replies into doubles, which lose the last digits of
///   ids this large, so the counter is read back with `GET`.
/// - The entry's stream id is `<id>-0`, so a reader's next id is its last plus one, and a gap
///   shows.
const PUBLISH: &str = r"
local seen = redis.call('GET', KEYS[3])
if seen then
  return seen
end
local id
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('INCR', KEYS[2])
  id = redis.call('GET', KEYS[2])
else
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[3])
  id = ARGV[3]
end
local at = tonumber(ARGV[2])
local frame = string.sub(ARGV[1], 1, at) .. 'id: ' .. id .. '\n' .. string.sub(ARGV[1], at + 1)
if ARGV[4] ~= '0' then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], id .. '-0', 'f', frame, 't', ARGV[6])
else
  redis.call('XADD', KEYS[1], id .. '-0', 'f', frame, 't', ARGV[6])
end
if ARGV[5] ~= '0' then
  local oldest = tonumber(ARGV[6]) - tonumber(ARGV[5])
  for _ = 1, 8 do
    local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
    if first == nil or tonumber(first[2][4]) >= oldest then
      break
    end
    redis.call('XDEL', KEYS[1], first[1])
  end
end
if ARGV[7] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
redis.call('SET', KEYS[3], id, 'PX', ARGV[8])
return id
";

static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(PUBLISH));

/// One publication, ready to send (and to send again, unchanged, if the reply is lost).
#[derive(Clone, Debug)]
pub(crate) struct Publication {
    keys: TopicKeys,
    idempotency_key: String,
    /// The frame without its id line.
    frame: Bytes,
    /// How many bytes of `frame` come before the id line.
    id_at: usize,
    first_id: u64,
    /// `0`: no limit.
    max_len: u64,
    max_age_ms: u64,
    now_ms: u64,
    ttl_ms: u64,
    idempotency_ms: u64,
}

/// What retention and expiry a topic's keys get.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The most entries a stream keeps (at least this many, as `MAXLEN ~` trims whole
    /// nodes); `None`: no limit.
    pub(crate) max_len: Option<u64>,
    pub(crate) max_age: Option<Duration>,
    pub(crate) idle: Option<Duration>,
}

impl Publication {
    pub(crate) fn new(
        keys: TopicKeys,
        idempotency_key: String,
        event: &Event,
        limits: Limits,
        idempotency_window: Duration,
    ) -> Self {
        let now = SystemTime::now();
        let (frame, id_at) = frame_without_id(event);
        Self {
            keys,
            idempotency_key,
            frame,
            id_at,
            first_id: clock_first_id(now),
            max_len: limits.max_len.map_or(0, |len| len.max(1)),
            max_age_ms: limits.max_age.map_or(0, |age| millis(age).max(1)),
            now_ms: now.duration_since(UNIX_EPOCH).map_or(0, millis),
            ttl_ms: limits.idle.map_or(0, |idle| millis(idle).max(1)),
            idempotency_ms: millis(idempotency_window).max(1),
        }
    }

    /// Runs the script (loading it first if Redis lost it: `SCRIPT FLUSH`, a restart).
    pub(crate) async fn send(
        &self,
        connection: &mut redis::aio::MultiplexedConnection,
    ) -> redis::RedisResult<String> {
        SCRIPT
            .key(self.keys.stream.as_str())
            .key(self.keys.counter.as_str())
            .key(self.keys.idempotency(&self.idempotency_key))
            .arg(self.frame.as_ref())
            .arg(self.id_at)
            .arg(self.first_id)
            .arg(self.max_len)
            .arg(self.max_age_ms)
            .arg(self.now_ms)
            .arg(self.ttl_ms)
            .arg(self.idempotency_ms)
            .invoke_async(connection)
            .await
    }
}

/// The event's frame with no `id:` line, and where that line goes: after its comment and
/// event type, as the encoder writes them, so that the frame Redis keeps is byte for byte
/// what the in-memory hub writes.
pub(crate) fn frame_without_id(event: &Event) -> (Bytes, usize) {
    let mut fields = EventRef::new(event.data());
    let mut head = EventRef::new("");
    if let Some(comment) = event.comment() {
        fields = fields.with_comment(comment);
        head = head.with_comment(comment);
    }
    if let Some(event_type) = event.event_type() {
        fields = fields
            .with_event_type(event_type)
            .expect("the event's own type is valid");
        head = head
            .with_event_type(event_type)
            .expect("the event's own type is valid");
    }
    if let Some(retry) = event.retry() {
        fields = fields.with_retry(retry);
    }
    // The head's own frame ends with an empty data line and the blank line: "data: \n\n".
    let id_at = head.encoded_len() - "data: \n\n".len();
    (fields.to_bytes(), id_at)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_id_line_goes_where_the_encoder_writes_it() {
        let events = [
            Event::new("x"),
            Event::new("a\nb").with_event_type("tick").unwrap(),
            Event::new("x")
                .with_comment("c1\nc2")
                .with_event_type("t")
                .unwrap()
                .with_retry(Duration::from_millis(1500)),
            Event::new("").with_comment("only"),
        ];
        for event in events {
            let (frame, at) = frame_without_id(&event);
            let joined = [&frame[..at], b"id: 42\n", &frame[at..]].concat();
            let expected = event.clone().with_id("42").unwrap().to_bytes();
            assert_eq!(joined, expected, "{event:?}");
        }
    }
}
