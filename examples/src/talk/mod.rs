//! The `/talk` server of the original Node.js document, recreated on this library.
//!
//! What a browser sees is the original's:
//!
//! - `GET /talk` asking for `text/event-stream`: an event stream with an event at once and
//!   then one every interval (5 s by default), each `data: new server event <local time>`;
//! - any other path asked for as an event stream: `404`, empty body;
//! - any other request: the page, whose "Stop Listening" button closes the stream.
//!
//! What the original gets wrong, and this one fixes:
//!
//! - it sends the same `id` (the connection's start time) on every event: here each event's
//!   id is its sequence number;
//! - it ignores `Last-Event-ID`: here a reconnecting browser continues the sequence after the
//!   last id it saw, nothing lost or repeated;
//! - its timer runs forever after the client leaves: here the timer belongs to the response
//!   stream and stops when the connection closes;
//! - it sends nothing while idle, so proxies may cut it: here a keep-alive comment goes out
//!   after 15 s of quiet (only with intervals longer than that);
//! - its page appends event data as HTML: here as text.
//!
//! Both frameworks serve the same rules ([`answer`]) and the same events ([`Talk::events`]),
//! so they cannot drift apart.

pub mod on_axum;
pub mod on_warp;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{Stream, StreamExt, stream};
use sse_core::Event;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// The page, served from the binary.
pub const PAGE: &str = include_str!("page.html");

/// The path of the event stream.
pub const TALK_PATH: &str = "/talk";

/// What a request gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The event stream.
    EventStream,
    /// `404` with an empty body.
    NotFound,
    /// The page.
    Page,
}

/// The original's rules: an event stream for `/talk`, `404` for any other path asked for as
/// an event stream, and the page for everything else.
pub fn answer(path: &str, accepts_event_stream: bool) -> Answer {
    match (accepts_event_stream, path == TALK_PATH) {
        (true, true) => Answer::EventStream,
        (true, false) => Answer::NotFound,
        (false, _) => Answer::Page,
    }
}

/// The id of the first event for a client that last saw `last_event_id`: the next one in the
/// sequence, or 1 for a new client (or an id this server never sent).
pub fn first_event_id(last_event_id: Option<&str>) -> u64 {
    // Digits only: `str::parse` would also take `+1`, an id this server never sends.
    let ours = |id: &&str| !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_digit());
    let last = last_event_id
        .filter(ours)
        .and_then(|id| id.parse::<u64>().ok());
    last.and_then(|id| id.checked_add(1)).unwrap_or(1)
}

/// The web framework that serves the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    /// axum, through `sse-axum`.
    Axum,
    /// warp, through `sse-warp`.
    Warp,
}

/// The event source and its settings, shared by every connection.
#[derive(Clone, Debug)]
pub struct Talk {
    interval: Duration,
    shutdown: watch::Receiver<bool>,
    connections: Arc<AtomicUsize>,
    log: bool,
}

impl Talk {
    /// Events every `interval`, until `shutdown` turns true.
    pub fn new(interval: Duration, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            interval,
            shutdown,
            connections: Arc::new(AtomicUsize::new(0)),
            log: false,
        }
    }

    /// Prints a line on standard output when a client comes or goes.
    #[must_use]
    pub fn logging(mut self) -> Self {
        self.log = true;
        self
    }

    /// How many event streams are open now.
    pub fn open_streams(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The event stream for one client that last saw `last_event_id`: an event at once, then
    /// one every interval, each with the next id, until the client leaves (the stream is
    /// dropped, and its timer with it) or the server shuts down (the stream ends).
    ///
    /// # Panics
    ///
    /// Never: the ids are decimal numbers, which are always valid ids.
    pub fn events(&self, last_event_id: Option<&str>) -> impl Stream<Item = Event> + Send + use<> {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let open = OpenStream::new(Arc::clone(&self.connections), self.log);
        let first = Some(first_event_id(last_event_id));
        stream::unfold((ticks, first, open), |(mut ticks, id, open)| async move {
            let id = id?;
            ticks.tick().await;
            let data = format!("new server event {}", local_time());
            let event = Event::new(data).with_id(id.to_string());
            let event = event.expect("a decimal number is a valid id");
            Some((event, (ticks, id.checked_add(1), open)))
        })
        .take_until(shut_down(self.shutdown.clone()))
    }
}

/// The local time as the original's `toLocaleTimeString()` shows it in English: `7:05:09 PM`.
pub fn local_time() -> String {
    chrono::Local::now().format("%-I:%M:%S %p").to_string()
}

/// Completes once `shutdown` turns true; never, if its sender is gone without doing so.
async fn shut_down(mut shutdown: watch::Receiver<bool>) {
    if shutdown.wait_for(|&down| down).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Counts an open event stream for as long as it lives.
#[derive(Debug)]
struct OpenStream {
    connections: Arc<AtomicUsize>,
    log: bool,
}

impl OpenStream {
    fn new(connections: Arc<AtomicUsize>, log: bool) -> Self {
        let open = connections.fetch_add(1, Ordering::SeqCst) + 1;
        if log {
            println!("a client is listening ({open} open)");
        }
        Self { connections, log }
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        let open = self.connections.fetch_sub(1, Ordering::SeqCst) - 1;
        if self.log {
            println!("a client left; its timer stopped ({open} open)");
        }
    }
}

/// Serves the rules on `listener` with `framework` until `shutdown` completes; then the
/// event streams end and the server waits for their connections to close.
///
/// # Errors
///
/// If the listener cannot be handed to the framework.
pub async fn serve(
    listener: TcpListener,
    framework: Framework,
    talk: Talk,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    match framework {
        Framework::Axum => {
            axum::serve(listener, on_axum::router(talk))
                .with_graceful_shutdown(shutdown)
                .await
        }
        Framework::Warp => {
            warp::serve(on_warp::routes(talk))
                .incoming(listener)
                .graceful(shutdown)
                .run()
                .await;
            Ok(())
        }
    }
}

/// The URL a person opens for a server listening on `address`.
pub fn url(address: SocketAddr) -> String {
    format!("http://{address}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_event_id_continues_the_sequence() {
        assert_eq!(first_event_id(None), 1);
        assert_eq!(first_event_id(Some("41")), 42);
        assert_eq!(first_event_id(Some("0")), 1);
        for foreign in ["", "x", "-1", "+1", "1.5", "18446744073709551615"] {
            assert_eq!(first_event_id(Some(foreign)), 1, "{foreign}");
        }
    }

    #[test]
    fn local_time_looks_like_the_originals() {
        let time = local_time();
        let (clock, half) = time.split_once(' ').unwrap();
        assert!(half == "AM" || half == "PM", "{time}");
        let parts: Vec<&str> = clock.split(':').collect();
        assert_eq!(parts.len(), 3, "{time}");
        assert!(
            (1..=12).contains(&parts[0].parse::<u32>().unwrap()),
            "{time}"
        );
        assert!(parts[1..].iter().all(|part| part.len() == 2), "{time}");
    }
}
