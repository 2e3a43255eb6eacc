//! The three clients, each driven the way its documentation shows: read one stream to its
//! end, or open a stream and hold it idle.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use eventsource_client::{self as ld, Client as _};
use futures_util::StreamExt;
use reqwest_eventsource::{Event as ReqwestEvent, EventSource as ReqwestEventSource};
use ssekit_client::{EventSource, HyperTransport, Item, Session, Stopped, Url};
use ssekit_core::TokioTimer;

/// Events a client delivered and the bytes of their data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub events: usize,
    pub data_bytes: usize,
}

impl Count {
    fn add(&mut self, data: &str) {
        self.events += 1;
        self.data_bytes += data.len();
    }
}

/// A client library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Library {
    /// `ssekit-client`: ours.
    Ssekit,
    /// `reqwest-eventsource` 0.6 on reqwest 0.12.
    Reqwest,
    /// `LaunchDarkly`'s `eventsource-client` 0.16 on hyper 0.14.
    LaunchDarkly,
}

impl Library {
    pub const ALL: [Self; 3] = [Self::Ssekit, Self::Reqwest, Self::LaunchDarkly];

    pub fn name(self) -> &'static str {
        match self {
            Self::Ssekit => "ssekit-client",
            Self::Reqwest => "reqwest-eventsource",
            Self::LaunchDarkly => "eventsource-client",
        }
    }

    pub fn is_ours(self) -> bool {
        self == Self::Ssekit
    }

    /// Opens `url` and reads it until the end of the body (ours: a finite session stops
    /// there) or, for the peers, which reconnect at the end of a body, until `expected`
    /// events came or the stream reported an error (its end is one).
    pub async fn read(self, url: &str, expected: usize) -> Count {
        let mut count = Count::default();
        match self {
            Self::Ssekit => {
                let url = Url::parse(url).expect("a valid URL");
                let mut source = EventSource::new(Session::new(url).finite(None));
                while let Some(item) = source.next().await {
                    match item {
                        Item::Event(message) => count.add(message.data()),
                        Item::Stopped(stop) => {
                            assert_eq!(stop.reason, Stopped::Finished, "{stop:?}");
                        }
                        Item::Error(error) => panic!("ssekit-client: {error}"),
                        _ => {}
                    }
                }
            }
            Self::Reqwest => {
                let mut source = ReqwestEventSource::get(url);
                while let Some(event) = source.next().await {
                    match event {
                        Ok(ReqwestEvent::Open) => {}
                        Ok(ReqwestEvent::Message(message)) => {
                            count.add(&message.data);
                            if count.events == expected {
                                break;
                            }
                        }
                        Err(_) => break,
                    }
                }
                source.close();
            }
            Self::LaunchDarkly => {
                let client = ld::ClientBuilder::for_url(url)
                    .expect("a valid URL")
                    .reconnect(ld::ReconnectOptions::reconnect(false).build())
                    .build_http();
                let mut stream = client.stream();
                while let Some(event) = stream.next().await {
                    match event {
                        Ok(ld::SSE::Event(event)) => {
                            count.add(&event.data);
                            if count.events == expected {
                                break;
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            }
        }
        count
    }
}

/// One way of holding idle streams: a library, and how its streams are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idle {
    /// `EventSource::new(session)`: each stream with a `HyperTransport` of its own.
    SsekitNew,
    /// `EventSource::with(session, transport.clone(), TokioTimer)`: one `HyperTransport`.
    SsekitShared,
    /// `EventSource::get(url)`: each stream with a `reqwest::Client` of its own.
    ReqwestGet,
    /// `EventSource::new(client.get(url))`: one `reqwest::Client`.
    ReqwestShared,
    /// `ClientBuilder::for_url(url)?.build()`: hyper-rustls with the OS's roots, per stream.
    LaunchDarklyBuild,
    /// `ClientBuilder::for_url(url)?.build_http()`: plain http, per stream.
    LaunchDarklyHttp,
}

impl Idle {
    pub const ALL: [Self; 6] = [
        Self::SsekitNew,
        Self::SsekitShared,
        Self::ReqwestGet,
        Self::ReqwestShared,
        Self::LaunchDarklyBuild,
        Self::LaunchDarklyHttp,
    ];

    pub fn library(self) -> Library {
        match self {
            Self::SsekitNew | Self::SsekitShared => Library::Ssekit,
            Self::ReqwestGet | Self::ReqwestShared => Library::Reqwest,
            Self::LaunchDarklyBuild | Self::LaunchDarklyHttp => Library::LaunchDarkly,
        }
    }

    /// Whether this is the library's default way (the constructor its documentation
    /// shows first).
    pub fn is_default(self) -> bool {
        matches!(
            self,
            Self::SsekitNew | Self::ReqwestGet | Self::LaunchDarklyBuild
        )
    }

    /// Its name, which criterion's filter selects it by, as it selects a benchmark:
    /// `cargo bench -p ssekit-client-bench -- idle/ssekit-client`.
    pub fn id(self) -> &'static str {
        match self {
            Self::SsekitNew => "idle/ssekit-client/new",
            Self::SsekitShared => "idle/ssekit-client/shared",
            Self::ReqwestGet => "idle/reqwest-eventsource/get",
            Self::ReqwestShared => "idle/reqwest-eventsource/shared",
            Self::LaunchDarklyBuild => "idle/eventsource-client/build",
            Self::LaunchDarklyHttp => "idle/eventsource-client/build_http",
        }
    }

    /// How each stream is made, as the table shows it.
    pub fn how(self) -> &'static str {
        match self {
            Self::SsekitNew => "`EventSource::new` (a `HyperTransport` each)",
            Self::SsekitShared => "`EventSource::with`, one `HyperTransport` cloned",
            Self::ReqwestGet => "`EventSource::get` (a `reqwest::Client` each)",
            Self::ReqwestShared => "`EventSource::new(client.get(url))`, one `Client`",
            Self::LaunchDarklyBuild => "`ClientBuilder::build` (rustls, OS roots, each)",
            Self::LaunchDarklyHttp => "`ClientBuilder::build_http` (plain http, each)",
        }
    }

    /// What the streams of this kind share, made before the memory is counted.
    pub fn shared(self) -> Shared {
        Shared {
            transport: (self == Self::SsekitShared).then(HyperTransport::new),
            reqwest: (self == Self::ReqwestShared).then(reqwest::Client::new),
        }
    }
}

/// A transport or client that streams share.
pub struct Shared {
    transport: Option<HyperTransport>,
    reqwest: Option<reqwest::Client>,
}

/// Where idle streams report: how many opened, and how many ended or delivered something
/// they should not have (none, when all is well).
#[derive(Default)]
pub struct IdleTally {
    pub opened: AtomicUsize,
    pub strays: AtomicUsize,
}

impl Shared {
    /// Opens a stream of `kind` to `url` in a task of its own, as an application holds
    /// one: the task counts the stream open in `tally` and then waits for its next event.
    pub fn spawn(
        &self,
        kind: Idle,
        url: &str,
        tally: &Arc<IdleTally>,
    ) -> tokio::task::JoinHandle<()> {
        let tally = tally.clone();
        match kind {
            Idle::SsekitNew | Idle::SsekitShared => {
                let session = Session::new(Url::parse(url).expect("a valid URL"));
                let source = match &self.transport {
                    Some(transport) => EventSource::with(session, transport.clone(), TokioTimer),
                    None => EventSource::new(session),
                };
                tokio::spawn(hold(source, tally, |item| match item {
                    Item::Open { .. } => Seen::Open,
                    _ => Seen::Other,
                }))
            }
            Idle::ReqwestGet | Idle::ReqwestShared => {
                let source = match &self.reqwest {
                    Some(client) => {
                        ReqwestEventSource::new(client.get(url)).expect("a GET can be cloned")
                    }
                    None => ReqwestEventSource::get(url),
                };
                tokio::spawn(hold(source, tally, |event| match event {
                    Ok(ReqwestEvent::Open) => Seen::Open,
                    _ => Seen::Other,
                }))
            }
            Idle::LaunchDarklyBuild | Idle::LaunchDarklyHttp => {
                let builder = ld::ClientBuilder::for_url(url).expect("a valid URL");
                let stream = if kind == Idle::LaunchDarklyBuild {
                    builder.build().stream()
                } else {
                    builder.build_http().stream()
                };
                tokio::spawn(hold(stream, tally, |event| match event {
                    Ok(ld::SSE::Connected(_)) => Seen::Open,
                    Ok(ld::SSE::Comment(_)) => Seen::Comment,
                    _ => Seen::Other,
                }))
            }
        }
    }
}

/// What an idle stream's item is.
enum Seen {
    /// The stream opened (the response's head came).
    Open,
    /// The server's one comment, for a client that reports comments.
    Comment,
    /// Anything else: a stray (an error, a reconnect).
    Other,
}

/// Polls `stream`, counting it in `tally` once it opened, and goes on waiting for its next
/// item: an idle stream as an application holds one. Anything but the comment is a stray.
async fn hold<S: futures_util::Stream + Unpin>(
    mut stream: S,
    tally: Arc<IdleTally>,
    seen: impl Fn(&S::Item) -> Seen,
) {
    while let Some(item) = stream.next().await {
        match seen(&item) {
            Seen::Open => {
                tally.opened.fetch_add(1, Ordering::Relaxed);
            }
            Seen::Comment => {}
            Seen::Other => {
                tally.strays.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    tally.strays.fetch_add(1, Ordering::Relaxed);
}
