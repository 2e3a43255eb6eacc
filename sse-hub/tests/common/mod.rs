//! What the hub's tests share: reading a subscription without a runtime, and decoding what it
//! yields with the real decoder.

#![allow(dead_code)] // Each test file uses its own part.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_core::Stream;
use ssekit_core::{Decoded, Decoder, Message};
use ssekit_hub::Subscription;

/// A subscriber as a client sees it: the batches its subscription yielded, decoded.
pub struct Reader {
    pub subscription: Subscription,
    decoder: Decoder,
    pub messages: Vec<Message>,
    pub batches: usize,
    pub ended: bool,
}

impl Reader {
    pub fn new(subscription: Subscription) -> Self {
        Self {
            subscription,
            decoder: Decoder::new(),
            messages: Vec::new(),
            batches: 0,
            ended: false,
        }
    }

    /// Takes every batch that is ready now, without waiting; notes whether the stream ended.
    pub fn read_ready(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        while !self.ended {
            match Pin::new(&mut self.subscription).poll_next(&mut cx) {
                Poll::Ready(Some(batch)) => self.push(&batch),
                Poll::Ready(None) => self.ended = true,
                Poll::Pending => break,
            }
        }
    }

    /// Decodes one batch.
    pub fn push(&mut self, batch: &Bytes) {
        self.batches += 1;
        self.decoder.push(batch);
        while let Some(decoded) = self.decoder.next_decoded().expect("within limits") {
            match decoded {
                Decoded::Message(message) => self.messages.push(message),
                other => panic!("the hub sends messages only, got {other:?}"),
            }
        }
        assert_eq!(self.decoder.buffered_len(), 0, "batches hold whole frames");
    }

    /// The ids of the messages so far, as numbers.
    pub fn ids(&self) -> Vec<u64> {
        self.messages
            .iter()
            .map(|message| message.last_event_id().parse().expect("a hub id"))
            .collect()
    }
}
