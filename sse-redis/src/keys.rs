//! The names of a topic's keys in Redis.

/// A topic's keys: its stream of entries and the counter that numbers them.
///
/// Both carry the topic's name between braces, a hash tag, so that they hash to one slot
/// (the script touches both) should the Redis behind them ever be a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TopicKeys {
    pub(crate) stream: String,
    pub(crate) counter: String,
    /// `<prefix>:{<topic>}:`, to which an idempotency key is appended.
    idempotency_prefix: String,
}

impl TopicKeys {
    pub(crate) fn new(prefix: &str, topic: &str) -> Self {
        Self {
            stream: format!("{prefix}:{{{topic}}}:events"),
            counter: format!("{prefix}:{{{topic}}}:next"),
            idempotency_prefix: format!("{prefix}:{{{topic}}}:published:"),
        }
    }

    /// Where the id given to the publication with this idempotency key is kept.
    pub(crate) fn idempotency(&self, key: &str) -> String {
        format!("{}{key}", self.idempotency_prefix)
    }
}

/// The stream a reader also reads, so that a topic followed while it waits in `XREAD` wakes
/// it: an entry added there before the reader's next read is still seen by it.
pub(crate) fn wake_key(prefix: &str, instance: &str, reader: usize) -> String {
    format!("{prefix}:wake:{instance}:{reader}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_s_keys_share_its_hash_tag() {
        let keys = TopicKeys::new("ssekit", "user/42");
        assert_eq!(keys.stream, "ssekit:{user/42}:events");
        assert_eq!(keys.counter, "ssekit:{user/42}:next");
        assert_eq!(keys.idempotency("k1"), "ssekit:{user/42}:published:k1");
    }
}
