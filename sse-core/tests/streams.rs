//! The `Stream` adapters: byte chunks to messages for clients, events to frames for servers.

mod common;

use std::io;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use ssekit_core::{
    DecodeError, DecodeStream, DecodeStreamError, Decoder, Event, Limits, Message, decode_stream,
    encode_stream,
};

fn chunks(parts: &[&'static str]) -> Vec<Result<Bytes, io::Error>> {
    parts
        .iter()
        .map(|part| Ok(Bytes::from_static(part.as_bytes())))
        .collect()
}

#[tokio::test]
async fn byte_stream_decodes_to_messages_and_ends_cleanly() {
    let body = stream::iter(chunks(&[
        "id: 1\r",
        "\ndata: a",
        "\r\n\r",
        "\ndata: unfinished",
    ]));
    let mut messages = decode_stream(body);
    let first = messages.next().await.unwrap().unwrap();
    assert_eq!(first, Message::new("message", "a", "1"));
    assert!(
        messages.next().await.is_none(),
        "unterminated event is dropped"
    );
    assert!(messages.next().await.is_none(), "stays ended");
    assert_eq!(messages.decoder().last_event_id(), "1");
}

#[tokio::test]
async fn transport_error_comes_out_typed_with_its_source_and_ends_the_stream() {
    let mut parts = chunks(&["data: a\n\n", "data: cut"]);
    parts.push(Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset")));
    parts.extend(chunks(&[" off\n\n"]));
    let mut messages = decode_stream(stream::iter(parts));
    assert_eq!(messages.next().await.unwrap().unwrap().data(), "a");
    let error = messages.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, DecodeStreamError::Transport(e) if e.kind() == io::ErrorKind::ConnectionReset)
    );
    let source = std::error::Error::source(&error).unwrap();
    assert_eq!(source.to_string(), "reset");
    assert!(messages.next().await.is_none());
}

#[tokio::test]
async fn decode_error_is_reported_and_the_stream_goes_on() {
    let body = stream::iter(chunks(&["data: much too long\n\n", "data: ok\n\n"]));
    let decoder = Decoder::with_limits(Limits::new().max_line_len(10));
    let items: Vec<_> = DecodeStream::with_decoder(body, decoder).collect().await;
    assert!(matches!(
        items[0],
        Err(DecodeStreamError::Decode(DecodeError::LineTooLong {
            limit: 10
        }))
    ));
    assert_eq!(items[1].as_ref().unwrap().data(), "ok");
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn chunks_may_be_vectors_slices_or_strings() {
    let vectors = stream::iter([Ok::<_, io::Error>(b"data: v\n\n".to_vec())]);
    let slices = stream::iter([Ok::<_, io::Error>(&b"data: s\n\n"[..])]);
    let strings = stream::iter([Ok::<_, io::Error>(String::from("data: t\n\n"))]);
    assert_eq!(
        decode_stream(vectors).next().await.unwrap().unwrap().data(),
        "v"
    );
    assert_eq!(
        decode_stream(slices).next().await.unwrap().unwrap().data(),
        "s"
    );
    assert_eq!(
        decode_stream(strings).next().await.unwrap().unwrap().data(),
        "t"
    );
}

#[tokio::test]
async fn encoded_events_decode_back_through_both_adapters() {
    let events = vec![
        Event::new("one\r\ntwo").with_id("1").unwrap(),
        Event::new(" spaced").with_event_type("kind").unwrap(),
        Event::new(""),
    ];
    let frames = encode_stream(stream::iter(events.clone()));
    let messages: Vec<Message> = decode_stream(frames).map(Result::unwrap).collect().await;
    assert_eq!(
        messages,
        [
            Message::new("message", "one\ntwo", "1"),
            Message::new("kind", " spaced", "1"),
            Message::new("message", "", "1"),
        ]
    );
}

#[tokio::test]
async fn encode_stream_yields_one_frame_per_event_and_passes_errors_through() {
    let events = stream::iter([Ok(Event::new("a")), Err("failed"), Ok(Event::new("b"))]);
    let frames: Vec<_> = encode_stream(events).collect().await;
    assert_eq!(
        frames,
        [
            Ok(Bytes::from("data: a\n\n")),
            Err("failed"),
            Ok(Bytes::from("data: b\n\n"))
        ]
    );
}
