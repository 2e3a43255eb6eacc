//! Stream entries out of Redis's replies: the id, the frame, the publication time.

use bytes::Bytes;
use redis::Value;

/// One entry of a topic's stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) id: u64,
    /// The whole frame, `id:` line included, ready to write.
    pub(crate) frame: Bytes,
    /// When it was published, in ms since 1970 by the publisher's clock.
    pub(crate) published_ms: Option<u64>,
}

/// Why a reply could not be read as entries: not a reply this crate's script leads to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

/// The number `<n>` of a stream id `<n>-0`.
pub(crate) fn parse_stream_id(id: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(id).ok()?;
    let (number, sequence) = text.split_once('-')?;
    if sequence != "0" {
        return None;
    }
    ssekit_hub::id::parse_id(number)
}

/// The entries of an `XRANGE` or `XREVRANGE` reply, or of one stream of an `XREAD` reply.
pub(crate) fn entries(reply: Value) -> Result<Vec<Entry>, Malformed> {
    match reply {
        Value::Nil => Ok(Vec::new()),
        Value::Array(items) | Value::Set(items) => items.into_iter().map(entry).collect(),
        _ => Err(Malformed("entries are not an array")),
    }
}

fn entry(item: Value) -> Result<Entry, Malformed> {
    let Value::Array(parts) = item else {
        return Err(Malformed("an entry is not an array"));
    };
    let mut parts = parts.into_iter();
    let (Some(Value::BulkString(id)), Some(fields)) = (parts.next(), parts.next()) else {
        return Err(Malformed("an entry has no id and fields"));
    };
    let id = parse_stream_id(&id).ok_or(Malformed("a stream id is not <n>-0"))?;
    let mut frame = None;
    let mut published_ms = None;
    for (name, value) in pairs(fields)? {
        match (name.as_slice(), value) {
            (b"f", Value::BulkString(bytes)) => frame = Some(Bytes::from(bytes)),
            (b"t", Value::BulkString(bytes)) => {
                published_ms = std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|text| text.parse().ok());
            }
            _ => {}
        }
    }
    let frame = frame.ok_or(Malformed("an entry has no frame"))?;
    Ok(Entry {
        id,
        frame,
        published_ms,
    })
}

/// Field names and values, from RESP2's flat array or RESP3's map.
fn pairs(fields: Value) -> Result<Vec<(Vec<u8>, Value)>, Malformed> {
    let flat: Vec<(Value, Value)> = match fields {
        Value::Array(items) => {
            let mut items = items.into_iter();
            let mut flat = Vec::new();
            while let (Some(name), Some(value)) = (items.next(), items.next()) {
                flat.push((name, value));
            }
            flat
        }
        Value::Map(pairs) => pairs,
        _ => return Err(Malformed("an entry's fields are not an array")),
    };
    flat.into_iter()
        .map(|(name, value)| match name {
            Value::BulkString(name) => Ok((name, value)),
            Value::SimpleString(name) => Ok((name.into_bytes(), value)),
            _ => Err(Malformed("a field name is not a string")),
        })
        .collect()
}

/// The streams of an `XREAD` reply, by key: `Nil` when it timed out.
pub(crate) fn streams(reply: Value) -> Result<Vec<(Vec<u8>, Value)>, Malformed> {
    let pairs: Vec<(Value, Value)> = match reply {
        Value::Nil => return Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Array(pair) if pair.len() == 2 => {
                    let mut pair = pair.into_iter();
                    Ok((
                        pair.next().unwrap_or(Value::Nil),
                        pair.next().unwrap_or(Value::Nil),
                    ))
                }
                _ => Err(Malformed("a stream of XREAD is not a key and entries")),
            })
            .collect::<Result<_, _>>()?,
        Value::Map(pairs) => pairs,
        _ => return Err(Malformed("XREAD's reply is not an array")),
    };
    pairs
        .into_iter()
        .map(|(key, entries)| match key {
            Value::BulkString(key) => Ok((key, entries)),
            Value::SimpleString(key) => Ok((key.into_bytes(), entries)),
            _ => Err(Malformed("a stream key is not a string")),
        })
        .collect()
}

/// A counter's value (`GET`): `None` when the key does not exist.
pub(crate) fn counter(reply: &Value) -> Result<Option<u64>, Malformed> {
    match reply {
        Value::Nil => Ok(None),
        Value::BulkString(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(ssekit_hub::id::parse_id)
            .map(Some)
            .ok_or(Malformed("a counter is not a number")),
        Value::Int(number) => u64::try_from(*number)
            .map(Some)
            .map_err(|_| Malformed("a counter is negative")),
        _ => Err(Malformed("a counter is not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn entries_read_from_resp2_and_resp3_shapes() {
        let fields = Value::Array(vec![
            bulk("f"),
            bulk("id: 7\ndata: x\n\n"),
            bulk("t"),
            bulk("1700"),
        ]);
        let map = Value::Map(vec![(bulk("f"), bulk("id: 8\ndata: y\n\n"))]);
        let reply = Value::Array(vec![
            Value::Array(vec![bulk("7-0"), fields]),
            Value::Array(vec![bulk("8-0"), map]),
        ]);
        let read = entries(reply).unwrap();
        assert_eq!(read[0].id, 7);
        assert_eq!(read[0].frame, "id: 7\ndata: x\n\n");
        assert_eq!(read[0].published_ms, Some(1700));
        assert_eq!((read[1].id, read[1].published_ms), (8, None));
    }

    #[test]
    fn foreign_entries_are_malformed_not_a_panic() {
        for id in ["7", "7-1", "x-0", "-0", "07-0"] {
            let reply = Value::Array(vec![Value::Array(vec![
                bulk(id),
                Value::Array(vec![bulk("f"), bulk("x")]),
            ])]);
            assert!(entries(reply).is_err(), "{id}");
        }
        let no_frame = Value::Array(vec![Value::Array(vec![
            bulk("7-0"),
            Value::Array(vec![bulk("g"), bulk("x")]),
        ])]);
        assert_eq!(entries(no_frame), Err(Malformed("an entry has no frame")));
        assert!(entries(Value::Int(3)).is_err());
        assert!(streams(Value::Array(vec![Value::Int(1)])).is_err());
        assert_eq!(
            counter(&bulk("-1")),
            Err(Malformed("a counter is not a number"))
        );
        assert_eq!(counter(&Value::Nil), Ok(None));
        assert_eq!(
            counter(&bulk("1887436800000000001")),
            Ok(Some(1_887_436_800_000_000_001))
        );
    }
}
