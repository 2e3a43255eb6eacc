//! ssekit-core itself.

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, stream};
use ssekit_core::{Decoded, DecodedRef, Decoder, Event, EventRef};

use super::{Input, Inputs};

pub fn decode_sans_io(chunks: &[Bytes]) -> (usize, usize) {
    let mut decoder = Decoder::new();
    let (mut events, mut data_bytes) = (0, 0);
    let mut count = |decoder: &mut Decoder| {
        while let Some(decoded) = decoder.next_decoded().unwrap() {
            if let Decoded::Message(message) = decoded {
                events += 1;
                data_bytes += message.data().len();
            }
        }
    };
    for chunk in chunks {
        decoder.push(chunk);
        count(&mut decoder);
    }
    decoder.finish();
    count(&mut decoder);
    (events, data_bytes)
}

/// The same, reading each message in place with `next_decoded_ref`.
pub fn decode_borrowed(chunks: &[Bytes]) -> (usize, usize) {
    let mut decoder = Decoder::new();
    let (mut events, mut data_bytes) = (0, 0);
    let mut count = |decoder: &mut Decoder| {
        while let Some(decoded) = decoder.next_decoded_ref().unwrap() {
            if let DecodedRef::Message(message) = decoded {
                events += 1;
                data_bytes += message.data().len();
            }
        }
    };
    for chunk in chunks {
        decoder.push(chunk);
        count(&mut decoder);
    }
    decoder.finish();
    count(&mut decoder);
    (events, data_bytes)
}

pub fn decode_stream(chunks: &[Bytes]) -> (usize, usize) {
    let body = stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
    let mut messages = pin!(ssekit_core::decode_stream(body));
    let (mut events, mut data_bytes) = (0, 0);
    for message in ready_items(messages.as_mut()) {
        events += 1;
        data_bytes += message.unwrap().data().len();
    }
    (events, data_bytes)
}

/// Every item of a stream that never waits, polled without a runtime.
pub fn ready_items<S: Stream>(mut stream: std::pin::Pin<&mut S>) -> impl Iterator<Item = S::Item> {
    let mut context = Context::from_waker(Waker::noop());
    std::iter::from_fn(move || match stream.as_mut().poll_next(&mut context) {
        Poll::Ready(item) => item,
        Poll::Pending => panic!("a stream of ready chunks never waits"),
    })
}

fn event(input: &Input) -> Event {
    Event::new(input.data.as_str())
        .with_id(input.id.as_str())
        .and_then(|event| event.with_event_type(input.event_type.as_str()))
        .unwrap()
}

/// Each event encoded into one reused buffer, handed on, and the buffer cleared: a server
/// that writes each event to its socket straight from the encoder.
pub fn encode_into(inputs: &Inputs, sink: &mut dyn FnMut(&[u8])) {
    let mut buf = BytesMut::new();
    for input in inputs.iter() {
        event(input).encode_into(&mut buf);
        sink(&buf);
        buf.clear();
    }
}

/// Each event built over the input's strings ([`EventRef`]: no allocation, no copy before the
/// buffer), encoded into one reused buffer, handed on, and the buffer cleared.
pub fn encode_ref(inputs: &Inputs, sink: &mut dyn FnMut(&[u8])) {
    let mut buf = BytesMut::new();
    for input in inputs.iter() {
        EventRef::new(&input.data)
            .with_id(&input.id)
            .and_then(|event| event.with_event_type(&input.event_type))
            .unwrap()
            .encode_into(&mut buf);
        sink(&buf);
        buf.clear();
    }
}

/// Through the server-side `Stream` adapter: its frames (the events ready together, joined
/// up to `MAX_FRAME_BYTES`), as a response body yields them.
pub fn encode_stream(inputs: &Inputs, sink: &mut dyn FnMut(&[u8])) {
    let events = stream::iter(inputs.iter().map(event));
    let frames = pin!(ssekit_core::encode_stream(events));
    for frame in ready_items(frames) {
        sink(&frame.unwrap());
    }
}
