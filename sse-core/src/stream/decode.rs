//! The client side: a stream of byte chunks (an HTTP response body) to a stream of messages.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use pin_project_lite::pin_project;

use crate::decode::{DecodeError, Decoded, Decoder, Message};

/// Decodes a stream of byte chunks, such as an HTTP response body, into the messages it
/// carries.
///
/// The chunks may be anything that derefs to bytes (`Bytes`, `Vec<u8>`, `&[u8]`, `String`),
/// wrapped in a `Result` whose error is the transport's.
///
/// # Example
///
/// ```
/// use futures_util::{StreamExt, stream};
/// use ssekit_core::decode_stream;
///
/// # futures_util::FutureExt::now_or_never(async {
/// let body = stream::iter([Ok::<_, std::io::Error>("data: hel"), Ok("lo\n\n")]);
/// let mut messages = decode_stream(body);
/// let message = messages.next().await.unwrap()?;
/// assert_eq!(message.data(), "hello");
/// assert!(messages.next().await.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap().unwrap();
/// ```
pub fn decode_stream<S>(bytes: S) -> DecodeStream<S> {
    DecodeStream::with_decoder(bytes, Decoder::new())
}

pin_project! {
    /// The stream [`decode_stream`] returns: `Result<Message, DecodeStreamError<E>>` items.
    ///
    /// The clean end of the byte stream ends it normally (an event the bytes ended in is
    /// dropped, as the spec says). A transport error comes out as
    /// [`DecodeStreamError::Transport`] and ends the stream. A
    /// [`DecodeStreamError::Decode`] (a limit tripped) does not end it: what follows the
    /// skipped part still arrives.
    ///
    /// `retry` fields and comments do not come out as items: read the reconnection time and
    /// the last event id from [`decoder`](Self::decoder).
    #[must_use = "streams do nothing unless polled"]
    #[derive(Debug)]
    pub struct DecodeStream<S> {
        #[pin]
        bytes: S,
        decoder: Decoder,
        ended: bool,
    }
}

impl<S> DecodeStream<S> {
    /// Decodes with this decoder, for other [`Limits`](crate::Limits).
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::stream;
    /// use ssekit_core::{DecodeStream, Decoder, Limits};
    ///
    /// let body = stream::iter([Ok::<_, std::io::Error>(b"data: x\n\n".to_vec())]);
    /// let decoder = Decoder::with_limits(Limits::new().max_line_len(64 << 20));
    /// let messages = DecodeStream::with_decoder(body, decoder);
    /// assert_eq!(messages.decoder().limits().max_line_len, 64 << 20);
    /// ```
    pub fn with_decoder(bytes: S, decoder: Decoder) -> Self {
        Self {
            bytes,
            decoder,
            ended: false,
        }
    }

    /// The decoder, for the last event id and the reconnection time the stream set.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::{StreamExt, stream};
    ///
    /// # futures_util::FutureExt::now_or_never(async {
    /// let body = stream::iter([Ok::<_, std::io::Error>("retry: 3000\nid: 9\ndata: x\n\n")]);
    /// let mut messages = ssekit_core::decode_stream(body);
    /// while messages.next().await.is_some() {}
    /// assert_eq!(messages.decoder().last_event_id(), "9");
    /// assert_eq!(messages.decoder().reconnection_time().unwrap().as_millis(), 3000);
    /// # }).unwrap();
    /// ```
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The byte stream, for a caller that takes it back.
    ///
    /// # Example
    ///
    /// ```
    /// let messages = ssekit_core::decode_stream(futures_util::stream::empty::<Result<Vec<u8>, ()>>());
    /// let _bytes = messages.into_inner();
    /// ```
    pub fn into_inner(self) -> S {
        self.bytes
    }
}

impl<S, B, E> Stream for DecodeStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    type Item = Result<Message, DecodeStreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            match this.decoder.next_decoded() {
                Ok(Some(Decoded::Message(message))) => return Poll::Ready(Some(Ok(message))),
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(error) => return Poll::Ready(Some(Err(DecodeStreamError::Decode(error)))),
            }
            if *this.ended {
                return Poll::Ready(None);
            }
            match ready!(this.bytes.as_mut().poll_next(cx)) {
                Some(Ok(chunk)) => this.decoder.push(chunk),
                Some(Err(error)) => {
                    *this.ended = true;
                    this.decoder.finish();
                    return Poll::Ready(Some(Err(DecodeStreamError::Transport(error))));
                }
                None => {
                    *this.ended = true;
                    this.decoder.finish();
                }
            }
        }
    }
}

/// What a [`DecodeStream`] can yield instead of a message.
///
/// # Example
///
/// ```
/// use std::error::Error;
/// use ssekit_core::{DecodeError, DecodeStreamError};
///
/// let error: DecodeStreamError<std::io::Error> =
///     DecodeStreamError::Decode(DecodeError::LineTooLong { limit: 10 });
/// assert_eq!(error.to_string(), "line exceeds 10 bytes");
/// assert!(error.source().is_some());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum DecodeStreamError<E> {
    /// The byte stream failed; the stream ends after this item.
    Transport(E),
    /// A decoder limit tripped; the stream goes on after the skipped part.
    Decode(DecodeError),
}

impl<E: fmt::Display> fmt::Display for DecodeStreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(error) => write!(f, "event stream transport failed: {error}"),
            Self::Decode(error) => error.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for DecodeStreamError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport(error) => Some(error),
            Self::Decode(error) => Some(error),
        }
    }
}
