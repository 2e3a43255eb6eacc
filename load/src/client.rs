//! One client connection: a raw HTTP/1.1 request on a TCP socket bound to a chosen loopback
//! address, then the events of the response, counted without a framework in the way.

use std::io::{self, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};

use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockopt};
use nix::sys::time::TimeSpec;
use ssekit_core::{DecodedRef, Decoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::{TcpSocket, TcpStream};

use super::chunked::Dechunker;
use super::websocket::FrameReader;

/// What the client speaks after the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// An event stream (`text/event-stream`), usually in chunked coding.
    Sse,
    /// A WebSocket, after a `101` answer.
    WebSocket,
}

/// The longest response head the client reads.
const MAX_HEAD: usize = 16 * 1024;

/// How the response body is cut into events.
enum Framing {
    Sse {
        chunks: Option<Dechunker>,
        decoder: Box<Decoder>,
    },
    WebSocket(FrameReader),
}

/// A connection whose response carries events.
pub struct StreamClient {
    socket: TcpStream,
    buf: Vec<u8>,
    /// Body bytes that came with the response head, not yet cut into events.
    leftover: Vec<u8>,
    /// Room for the kernel's arrival stamp, reused from read to read.
    control: Vec<u8>,
    framing: Framing,
}

/// Connects from `source` (any port) to `server`.
async fn connect(server: SocketAddr, source: Ipv4Addr) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source.into(), 0))?;
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Reads up to the end of the response head; returns the head and what came after it.
async fn read_head(socket: &mut TcpStream) -> io::Result<(String, Vec<u8>)> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0; 4096];
    loop {
        let read = socket.read(&mut chunk).await?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed before the response head",
            ));
        }
        head.extend_from_slice(&chunk[..read]);
        if let Some(end) = head.windows(4).position(|window| window == b"\r\n\r\n") {
            let rest = head.split_off(end + 4);
            return Ok((String::from_utf8_lossy(&head).into_owned(), rest));
        }
        if head.len() > MAX_HEAD {
            return Err(io::Error::other("response head too long"));
        }
    }
}

fn status(head: &str) -> Option<u16> {
    head.split(' ').nth(1)?.parse().ok()
}

impl StreamClient {
    /// Connects from `source` to `server`, asks for `path` in `protocol`, and checks the
    /// answer (`200` for an event stream, `101` for a WebSocket). `buf_len` is the read
    /// buffer's size: small for idle connections, large for throughput.
    ///
    /// # Errors
    ///
    /// A failed connection, or an answer other than the expected one.
    pub async fn open(
        server: SocketAddr,
        source: Ipv4Addr,
        protocol: Protocol,
        path: &str,
        buf_len: usize,
    ) -> io::Result<Self> {
        let mut socket = connect(server, source).await?;
        let request = match protocol {
            Protocol::Sse => format!(
                "GET {path} HTTP/1.1\r\nHost: {server}\r\nAccept: text/event-stream\r\n\r\n"
            ),
            Protocol::WebSocket => format!(
                "GET {path} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n"
            ),
        };
        socket.write_all(request.as_bytes()).await?;
        let (head, leftover) = read_head(&mut socket).await?;
        let expected = match protocol {
            Protocol::Sse => 200,
            Protocol::WebSocket => 101,
        };
        if status(&head) != Some(expected) {
            let first_line = head.lines().next().unwrap_or("");
            return Err(io::Error::other(format!("{path}: answered {first_line}")));
        }
        let framing = match protocol {
            Protocol::Sse => {
                let chunked = head
                    .to_ascii_lowercase()
                    .contains("transfer-encoding: chunked");
                Framing::Sse {
                    chunks: chunked.then(Dechunker::default),
                    decoder: Box::default(),
                }
            }
            Protocol::WebSocket => Framing::WebSocket(FrameReader::default()),
        };
        Ok(Self {
            socket,
            buf: vec![0; buf_len],
            leftover,
            control: nix::cmsg_space!(TimeSpec),
            framing,
        })
    }

    /// Asks the kernel to stamp the bytes this socket receives with the time they arrived
    /// (`SO_TIMESTAMPNS`), for [`Self::read_stamped_events`].
    ///
    /// # Errors
    ///
    /// If the socket refuses the option.
    pub fn stamp_arrivals(&self) -> io::Result<()> {
        setsockopt(&self.socket, sockopt::ReceiveTimestampns, &true).map_err(io::Error::from)
    }

    /// As [`Self::read_events`], with the time the event's bytes reached this socket, in
    /// nanoseconds since the Unix epoch, as the kernel stamped them (after
    /// [`Self::stamp_arrivals`]; `None` without a stamp). On loopback the kernel stamps a
    /// segment while the server's write is still in the kernel, so the stamp is when the
    /// server wrote it, however long this client takes to read it.
    ///
    /// # Errors
    ///
    /// A socket error, or bytes that are not the protocol's.
    pub async fn read_stamped_events(
        &mut self,
        mut on_event: impl FnMut(&[u8], Option<u64>),
    ) -> io::Result<bool> {
        if !self.leftover.is_empty() {
            let leftover = std::mem::take(&mut self.leftover);
            return cut(&mut self.framing, &leftover, |data| on_event(data, None));
        }
        let Self {
            socket,
            buf,
            control,
            framing,
            ..
        } = self;
        let (read, arrived) = loop {
            socket.readable().await?;
            let fd = socket.as_raw_fd();
            match socket.try_io(Interest::READABLE, || receive_stamped(fd, buf, control)) {
                Ok(received) => break received,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
        };
        if read == 0 {
            return Ok(false);
        }
        cut(framing, &buf[..read], |data| on_event(data, arrived))
    }

    /// Waits for bytes, then calls `on_event` with the data of each whole event they
    /// complete. Returns `false` once the server has ended the stream.
    ///
    /// # Errors
    ///
    /// A socket error, or bytes that are not the protocol's.
    pub async fn read_events(&mut self, on_event: impl FnMut(&[u8])) -> io::Result<bool> {
        if !self.leftover.is_empty() {
            let leftover = std::mem::take(&mut self.leftover);
            return cut(&mut self.framing, &leftover, on_event);
        }
        let read = self.socket.read(&mut self.buf).await?;
        if read == 0 {
            return Ok(false);
        }
        cut(&mut self.framing, &self.buf[..read], on_event)
    }
}

/// Reads from `fd` into `buf` with `recvmsg`: how many bytes, and the kernel's arrival stamp
/// (nanoseconds since the Unix epoch) if it sent one, which lands in `control`.
fn receive_stamped(
    fd: RawFd,
    buf: &mut [u8],
    control: &mut [u8],
) -> io::Result<(usize, Option<u64>)> {
    let mut slices = [IoSliceMut::new(buf)];
    let message = recvmsg::<()>(fd, &mut slices, Some(control), MsgFlags::empty())?;
    let arrived = message.cmsgs()?.find_map(|control| match control {
        ControlMessageOwned::ScmTimestampns(stamp) => {
            let nanos = i128::from(stamp.tv_sec()) * 1_000_000_000 + i128::from(stamp.tv_nsec());
            u64::try_from(nanos).ok()
        }
        _ => None,
    });
    Ok((message.bytes, arrived))
}

/// Cuts `bytes` into events with `framing`.
fn cut(framing: &mut Framing, bytes: &[u8], mut on_event: impl FnMut(&[u8])) -> io::Result<bool> {
    let invalid = |error: String| io::Error::new(io::ErrorKind::InvalidData, error);
    match framing {
        Framing::Sse { chunks, decoder } => {
            let open = if let Some(chunks) = chunks {
                chunks
                    .feed(bytes, |data| decoder.push(data))
                    .map_err(invalid)?
            } else {
                decoder.push(bytes);
                true
            };
            while let Some(item) = decoder
                .next_decoded_ref()
                .map_err(|error| invalid(error.to_string()))?
            {
                if let DecodedRef::Message(message) = item {
                    on_event(message.data().as_bytes());
                }
            }
            Ok(open)
        }
        Framing::WebSocket(frames) => frames.feed(bytes, on_event).map_err(invalid),
    }
}

/// Sends `POST path` with an empty body and returns the status code.
///
/// # Errors
///
/// A failed connection or an unreadable answer.
pub async fn post(server: SocketAddr, path: &str) -> io::Result<u16> {
    let mut socket = connect(server, Ipv4Addr::LOCALHOST).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {server}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await?;
    let (head, _) = read_head(&mut socket).await?;
    status(&head).ok_or_else(|| io::Error::other(format!("no status in {head:?}")))
}
