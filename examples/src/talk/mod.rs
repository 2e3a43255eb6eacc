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
//! - it sends the same `id` (the connection's start time) on every event: here the events
//!   come from one [`ssekit_hub`] topic, and each has its sequence number as its id;
//! - it ignores `Last-Event-ID`: here a reconnecting browser gets every event it missed (the
//!   hub retains the last [`RETAINED_EVENTS`]), then the live ones, nothing lost or repeated;
//!   an id the hub does not know (one from before a restart, or long expired) gets every
//!   retained event;
//! - its timer runs forever after the client leaves: here one timer serves every client, and
//!   it runs only while somebody listens;
//! - it sends nothing while idle, so proxies may cut it: here a keep-alive comment goes out
//!   after 15 s of quiet (only with intervals longer than that; [`Talk::keep_alive`] sets
//!   another wait, or none);
//! - its page appends event data as HTML: here as text;
//! - it has no graceful shutdown: here a shutdown ([`serve`]'s) ends every event stream with
//!   a `retry:` hint, so that pages come back after the restart, and the server exits.
//!
//! As in the original, a new client gets an event at once: the first listener starts the
//! timer, which fires at once, and a client that joins while the timer runs gets the latest
//! event first, then the live ones.
//!
//! Both frameworks serve the same rules ([`answer`]) and the same events ([`Talk::events`]),
//! so they cannot drift apart.
//!
//! With [`Talk::on_redis`], the events go through a Redis that several `talk` instances
//! share: they serve one sequence, and a page resumes on any of them. Each instance runs its
//! timer while it has listeners, and each tick is published with the interval it falls in as
//! its idempotency key: instances whose timers run together publish one event per interval,
//! not one each.

pub mod on_axum;
pub mod on_warp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, stream};
use ssekit_axum::ShutdownLayer;
use ssekit_core::{Event, KeepAlive, Shutdown};
use ssekit_hub::{Hub, HubConfig, HubStats, OnUnknownId, Retention};
use ssekit_redis::{RedisBackend, RedisConfig};
use ssekit_warp::until_shutdown;
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

/// The web framework that serves the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    /// axum, through `ssekit-axum`.
    Axum,
    /// warp, through `ssekit-warp`.
    Warp,
}

/// How many events the hub keeps for clients that reconnect: with the default interval of
/// 5 s, the last eight minutes or so.
pub const RETAINED_EVENTS: usize = 100;

/// The hub's topic the events go to.
const TOPIC: &str = "talk";

/// Where the events go: this process's hub, or one shared through Redis.
#[derive(Clone, Debug)]
enum Events {
    Memory(Hub),
    Redis(Hub<RedisBackend>),
}

impl Events {
    /// Publishes the tick of interval number `slot`, once however many instances do.
    async fn publish_tick(&self, event: Event, slot: u64) -> Result<u64, String> {
        match self {
            Self::Memory(hub) => {
                let Ok(id) = hub.publish(TOPIC, event).into_inner();
                Ok(id)
            }
            Self::Redis(hub) => hub
                .backend()
                .publish_with_key(TOPIC, event, &format!("tick-{slot}"))
                .await
                .map_err(|error| error.to_string()),
        }
    }

    fn subscribe(&self, last_event_id: Option<&str>) -> BoxStream<'static, Bytes> {
        match self {
            Self::Memory(hub) => hub.subscribe(TOPIC, last_event_id).boxed(),
            Self::Redis(hub) => hub.subscribe(TOPIC, last_event_id).boxed(),
        }
    }

    fn stats(&self) -> HubStats {
        match self {
            Self::Memory(hub) => hub.stats(),
            Self::Redis(hub) => hub.stats(),
        }
    }
}

/// The event source and its settings, shared by every connection.
#[derive(Clone, Debug)]
pub struct Talk {
    events: Events,
    /// How many event streams are open; the publisher runs while it is above zero.
    listeners: Arc<watch::Sender<usize>>,
    /// The id of the latest event published, 0 before the first.
    latest_id: Arc<AtomicU64>,
    /// The comment that breaks a stream's silence, if any.
    keep_alive: Option<KeepAlive>,
    log: bool,
}

impl Talk {
    /// Events every `interval` while somebody listens.
    ///
    /// Spawns the publisher on the current tokio runtime; it ends when the last clone of this
    /// `Talk` is dropped.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn new(interval: Duration) -> Self {
        Self::with_events(Events::Memory(Hub::with_config(hub_config())), interval)
    }

    /// Events every `interval` while somebody listens, through the Redis at `url`, which
    /// other instances may share.
    ///
    /// # Errors
    ///
    /// When Redis cannot be reached.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn on_redis(interval: Duration, url: &str) -> Result<Self, ssekit_redis::Error> {
        let backend = RedisBackend::connect(RedisConfig::new(url).hub(hub_config())).await?;
        Ok(Self::with_events(
            Events::Redis(Hub::with_backend(backend)),
            interval,
        ))
    }

    fn with_events(events: Events, interval: Duration) -> Self {
        let talk = Self {
            events,
            listeners: Arc::new(watch::channel(0).0),
            latest_id: Arc::new(AtomicU64::new(0)),
            keep_alive: Some(KeepAlive::new()),
            log: false,
        };
        tokio::spawn(publish_while_listened(
            talk.events.clone(),
            talk.listeners.subscribe(),
            Arc::clone(&talk.latest_id),
            interval,
        ));
        talk
    }

    /// Prints a line on standard output when a client comes or goes.
    #[must_use]
    pub fn logging(mut self) -> Self {
        self.log = true;
        self
    }

    /// Sends a keep-alive comment on a stream that has been quiet for `interval`, or none
    /// with `None` (then a proxy may cut a stream that stays idle longer than its read
    /// timeout). The default is the adapters': after 15 s.
    #[must_use]
    pub fn keep_alive(mut self, interval: Option<Duration>) -> Self {
        self.keep_alive = interval.map(|interval| KeepAlive::new().interval(interval));
        self
    }

    /// How long a stream may stay quiet before a keep-alive comment, if one is sent.
    pub fn keep_alive_interval(&self) -> Option<Duration> {
        self.keep_alive.as_ref().map(KeepAlive::interval_duration)
    }

    /// How many event streams are open now.
    pub fn open_streams(&self) -> usize {
        *self.listeners.borrow()
    }

    /// The counters of the hub the events go through.
    pub fn stats(&self) -> HubStats {
        self.events.stats()
    }

    /// The event stream for one client that last saw `last_event_id`, as encoded frames:
    /// the events it missed, or the latest one for a new client while the timer runs; then
    /// every event published, until the client leaves (the stream is dropped). At a
    /// shutdown, [`serve`]'s adapters end it.
    pub fn events(&self, last_event_id: Option<&str>) -> impl Stream<Item = Bytes> + Send + use<> {
        let resume_after = match last_event_id {
            Some(id) => Some(id.to_string()),
            None if self.open_streams() > 0 => {
                let latest = self.latest_id.load(Ordering::SeqCst);
                latest.checked_sub(1).map(|before| before.to_string())
            }
            None => None,
        };
        // Subscribe before counting the listener: the timer that the first listener starts
        // fires at once, and its event must find the subscription.
        let subscription = self.events.subscribe(resume_after.as_deref());
        let listener = Listener::new(Arc::clone(&self.listeners), self.log);
        stream::unfold(
            (subscription, listener),
            |(mut subscription, listener)| async move {
                let frames = subscription.next().await?;
                Some((frames, (subscription, listener)))
            },
        )
    }
}

/// The hub's settings: the last [`RETAINED_EVENTS`], and every one of them for an id that
/// cannot be resumed.
fn hub_config() -> HubConfig {
    HubConfig::new()
        .retention(Retention::new().max_events(RETAINED_EVENTS))
        .on_unknown_id(OnUnknownId::ReplayAll)
}

/// Publishes `new server event <time>` at once and then every `interval` for as long as
/// `listeners` is above zero; waits for a listener when it is zero. Ends when the `Talk` is
/// gone.
async fn publish_while_listened(
    events: Events,
    mut listeners: watch::Receiver<usize>,
    latest_id: Arc<AtomicU64>,
    interval: Duration,
) {
    loop {
        if !until(&mut listeners, |&count| count > 0).await {
            return;
        }
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    let event = Event::new(format!("new server event {}", local_time()));
                    match events.publish_tick(event, interval_number(interval)).await {
                        Ok(id) => latest_id.store(id, Ordering::SeqCst),
                        // Redis is away: the pages wait, and the next tick tries again.
                        Err(error) => eprintln!("talk: an event was not published: {error}"),
                    }
                }
                left = until(&mut listeners, |&count| count == 0) => {
                    if !left { return }
                    break;
                }
            }
        }
    }
}

/// Which interval of the clock's (since 1970) now falls in.
fn interval_number(interval: Duration) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(now.as_millis() / interval.as_millis().max(1)).unwrap_or(u64::MAX)
}

/// Waits until `count` satisfies `condition`: `true` then, `false` if its sender is gone.
async fn until(count: &mut watch::Receiver<usize>, condition: impl FnMut(&usize) -> bool) -> bool {
    count.wait_for(condition).await.is_ok()
}

/// The local time as the original's `toLocaleTimeString()` shows it in English: `7:05:09 PM`.
pub fn local_time() -> String {
    chrono::Local::now().format("%-I:%M:%S %p").to_string()
}

/// Counts an open event stream for as long as it lives.
#[derive(Debug)]
struct Listener {
    listeners: Arc<watch::Sender<usize>>,
    log: bool,
}

impl Listener {
    fn new(listeners: Arc<watch::Sender<usize>>, log: bool) -> Self {
        let mut open = 0;
        listeners.send_modify(|count| {
            *count += 1;
            open = *count;
        });
        if log {
            println!("a client is listening ({open} open)");
        }
        Self { listeners, log }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let mut open = 0;
        self.listeners.send_modify(|count| {
            *count -= 1;
            open = *count;
        });
        if self.log {
            let timer = if open == 0 { "; the timer stops" } else { "" };
            println!("a client left ({open} open){timer}");
        }
    }
}

/// Serves the rules on `listener` with `framework` until `shutdown` comes; then the server
/// stops accepting, each event stream writes the shutdown's last frame (a `retry:` hint)
/// and ends, and the server waits for their connections to close.
///
/// The adapters' shutdown does it all: `ShutdownLayer` on the axum router,
/// `until_shutdown` around the warp filter, and the same signal for the server.
///
/// # Errors
///
/// If the listener cannot be handed to the framework.
pub async fn serve(
    listener: TcpListener,
    framework: Framework,
    talk: Talk,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    match framework {
        Framework::Axum => {
            let router = on_axum::router(talk).layer(ShutdownLayer::new(shutdown.clone()));
            crate::http1::serve(listener, router, shutdown).await
        }
        Framework::Warp => {
            warp::serve(until_shutdown(on_warp::routes(talk), shutdown.clone()))
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
