//! A real HTTP client for event streams: hyper over a loopback TCP connection, HTTP/1.1 or
//! HTTP/2 with prior knowledge, decoding the body with `ssekit-core` as it arrives (and
//! decompressing it first, as it arrives, for a request that asked for gzip).

use std::collections::VecDeque;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use flate2::write::GzDecoder;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use ssekit_core::{Decoded, Decoder, Limits, Message};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// How long a test waits for anything the server owes it before failing.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// The HTTP version a request goes out with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1.
    Http1,
    /// HTTP/2 over cleartext TCP, with prior knowledge (no upgrade).
    Http2,
}

/// A `GET` request to send.
#[derive(Clone, Debug)]
pub struct Get {
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    protocol: Protocol,
    gzip: bool,
}

impl Get {
    /// A `GET` of `path` over HTTP/1.1 that asks for an event stream.
    pub fn event_stream(path: &str) -> Self {
        Self::plain(path).header("accept", b"text/event-stream")
    }

    /// A `GET` of `path` over HTTP/1.1 with no headers of its own.
    pub fn plain(path: &str) -> Self {
        Self {
            path: path.to_string(),
            headers: Vec::new(),
            protocol: Protocol::Http1,
            gzip: false,
        }
    }

    /// Adds a header; the value may be any bytes HTTP allows, valid UTF-8 or not.
    #[must_use]
    pub fn header(mut self, name: &'static str, value: &[u8]) -> Self {
        let value = HeaderValue::from_bytes(value).expect("a header value HTTP allows");
        self.headers.push((HeaderName::from_static(name), value));
        self
    }

    /// Asks for a gzipped body (`Accept-Encoding: gzip`), and decompresses one as it
    /// arrives. Without it, a body is decoded as it comes, whatever its encoding.
    #[must_use]
    pub fn accept_gzip(mut self) -> Self {
        self.gzip = true;
        self.header("accept-encoding", b"gzip")
    }

    /// Sends it over this protocol instead.
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Connects to `server` and sends the request.
    ///
    /// # Panics
    ///
    /// If the connection or the request fails, or the response takes longer than
    /// [`PATIENCE`].
    pub async fn send(self, server: SocketAddr) -> Response {
        self.send_within(server, PATIENCE).await
    }

    /// Like [`send`](Self::send), with more (or less) patience: a thousand simultaneous
    /// connections can take a few seconds on loopback, as the kernel retries the SYNs that
    /// overflow the listen queue.
    pub async fn send_within(self, server: SocketAddr, patience: Duration) -> Response {
        tokio::time::timeout(patience, self.send_now(server))
            .await
            .expect("the response comes in time")
    }

    async fn send_now(self, server: SocketAddr) -> Response {
        let io = TokioIo::new(TcpStream::connect(server).await.expect("connect"));
        let mut request = match self.protocol {
            // The origin form (`GET /path`) and a Host header, as browsers send.
            Protocol::Http1 => {
                Request::get(&self.path).header(http::header::HOST, server.to_string())
            }
            // HTTP/2 carries the scheme and authority as pseudo-headers, from the URI.
            Protocol::Http2 => Request::get(format!("http://{server}{}", self.path)),
        };
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let (response, connection) = match self.protocol {
            Protocol::Http1 => {
                let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
                    .await
                    .expect("handshake");
                let connection = tokio::spawn(async move { connection.await.is_ok() });
                (sender.send_request(request).await, connection)
            }
            Protocol::Http2 => {
                let (mut sender, connection) =
                    hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                        .await
                        .expect("handshake");
                let connection = tokio::spawn(async move { connection.await.is_ok() });
                (sender.send_request(request).await, connection)
            }
        };
        let (parts, body) = response.expect("a response").into_parts();
        let mut decoder = Decoder::with_limits(Limits::unlimited());
        decoder.set_emit_comments(true);
        let gzipped = parts
            .headers
            .get(http::header::CONTENT_ENCODING)
            .is_some_and(|encoding| encoding == "gzip");
        let gunzip = (self.gzip && gzipped).then(|| GzDecoder::new(Vec::new()));
        Response {
            status: parts.status,
            headers: parts.headers,
            version: parts.version,
            body,
            decoder,
            decoded: VecDeque::new(),
            body_frames: 0,
            gunzip,
            _connection: CloseOnDrop(connection),
        }
    }
}

/// Aborting the connection task closes the socket: the server sees the client leave.
#[derive(Debug)]
struct CloseOnDrop(JoinHandle<bool>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A response whose body is read as an event stream. Dropping it closes the connection.
#[derive(Debug)]
pub struct Response {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The HTTP version the server answered with.
    pub version: http::Version,
    body: Incoming,
    decoder: Decoder,
    decoded: VecDeque<Decoded>,
    body_frames: usize,
    /// For a body sent with `Content-Encoding: gzip` to a request that asked for it.
    gunzip: Option<GzDecoder<Vec<u8>>>,
    /// Held for its `Drop`: the connection closes with the response.
    _connection: CloseOnDrop,
}

/// How a body ended.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyEnd {
    /// The server ended it properly.
    Clean,
    /// The connection broke off mid-body.
    Broken(String),
}

impl Response {
    /// The next decoded item (messages, retry values and comments), or how the body ended.
    ///
    /// # Panics
    ///
    /// If nothing comes within [`PATIENCE`].
    pub async fn next(&mut self) -> Result<Decoded, BodyEnd> {
        tokio::time::timeout(PATIENCE, self.next_now())
            .await
            .expect("the server sends the next item in time")
    }

    /// Like [`next`](Self::next), but `None` if nothing comes within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Result<Decoded, BodyEnd>> {
        tokio::time::timeout(wait, self.next_now()).await.ok()
    }

    /// The next message, skipping comments and retry values.
    ///
    /// # Panics
    ///
    /// If the body ends first, or nothing comes within [`PATIENCE`].
    pub async fn next_message(&mut self) -> Message {
        loop {
            match self.next().await {
                Ok(Decoded::Message(message)) => return message,
                Ok(_) => {}
                Err(end) => panic!("the body ended ({end:?}) before the next message"),
            }
        }
    }

    /// Everything up to the end of the body, and how it ended.
    pub async fn rest(mut self) -> (Vec<Decoded>, BodyEnd) {
        let mut items = Vec::new();
        loop {
            match self.next().await {
                Ok(item) => items.push(item),
                Err(end) => return (items, end),
            }
        }
    }

    /// The whole body, as text (for responses that are no event stream).
    pub async fn text(self) -> String {
        let body = tokio::time::timeout(PATIENCE, self.body.collect())
            .await
            .expect("the body comes in time")
            .expect("the body arrives whole");
        String::from_utf8(body.to_bytes().to_vec()).expect("a UTF-8 body")
    }

    /// How many body frames (HTTP/1.1 chunks, HTTP/2 DATA frames) arrived so far.
    pub fn body_frames(&self) -> usize {
        self.body_frames
    }

    /// The header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("a text header"))
    }

    async fn next_now(&mut self) -> Result<Decoded, BodyEnd> {
        loop {
            if let Some(item) = self.decoded.pop_front() {
                return Ok(item);
            }
            match self.body.frame().await {
                None => return Err(BodyEnd::Clean),
                Some(Err(error)) => return Err(BodyEnd::Broken(error.to_string())),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.body_frames += 1;
                        match &mut self.gunzip {
                            None => self.decoder.push(&data),
                            Some(gunzip) => {
                                // The flush hands on all that the bytes so far decompress to.
                                gunzip.write_all(&data).expect("a gzip body");
                                gunzip.flush().expect("a gzip body");
                                self.decoder.push(gunzip.get_ref());
                                gunzip.get_mut().clear();
                            }
                        }
                        while let Some(item) = self.decoder.next_decoded().expect("no limits") {
                            self.decoded.push_back(item);
                        }
                    }
                }
            }
        }
    }
}
