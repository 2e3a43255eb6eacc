//! JSON event data (the `json` feature) through the real encoder and decoder: every value
//! `Event::json` and `Event::json_pretty` write comes back equal from `Message::json`, fed to
//! the decoder in any chunking; and each way reading or writing can fail has its own kind.

mod common;

use std::borrow::Cow;
use std::collections::HashMap;
use std::error::Error;
use std::fmt::Debug;

use common::decode_cut;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Value, json};
use ssekit_core::{Decoded, DecodedRef, Decoder, Event, JsonErrorKind, Message};

/// The ways the deterministic tests cut a frame of `len` bytes: whole, at each offset, byte
/// by byte, and in 32 random cuttings (from a fixed seed, so failures repeat).
fn chunkings(len: usize) -> Vec<Vec<usize>> {
    let mut all = vec![Vec::new()];
    all.extend((0..=len).map(|cut| vec![cut]));
    all.push((1..len).collect());
    // xorshift64: enough randomness for cut points, and no dependency.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ len as u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % 1024).expect("below 1024")
    };
    for _ in 0..32 {
        let count = next() % 12;
        all.push((0..count).map(|_| next() % (len + 1)).collect());
    }
    all
}

/// Decodes `frame` cut at `cuts` and returns the one message it must hold.
fn only_message(frame: &[u8], cuts: &[usize]) -> Message {
    let (items, _) = decode_cut(frame, cuts, false);
    match <[Decoded; 1]>::try_from(items) {
        Ok([Decoded::Message(message)]) => message,
        other => panic!("cuts {cuts:?}: expected one message, got {other:?}"),
    }
}

/// Asserts that `value`, sent with `Event::json` and with `Event::json_pretty`, decodes in
/// every chunking of [`chunkings`] to the event's data, which `Message::json` (and
/// `MessageRef::json`) parses back to `value`.
fn assert_round_trips<T>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let compact = Event::json(value).expect("serializable");
    let pretty = Event::json_pretty(value).expect("serializable");
    for event in [compact, pretty] {
        let frame = event.to_bytes();
        for cuts in chunkings(frame.len()) {
            let message = only_message(&frame, &cuts);
            assert_eq!(message.data(), event.data(), "cuts {cuts:?}");
            let parsed: T = message.json().expect("the data we sent");
            assert_eq!(&parsed, value, "cuts {cuts:?}");
        }

        let mut decoder = Decoder::new();
        decoder.push(&frame);
        let Some(DecodedRef::Message(message)) = decoder.next_decoded_ref().unwrap() else {
            panic!("expected a message in {frame:?}");
        };
        assert_eq!(&message.json::<T>().unwrap(), value, "borrowed message");
    }
}

/// How many `data:` lines a frame holds.
fn data_lines(frame: &[u8]) -> usize {
    frame
        .split(|&byte| byte == b'\n')
        .filter(|line| line.starts_with(b"data:"))
        .count()
}

#[test]
fn nested_values_round_trip() {
    let value = json!({
        "null": null,
        "bools": [true, false],
        "numbers": [0, -1, i64::MIN, i64::MAX, u64::MAX, 0.5, -2.25, 0.001, std::f64::consts::PI],
        "empty": {"object": {}, "array": [], "string": ""},
        "deep": {"a": [{"b": {"c": [[{"d": {"e": [null, 1, "six deep"]}}]]}}]},
        "mixed": [1, "two", [3, {"four": [5.5, false, null]}]],
    });
    assert_round_trips(&value);
}

#[test]
fn top_level_scalars_round_trip() {
    for value in [
        json!(null),
        json!(true),
        json!(0),
        json!(-7.5),
        json!(""),
        json!("x"),
    ] {
        assert_round_trips(&value);
    }
}

#[test]
fn strings_with_every_line_break_round_trip() {
    let breaks = [
        "\n", "\r", "\r\n", "\n\r", "\u{2028}", "\u{2029}", "\u{85}", "\u{0}",
    ];
    let mut object = serde_json::Map::new();
    for (n, line_break) in breaks.iter().enumerate() {
        object.insert(
            format!("key{line_break}{n}"),
            json!(format!("a{line_break}b")),
        );
    }
    let value = json!({
        "as values and keys": object,
        "alone": breaks,
        "forged event": "\n\ndata: forged\n\nid: 9\r\n\r\n",
        "everything": breaks.concat(),
        "trailing": "end\r",
    });
    assert_round_trips(&value);
    // serde_json escapes CR and LF, so compact JSON is always one `data:` line.
    assert_eq!(data_lines(&Event::json(&value).unwrap().to_bytes()), 1);
}

#[test]
fn non_ascii_text_round_trips() {
    let value = json!({
        "漢字": "日本語のテキスト、中文文本、한국어 텍스트",
        "emoji": ["🦀", "👩‍👩‍👧‍👦", "🏳️‍🌈", "\u{1F600}\u{FE0F}"],
        "combining": ["e\u{301}", "a\u{308}\u{30A}\u{323}", "Z\u{351}\u{36B}\u{343}"],
        "rtl": "עברית العربية",
        "bom": "\u{FEFF}starts with a byte order mark",
        "controls": "\u{1}\u{1F}\u{7F}\u{9F}",
    });
    assert_round_trips(&value);
}

/// One chunk of a streamed chat completion, as LLM APIs send them.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Chunk {
    id: String,
    choices: Vec<Choice>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Choice {
    index: u32,
    delta: Delta,
    finish_reason: Option<String>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Delta {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    content: Option<String>,
}

#[test]
fn a_derived_llm_delta_round_trips() {
    let chunk = Chunk {
        id: "chatcmpl-1".to_string(),
        choices: vec![Choice {
            index: 0,
            delta: Delta {
                role: Some("assistant".to_string()),
                content: Some("Hello,\nworld 👋\r\n".to_string()),
            },
            finish_reason: None,
        }],
    };
    assert_round_trips(&chunk);

    let event = Event::json(&chunk).unwrap().with_id("1").unwrap();
    assert_eq!(
        event.to_bytes(),
        concat!(
            "id: 1\n",
            r#"data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"role":"assistant","#,
            r#""content":"Hello,\nworld 👋\r\n"},"finish_reason":null}]}"#,
            "\n\n",
        )
    );
}

#[derive(Debug, Deserialize)]
struct BorrowedDelta<'a> {
    content: &'a str,
    #[serde(borrow)]
    escaped: Cow<'a, str>,
}

#[test]
fn a_borrowed_message_parses_into_borrowed_fields() {
    let mut decoder = Decoder::new();
    decoder.push(b"data: {\"content\":\"Hel\",\ndata: \"escaped\":\"a\\nb\"}\n\n");
    let Some(DecodedRef::Message(message)) = decoder.next_decoded_ref().unwrap() else {
        panic!("expected a message");
    };
    let delta: BorrowedDelta<'_> = message.json().unwrap();
    assert_eq!(delta.content, "Hel");
    assert_eq!(delta.escaped, "a\nb");
    // `content` points into the message's data: no copy was made.
    let data = message.data().as_bytes().as_ptr_range();
    assert!(data.contains(&delta.content.as_ptr()));
    // An escaped string needs unescaping into a copy.
    assert!(matches!(delta.escaped, Cow::Owned(_)));
}

#[test]
fn a_borrowed_str_field_refuses_an_escaped_string() {
    let mut decoder = Decoder::new();
    decoder.push(b"data: {\"content\":\"a\\nb\",\"escaped\":\"\"}\n\n");
    let Some(DecodedRef::Message(message)) = decoder.next_decoded_ref().unwrap() else {
        panic!("expected a message");
    };
    let error = message.json::<BorrowedDelta<'_>>().unwrap_err();
    assert_eq!(error.kind(), JsonErrorKind::Data);
}

#[test]
fn pretty_json_takes_one_data_line_per_line() {
    let value = json!({"a": [1, {"b": "c\nd"}], "e": null});
    let event = Event::json_pretty(&value).unwrap();
    let frame = event.to_bytes();
    assert_eq!(data_lines(&frame), event.data().lines().count());
    assert_eq!(
        frame,
        concat!(
            "data: {\n",
            "data:   \"a\": [\n",
            "data:     1,\n",
            "data:     {\n",
            "data:       \"b\": \"c\\nd\"\n",
            "data:     }\n",
            "data:   ],\n",
            "data:   \"e\": null\n",
            "data: }\n",
            "\n",
        )
    );
    // The indentation survives: the decoder strips one space after `data:`, no more.
    assert_eq!(only_message(&frame, &[]).data(), event.data());
}

#[test]
fn data_that_is_not_json_is_a_syntax_error_with_its_position() {
    let error = Message::new("", "{\"a\": 1}\n{\"b\": nope}", "")
        .json::<Value>()
        .unwrap_err();
    assert_eq!(error.kind(), JsonErrorKind::Syntax);
    assert_eq!((error.line(), error.column()), (Some(2), Some(1)));
    assert_eq!(
        error.to_string(),
        "invalid json in event data at line 2 column 1: trailing characters"
    );

    let error = Message::new("", "hello", "").json::<Value>().unwrap_err();
    assert_eq!(error.kind(), JsonErrorKind::Syntax);
    assert_eq!((error.line(), error.column()), (Some(1), Some(1)));
    assert_eq!(
        error.to_string(),
        "invalid json in event data at line 1 column 1: expected value"
    );
}

#[test]
fn json_of_the_wrong_shape_is_a_data_error() {
    let message = Message::new("", r#"{"id":"x","choices":[{"index":"zero"}]}"#, "");
    let error = message.json::<Chunk>().unwrap_err();
    assert_eq!(error.kind(), JsonErrorKind::Data);
    assert_eq!((error.line(), error.column()), (Some(1), Some(36)));
    assert_eq!(
        error.to_string(),
        "json in event data does not fit the type at line 1 column 36: \
         invalid type: string \"zero\", expected u32"
    );

    let error = Message::new("", r#"{"id":"x"}"#, "")
        .json::<Chunk>()
        .unwrap_err();
    assert_eq!(error.kind(), JsonErrorKind::Data);
    assert!(
        error.to_string().ends_with("missing field `choices`"),
        "{error}"
    );
}

#[test]
fn json_cut_short_is_an_eof_error_at_every_cut() {
    let value =
        json!({"text": "漢字 \u{1F980} \\ \"q\" \n", "list": [12, -3, true, false, null, {}]});
    let json = serde_json::to_string(&value).unwrap();
    for end in (0..json.len()).filter(|&end| json.is_char_boundary(end)) {
        // A server that sent a value cut short: the event itself arrives whole.
        let frame = Event::new(&json[..end]).to_bytes();
        let error = only_message(&frame, &[]).json::<Value>().unwrap_err();
        assert_eq!(error.kind(), JsonErrorKind::Eof, "cut at {end}: {error}");
        assert!(error.line().is_some(), "cut at {end}");
    }

    let error = Message::new("", "[1, 2", "").json::<Vec<u8>>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "json in event data ends early at line 1 column 5: EOF while parsing a list"
    );
}

#[test]
fn a_map_with_non_string_keys_is_a_serialize_error() {
    let map: HashMap<(u8, u8), u8> = HashMap::from([((1, 2), 3)]);
    for error in [
        Event::json(&map).unwrap_err(),
        Event::json_pretty(&map).unwrap_err(),
    ] {
        assert_eq!(error.kind(), JsonErrorKind::Serialize);
        assert_eq!((error.line(), error.column()), (None, None));
        assert_eq!(
            error.to_string(),
            "value cannot be written as json: key must be a string"
        );
    }
}

/// A value whose `Serialize` impl fails.
struct Unwritable;

impl Serialize for Unwritable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this value refuses"))
    }
}

#[test]
fn a_failing_serialize_impl_is_a_serialize_error() {
    let error = Event::json(&[Unwritable]).unwrap_err();
    assert_eq!(error.kind(), JsonErrorKind::Serialize);
    assert_eq!(
        error.to_string(),
        "value cannot be written as json: this value refuses"
    );
}

#[test]
fn the_error_wraps_serde_json_as_its_source() {
    let error = Message::new("", "[1,]", "").json::<Value>().unwrap_err();
    let source = error.source().expect("a source");
    assert!(source.downcast_ref::<serde_json::Error>().is_some());
    assert_eq!(source.to_string(), "trailing comma at line 1 column 4");
    // Lowercase, with no final period.
    let text = error.to_string();
    assert!(
        text.starts_with(char::is_lowercase) && !text.ends_with('.'),
        "{text}"
    );
}

#[test]
fn unsized_values_serialize() {
    let slice: &[u32] = &[1, 2, 3];
    assert_eq!(Event::json(slice).unwrap().data(), "[1,2,3]");
    assert_eq!(Event::json("a\"b").unwrap().data(), r#""a\"b""#);
}

/// Text of any characters, with the line breaks, NULs and JSON's special characters often.
fn text() -> impl Strategy<Value = String> {
    let character = prop_oneof![
        8 => any::<char>(),
        1 => Just('\n'),
        1 => Just('\r'),
        1 => Just('\u{2028}'),
        1 => Just('\u{2029}'),
        1 => Just('\u{85}'),
        1 => Just('\0'),
        1 => Just('"'),
        1 => Just('\\'),
    ];
    proptest::collection::vec(character, 0..10).prop_map(String::from_iter)
}

/// Numbers that print and parse back exactly: integers of any size, and fractions with a
/// power-of-two denominator whose decimal form `serde_json` parses exactly (by default it
/// parses long decimals to within one bit, unless its `float_roundtrip` feature is on).
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-(1_i32 << 20)..(1 << 20), 0..=10_i32).prop_map(|(numerator, exponent)| {
            Value::from(f64::from(numerator) / 2_f64.powi(exponent))
        }),
    ]
}

/// Any JSON value, nested up to 6 deep.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((text(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_value_round_trips_in_any_chunking(
        value in value(),
        pretty in any::<bool>(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let event = if pretty { Event::json_pretty(&value) } else { Event::json(&value) }.unwrap();
        let frame = event.to_bytes();
        let cuts: Vec<usize> = cuts.iter().map(|cut| cut.index(frame.len() + 1)).collect();
        let byte_by_byte: Vec<usize> = (1..frame.len()).collect();
        for cuts in [&[][..], &cuts, &byte_by_byte] {
            let message = only_message(&frame, cuts);
            prop_assert_eq!(message.data(), event.data());
            prop_assert_eq!(message.json::<Value>().unwrap(), value.clone());
        }
    }
}
