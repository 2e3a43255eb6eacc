//! The publication, as one Lua script: the topic's next id, the entry, retention and expiry,
//! applied together or not at all.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use redis::Script;
use ssekit_core::{Event, EventRef};
use ssekit_hub::id::clock_first_id;

use crate::keys::TopicKeys;

/// Appends events to their topics' streams and returns their ids, as decimal strings: one
/// script call for a batch of publications that were waiting together.
///
/// Arguments: the most entries kept (`0`: no limit), the oldest kept in ms (`0`: no
/// limit), now in ms, the keys' time to live in ms (`0`: none), the first id of a new epoch;
/// then three per event: its frame without the id line, where that line goes (bytes before
/// it), its idempotency key's time to live in ms. Keys: three per event, its stream, its
/// counter, its idempotency key. The reply has one string per event: its id, or `!` and
/// the error that stopped it (the other events of the batch go on).
///
/// - A key that was seen before returns the id it got then: a retried publication whose
///   reply was lost publishes nothing twice.
/// - A counter that exists is incremented. One that does not (the topic is new, expired, or
///   Redis lost it) starts a new epoch at the first id given, which comes from the clock, so
///   it is above every id an older epoch gave; the stream goes with it, so that its entries
///   all belong to one epoch.
/// - Ids stay decimal strings, incremented as strings (the last 15 digits as a number, with
///   the carry): Lua numbers are doubles, which lose the last digits of ids this large (so
///   `INCR`'s integer reply would too). Reading the counter with `GET` and writing it back
///   with its expiry in one `SET` costs two commands where `EXISTS`, `INCR`, `GET` and
///   `PEXPIRE` cost four.
/// - The entry is appended before the counter is written: an append that fails (a key of
///   another type in the way, Redis out of memory) leaves the counter as it was, so no id
///   is skipped.
/// - The entry's stream id is `<id>-0`, so a reader's next id is its last plus one, and a gap
///   shows.
/// - One call for many events saves Redis the cost of a call per event (measured in
///   BENCHMARKS.md); the batch is what was waiting, never a wait for more.
const PUBLISH: &str = r"
local max_len, max_age, now, ttl, first_id = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local function increment(number)
  if #number <= 15 then
    return string.format('%d', tonumber(number) + 1)
  end
  local tail = tonumber(string.sub(number, -15)) + 1
  if tail < 1e15 then
    return string.sub(number, 1, -16) .. string.format('%015d', tail)
  end
  return increment(string.sub(number, 1, -16)) .. '000000000000000'
end
local function publish(stream, counter, seen_key, frame, at, seen_ttl)
  local seen = redis.call('GET', seen_key)
  if seen then
    return seen
  end
  local id = redis.call('GET', counter)
  if id then
    id = increment(id)
  else
    redis.call('DEL', stream)
    id = first_id
  end
  at = tonumber(at)
  frame = string.sub(frame, 1, at) .. 'id: ' .. id .. '\n' .. string.sub(frame, at + 1)
  if max_len ~= '0' then
    redis.call('XADD', stream, 'MAXLEN', '~', max_len, id .. '-0', 'f', frame, 't', now)
  else
    redis.call('XADD', stream, id .. '-0', 'f', frame, 't', now)
  end
  if ttl ~= '0' then
    redis.call('SET', counter, id, 'PX', ttl)
    redis.call('PEXPIRE', stream, ttl)
  else
    redis.call('SET', counter, id)
  end
  if max_age > 0 then
    local oldest = tonumber(now) - max_age
    for _ = 1, 8 do
      local entry = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
      if entry == nil or tonumber(entry[2][4]) >= oldest then
        break
      end
      redis.call('XDEL', stream, entry[1])
    end
  end
  redis.call('SET', seen_key, id, 'PX', seen_ttl)
  return id
end
local ids = {}
for event = 0, #KEYS / 3 - 1 do
  local k, a = 3 * event, 5 + 3 * event
  local ok, id = pcall(publish, KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
  if ok then
    ids[event + 1] = id
  else
    ids[event + 1] = '!' .. (type(id) == 'table' and tostring(id.err) or tostring(id))
  end
end
return ids
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
        idempotency_window: Duration,
    ) -> Self {
        let (frame, id_at) = frame_without_id(event);
        Self {
            keys,
            idempotency_key,
            frame,
            id_at,
            idempotency_ms: millis(idempotency_window).max(1),
        }
    }
}

/// Runs the script for `publications` (loading it first if Redis lost it: `SCRIPT FLUSH`, a
/// restart): one reply per publication, its id or `!` and its error.
pub(crate) async fn send(
    publications: &[&Publication],
    limits: Limits,
    connection: &mut redis::aio::MultiplexedConnection,
) -> redis::RedisResult<Vec<String>> {
    let now = SystemTime::now();
    let mut invocation = SCRIPT.prepare_invoke();
    invocation
        .arg(limits.max_len.map_or(0, |len| len.max(1)))
        .arg(limits.max_age.map_or(0, |age| millis(age).max(1)))
        .arg(now.duration_since(UNIX_EPOCH).map_or(0, millis))
        .arg(limits.idle.map_or(0, |idle| millis(idle).max(1)))
        .arg(clock_first_id(now));
    for publication in publications {
        invocation
            .key(publication.keys.stream.as_str())
            .key(publication.keys.counter.as_str())
            .key(publication.keys.idempotency(&publication.idempotency_key))
            .arg(publication.frame.as_ref())
            .arg(publication.id_at)
            .arg(publication.idempotency_ms);
    }
    invocation.invoke_async(connection).await
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
