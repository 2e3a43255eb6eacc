//! The client a user holds: a `Stream` of what happens, driven by a [`Session`] over a
//! [`Transport`], waiting on a [`Timer`].

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Either};
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use ssekit_core::backoff::random;
use ssekit_core::{Decoded, Decoder, Message, Timer, TokioTimer};
use url::Url;

use crate::hooks::{BeforeAttempt, ResumeStore};
use crate::session::{OnEnd, OnResponse, Session, Stopped};
use crate::transport::{BoxError, HyperTransport, ResponseBody, Transport};
use tokio::sync::Notify;

/// How much of a refused response's body the final item keeps, at most.
pub const MAX_ERROR_BODY: usize = 4 * 1024;

/// What the client shows its user, in order, in one stream.
///
/// # Example
///
/// ```
/// use ssekit_client::Item;
///
/// fn describe(item: &Item) -> String {
///     match item {
///         Item::Event(message) => format!("event {}", message.data()),
///         Item::Retrying { attempt, delay, cause } => {
///             format!("attempt {attempt} in {delay:?}: {}", cause.as_str())
///         }
///         Item::Stopped(stop) => format!("stopped: {}", stop.reason.as_str()),
///         _ => String::new(),
///     }
/// }
/// # let _ = describe;
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Item {
    /// A stream opened.
    Open {
        /// Its status (`200`).
        status: StatusCode,
        /// Its response headers.
        headers: HeaderMap,
        /// Where it came from, after redirects.
        url: Url,
        /// Which attempt it was, from 1.
        attempt: u32,
    },
    /// An event.
    Event(Message),
    /// A comment line (only when [`EventSource::comments`] asked for them).
    Comment(String),
    /// An error the client recovers from (it reconnects): a refused connection, a status
    /// to retry, a broken body, a decoder limit.
    Error(ClientError),
    /// A wait before the next attempt.
    Retrying {
        /// The attempt to come, from 2.
        attempt: u32,
        /// How long the client waits first.
        delay: Duration,
        /// Why the client connects again.
        cause: RetryCause,
    },
    /// The last item: why the client stopped, with the response that made it stop, if one
    /// did.
    Stopped(Stop),
}

/// Why a client connects again: what [`Item::Retrying`] follows.
///
/// # Example
///
/// ```
/// use ssekit_client::RetryCause;
///
/// assert_eq!(RetryCause::Ended.as_str(), "ended");
/// assert_eq!(RetryCause::Status(http::StatusCode::BAD_GATEWAY).as_str(), "status");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryCause {
    /// The request failed before a response (refused, reset, a timeout, no such host).
    Connect,
    /// The [`BeforeAttempt`] hook failed.
    Hook,
    /// The server answered a status to try again after (`408`, `429`, `5xx`).
    Status(StatusCode),
    /// The stream's body ended cleanly.
    Ended,
    /// The stream's body broke off.
    BrokeOff,
    /// Nothing arrived for the read timeout.
    Idle,
    /// The caller asked for a new connection ([`Restart`]).
    Restart,
}

impl RetryCause {
    /// A short name: `connect`, `hook`, `status`, `ended`, `broke-off`, `idle`, `restart`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_client::RetryCause::Idle.as_str(), "idle");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Hook => "hook",
            Self::Status(_) => "status",
            Self::Ended => "ended",
            Self::BrokeOff => "broke-off",
            Self::Idle => "idle",
            Self::Restart => "restart",
        }
    }
}

/// Why a client stopped, with what the server said.
///
/// # Example
///
/// ```
/// use ssekit_client::{Stop, Stopped};
///
/// let stop = Stop { reason: Stopped::Closed, response: None };
/// assert_eq!(stop.reason.as_str(), "closed");
/// ```
#[derive(Debug)]
pub struct Stop {
    /// The reason.
    pub reason: Stopped,
    /// The response that made it stop (a `204`, a `401`, a wrong `Content-Type`), with the
    /// first [`MAX_ERROR_BODY`] bytes of its body.
    pub response: Option<StoppedResponse>,
}

/// A response that stopped the client.
///
/// # Example
///
/// ```
/// use ssekit_client::StoppedResponse;
///
/// let response = StoppedResponse {
///     status: http::StatusCode::UNAUTHORIZED,
///     headers: http::HeaderMap::new(),
///     body: bytes::Bytes::from_static(b"token expired"),
/// };
/// assert_eq!(response.body, "token expired");
/// ```
#[derive(Debug)]
pub struct StoppedResponse {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// The start of its body (at most [`MAX_ERROR_BODY`] bytes).
    pub body: Bytes,
}

/// An error along the way.
///
/// # Example
///
/// ```
/// use ssekit_client::ClientError;
///
/// let error = ClientError::Status { status: http::StatusCode::SERVICE_UNAVAILABLE, retry_after: None };
/// assert_eq!(error.to_string(), "the server answered 503 Service Unavailable");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The request failed before a response: refused, reset, a timeout, no such host.
    Connect(BoxError),
    /// A status to try again after (`408`, `429`, `5xx`), with the wait its `Retry-After`
    /// asked for, if any.
    Status {
        /// The response's status.
        status: StatusCode,
        /// Its `Retry-After`, for a `429` or `503`.
        retry_after: Option<Duration>,
    },
    /// The body broke off.
    Body(BoxError),
    /// Nothing arrived for the read timeout.
    Idle(Duration),
    /// The decoder refused an event (over a limit); the stream goes on.
    Decode(ssekit_core::DecodeError),
    /// The [`BeforeAttempt`] hook failed; the client tries again after a backoff.
    Hook(BoxError),
    /// The [`ResumeStore`] could not load or store the resume id; the stream goes on.
    Store(BoxError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(error) => write!(f, "the request failed: {error}"),
            Self::Status { status, .. } => write!(f, "the server answered {status}"),
            Self::Body(error) => write!(f, "the stream broke off: {error}"),
            Self::Idle(timeout) => write!(f, "nothing arrived for {timeout:?}"),
            Self::Decode(error) => write!(f, "{error}"),
            Self::Hook(error) => write!(f, "the before-attempt hook failed: {error}"),
            Self::Store(error) => write!(f, "the resume id store failed: {error}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// A reconnecting client: a `Stream` of [`Item`]s, which ends after [`Item::Stopped`].
/// Dropping it stops it at once, even mid-wait: no request follows.
///
/// # Example
///
/// ```no_run
/// use futures_util::StreamExt;
/// use ssekit_client::{EventSource, Item, Session, Url};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let url = Url::parse("http://127.0.0.1:8080/talk").unwrap();
/// let mut events = EventSource::new(Session::new(url));
/// while let Some(item) = events.next().await {
///     match item {
///         Item::Event(message) => println!("{}: {}", message.last_event_id(), message.data()),
///         Item::Stopped(stop) => println!("stopped: {}", stop.reason.as_str()),
///         _ => {}
///     }
/// }
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct EventSource {
    next: Option<NextItem>,
    /// Boxed: it moves into and out of each future that waits.
    driver: Option<Box<Driver>>,
    restart: Restart,
}

/// The future of an [`EventSource`]'s next item, which holds its driver while it waits.
type NextItem = BoxFuture<'static, Option<(Item, Box<Driver>)>>;

/// Makes an [`EventSource`] drop its connection (or cut its wait short) and connect again
/// at once, from [`EventSource::restart_handle`]: for a caller that knows the stream is
/// stale (new credentials, a network change).
///
/// # Example
///
/// ```
/// use ssekit_client::{EventSource, Session, Url};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = EventSource::new(Session::new(Url::parse("http://127.0.0.1:8080/").unwrap()));
/// let restart = client.restart_handle();
/// restart.restart(); // taken at the client's next read or wait
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Restart {
    signal: Arc<Notify>,
}

impl Restart {
    /// Asks for a new connection now (once, however many times it is asked before the
    /// client takes it).
    ///
    /// # Example
    ///
    /// ```
    /// ssekit_client::Restart::default().restart();
    /// ```
    pub fn restart(&self) {
        self.signal.notify_one();
    }
}

impl EventSource {
    /// A client for `session` over hyper, waiting on tokio's timer. Nothing is sent until
    /// the stream is first polled.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_client::{EventSource, Session, Url};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = EventSource::new(Session::new(Url::parse("http://127.0.0.1:8080/talk").unwrap()));
    /// # let _ = client;
    /// # }
    /// ```
    pub fn new(session: Session) -> Self {
        Self::with(session, HyperTransport::new(), TokioTimer)
    }

    /// A client for `session` over `transport`, waiting on `timer` (a paused clock in tests,
    /// another runtime's timer).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_client::{EventSource, HyperTransport, Session, Url};
    /// use ssekit_core::TokioTimer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let session = Session::new(Url::parse("http://127.0.0.1:8080/talk").unwrap());
    /// let client = EventSource::with(session, HyperTransport::new(), TokioTimer);
    /// # let _ = client;
    /// # }
    /// ```
    pub fn with<M>(session: Session, transport: impl Transport, timer: M) -> Self
    where
        M: Timer + Send + Sync + 'static,
        M::Sleep: Send,
    {
        let timer: Arc<dyn DynTimer> = Arc::new(timer);
        let restart = Restart::default();
        Self {
            restart: restart.clone(),
            next: None,
            driver: Some(Box::new(Driver {
                restart,
                session,
                transport: Arc::new(transport),
                timer,
                comments: false,
                read_timeout: None,
                before_attempt: None,
                resume: None,
                phase: Phase::Connect,
                pending: VecDeque::new(),
                attempt: 0,
                decoding: false,
                done: false,
            })),
        }
    }

    /// A handle that makes this client connect again at once.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_client::{EventSource, Session, Url};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = EventSource::new(Session::new(Url::parse("http://127.0.0.1:8080/").unwrap()));
    /// let restart = client.restart_handle();
    /// # let _ = restart;
    /// # }
    /// ```
    pub fn restart_handle(&self) -> Restart {
        self.restart.clone()
    }

    /// Reports comment lines as [`Item::Comment`] (off by default).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_client::{EventSource, Session, Url};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let session = Session::new(Url::parse("http://127.0.0.1:8080/talk").unwrap());
    /// let client = EventSource::new(session).comments(true);
    /// # let _ = client;
    /// # }
    /// ```
    pub fn comments(mut self, on: bool) -> Self {
        if let Some(driver) = &mut self.driver {
            driver.comments = on;
        }
        self
    }

    /// Reconnects when nothing (not even a comment) arrives for `timeout` (off by default):
    /// set it above the server's keep-alive interval.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use ssekit_client::{EventSource, Session, Url};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let session = Session::new(Url::parse("http://127.0.0.1:8080/talk").unwrap());
    /// let client = EventSource::new(session).read_timeout(Duration::from_secs(45));
    /// # let _ = client;
    /// # }
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        if let Some(driver) = &mut self.driver {
            driver.read_timeout = Some(timeout);
        }
        self
    }
}

impl EventSource {
    /// Runs `hook` before every attempt, on the request about to be sent (see
    /// [`BeforeAttempt`]): fresh credentials on each reconnect.
    ///
    /// # Example
    ///
    /// ```
    /// use http::HeaderValue;
    /// use ssekit_client::{Attempt, EventSource, Session, Url};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let session = Session::new(Url::parse("http://127.0.0.1:8080/talk").unwrap());
    /// let client = EventSource::new(session).before_attempt(|mut attempt: Attempt| async move {
    ///     attempt.headers.insert("authorization", HeaderValue::from_static("Bearer fresh"));
    ///     Ok(attempt)
    /// });
    /// # let _ = client;
    /// # }
    /// ```
    pub fn before_attempt(mut self, hook: impl BeforeAttempt) -> Self {
        if let Some(driver) = &mut self.driver {
            driver.before_attempt = Some(Arc::new(hook));
        }
        self
    }

    /// Loads the resume id from `store` before the first attempt, and keeps it there as
    /// the stream moves on (see [`ResumeStore`]), so that the stream resumes after the
    /// process restarts.
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::future::BoxFuture;
    /// use ssekit_client::{BoxError, EventSource, ResumeStore, Session, Url};
    ///
    /// struct Nowhere;
    ///
    /// impl ResumeStore for Nowhere {
    ///     fn load(&self) -> BoxFuture<'static, Result<Option<String>, BoxError>> {
    ///         Box::pin(async { Ok(None) })
    ///     }
    ///     fn store(&self, _id: String) -> BoxFuture<'static, Result<(), BoxError>> {
    ///         Box::pin(async { Ok(()) })
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let session = Session::new(Url::parse("http://127.0.0.1:8080/talk").unwrap());
    /// let client = EventSource::new(session).resume_store(Nowhere);
    /// # let _ = client;
    /// # }
    /// ```
    pub fn resume_store(mut self, store: impl ResumeStore) -> Self {
        if let Some(driver) = &mut self.driver {
            driver.resume = Some(Resume {
                store: Arc::new(store),
                stored: None,
            });
        }
        self
    }
}

impl Stream for EventSource {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let this = self.get_mut();
        if this.next.is_none() {
            // What is already read (the events of the last frame, most often) needs no
            // future to wait on.
            if let Some(item) = this.driver.as_mut().and_then(|driver| driver.next_ready()) {
                return Poll::Ready(Some(item));
            }
            let Some(mut driver) = this.driver.take() else {
                return Poll::Ready(None);
            };
            this.next = Some(
                async move {
                    let item = driver.next_item().await?;
                    Some((item, driver))
                }
                .boxed(),
            );
        }
        let next = this.next.as_mut().expect("set above");
        let Poll::Ready(outcome) = next.as_mut().poll(cx) else {
            return Poll::Pending;
        };
        this.next = None;
        Poll::Ready(outcome.map(|(item, driver)| {
            this.driver = Some(driver);
            item
        }))
    }
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource").finish_non_exhaustive()
    }
}

/// A timer behind a trait object, so that the client's type does not carry it.
trait DynTimer: Send + Sync {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
    fn now(&self) -> std::time::Instant;
}

impl<M> DynTimer for M
where
    M: Timer + Send + Sync,
    M::Sleep: Send + 'static,
{
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Timer::sleep(self, duration).boxed()
    }

    fn now(&self) -> std::time::Instant {
        Timer::now(self)
    }
}

/// `future`'s output, or `None` if `timeout` passes on `timer` first.
async fn within<T>(
    timer: &dyn DynTimer,
    timeout: Duration,
    future: impl Future<Output = T>,
) -> Option<T> {
    let future = std::pin::pin!(future);
    match futures_util::future::select(future, timer.sleep(timeout)).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(((), _)) => None,
    }
}

enum Phase {
    Connect,
    Sleep(Duration),
    /// The decoder is boxed: it is the largest part by far, and moves at every read.
    Reading {
        body: ResponseBody,
        decoder: Box<Decoder>,
    },
    Done,
}

/// The resume id's store, and what it holds as far as the client knows (`None` until
/// loaded).
struct Resume {
    store: Arc<dyn ResumeStore>,
    stored: Option<String>,
}

/// What [`take_decoded`] found.
enum Taken {
    /// An item for the user: an event, a comment, a decoder error.
    Item(Item),
    /// The terminal event of a finite stream.
    Terminal,
    /// Nothing more until the next bytes.
    Empty,
}

/// The decoder's next item for the user, with `session` told of each thing decoded
/// (the last event id, `retry:`, the terminal event).
// Inlined into both callers: client-bench's small events ran 7% slower (2.81-2.88x the
// faster peer against 3.04-3.10x) with it as a call that moves each item out in a `Taken`.
#[allow(clippy::inline_always)]
#[inline(always)]
fn take_decoded(session: &mut Session, decoder: &mut Decoder) -> Taken {
    loop {
        match decoder.next_decoded() {
            Ok(None) => {
                session.on_read(decoder);
                return Taken::Empty;
            }
            Ok(Some(found)) => {
                if session.on_decoded(decoder, &found) {
                    return Taken::Terminal;
                }
                match found {
                    Decoded::Message(message) => return Taken::Item(Item::Event(message)),
                    Decoded::Comment(comment) => return Taken::Item(Item::Comment(comment)),
                    _ => {}
                }
            }
            Err(error) => return Taken::Item(Item::Error(ClientError::Decode(error))),
        }
    }
}

struct Driver {
    restart: Restart,
    session: Session,
    transport: Arc<dyn Transport>,
    timer: Arc<dyn DynTimer>,
    comments: bool,
    read_timeout: Option<Duration>,
    before_attempt: Option<Arc<dyn BeforeAttempt>>,
    resume: Option<Resume>,
    phase: Phase,
    pending: VecDeque<Item>,
    attempt: u32,
    /// The open stream's decoder may hold items not taken yet.
    decoding: bool,
    done: bool,
}

impl Driver {
    async fn next_item(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.next_ready() {
                return Some(item);
            }
            // Every item so far was taken: what they moved the resume id to is kept now.
            if let Some(error) = self.keep_resume_id().await {
                return Some(Item::Error(ClientError::Store(error)));
            }
            if self.done {
                return None;
            }
            match std::mem::replace(&mut self.phase, Phase::Done) {
                // Boxed: its state is the largest, and an open stream's future need
                // not carry it while it waits for bytes.
                Phase::Connect => Box::pin(self.connect()).await,
                Phase::Sleep(delay) => {
                    let restart = self.restart.signal.notified();
                    let sleep = self.timer.sleep(delay);
                    futures_util::future::select(std::pin::pin!(restart), sleep).await;
                    self.phase = Phase::Connect;
                }
                Phase::Reading { body, decoder } => self.read(body, decoder).await,
                Phase::Done => self.done = true,
            }
        }
    }

    /// The next item that needs no waiting: one queued, or the next one the open stream's
    /// decoder holds (taken one at a time, so that a frame of many events is not queued).
    fn next_ready(&mut self) -> Option<Item> {
        if let Some(item) = self.pending.pop_front() {
            if self.pending.is_empty() {
                // An idle stream holds no queue: what it queued was an opening or a wait.
                self.pending = VecDeque::new();
            }
            return Some(item);
        }
        if !self.decoding {
            return None;
        }
        let Phase::Reading { decoder, .. } = &mut self.phase else {
            self.decoding = false;
            return None;
        };
        match take_decoded(&mut self.session, decoder) {
            Taken::Item(item) => Some(item),
            Taken::Terminal => {
                self.decoding = false;
                self.stop(Stopped::Finished, None);
                self.pending.pop_front()
            }
            Taken::Empty => {
                self.decoding = false;
                None
            }
        }
    }

    /// Loads the resume id the first time; later, stores it if it moved.
    async fn keep_resume_id(&mut self) -> Option<BoxError> {
        let resume = self.resume.as_mut()?;
        let Some(stored) = &resume.stored else {
            let loaded = resume.store.load().await;
            let (id, error) = match loaded {
                Ok(Some(id)) => {
                    self.session.set_last_event_id(id.clone());
                    (id, None)
                }
                Ok(None) => (self.session.stored_last_event_id().to_owned(), None),
                Err(error) => (self.session.stored_last_event_id().to_owned(), Some(error)),
            };
            resume.stored = Some(id);
            return error;
        };
        let id = self.session.stored_last_event_id();
        if stored == id {
            return None;
        }
        let id = id.to_owned();
        match resume.store.store(id.clone()).await {
            Ok(()) => {
                resume.stored = Some(id);
                None
            }
            Err(error) => Some(error),
        }
    }

    /// One attempt: the request, its redirects, and what the response means.
    async fn connect(&mut self) {
        self.attempt += 1;
        let mut request = self.session.attempt();
        if let Some(hook) = &self.before_attempt {
            match hook.before_attempt(request).await {
                Ok(amended) => {
                    self.session.amend_attempt(amended.clone());
                    request = amended;
                }
                Err(error) => {
                    let delay = self.session.on_failure(self.timer.now(), random());
                    self.pending
                        .push_back(Item::Error(ClientError::Hook(error)));
                    return self.wait(delay, RetryCause::Hook);
                }
            }
        }
        loop {
            let response = match self.transport.send(request.clone()).await {
                Ok(response) => response,
                Err(error) => {
                    let delay = self.session.on_failure(self.timer.now(), random());
                    self.pending
                        .push_back(Item::Error(ClientError::Connect(error)));
                    return self.wait(delay, RetryCause::Connect);
                }
            };
            let (parts, body) = response.into_parts();
            match self.session.on_response(
                parts.status,
                &parts.headers,
                self.timer.now(),
                SystemTime::now(),
                random(),
            ) {
                OnResponse::Open => {
                    let mut decoder = self.session.decoder();
                    decoder.set_emit_comments(self.comments);
                    self.pending.push_back(Item::Open {
                        status: parts.status,
                        headers: parts.headers,
                        url: request.url,
                        attempt: self.attempt,
                    });
                    self.phase = Phase::Reading {
                        body,
                        decoder: Box::new(decoder),
                    };
                    return;
                }
                OnResponse::Follow(next) => request = *next,
                OnResponse::Retry { delay, asked } => {
                    let error = ClientError::Status {
                        status: parts.status,
                        retry_after: asked,
                    };
                    self.pending.push_back(Item::Error(error));
                    return self.wait(delay, RetryCause::Status(parts.status));
                }
                OnResponse::Stop(reason) => {
                    let body = self.start_of(body).await;
                    let response = StoppedResponse {
                        status: parts.status,
                        headers: parts.headers,
                        body,
                    };
                    return self.stop(reason, Some(response));
                }
            }
        }
    }

    /// Reads the open stream's next piece, and what it holds.
    async fn read(&mut self, mut body: ResponseBody, mut decoder: Box<Decoder>) {
        let frame = {
            let next = async {
                match self.read_timeout {
                    None => Some(body.frame().await),
                    Some(timeout) => within(&*self.timer, timeout, body.frame()).await,
                }
            };
            let restart = self.restart.signal.notified();
            match futures_util::future::select(std::pin::pin!(next), std::pin::pin!(restart)).await
            {
                Either::Left((frame, _)) => frame,
                Either::Right(((), _)) => {
                    // Asked to restart: this connection goes, the next one starts now.
                    self.pending.push_back(Item::Retrying {
                        attempt: self.attempt + 1,
                        delay: Duration::ZERO,
                        cause: RetryCause::Restart,
                    });
                    self.phase = Phase::Connect;
                    return;
                }
            }
        };
        let ended = match frame {
            None => Some(ClientError::Idle(self.read_timeout.unwrap_or_default())),
            Some(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    decoder.push(&data);
                    // Its items are taken one at a time (`next_ready`) before the next read.
                    self.decoding = true;
                }
                self.phase = Phase::Reading { body, decoder };
                return;
            }
            Some(Some(Err(error))) => Some(ClientError::Body(error)),
            Some(None) => {
                decoder.finish();
                if self.drain(&mut decoder) {
                    return self.stop(Stopped::Finished, None);
                }
                None
            }
        };
        drop(body);
        let cause = match &ended {
            None => RetryCause::Ended,
            Some(ClientError::Idle(_)) => RetryCause::Idle,
            Some(_) => RetryCause::BrokeOff,
        };
        if let Some(error) = ended {
            self.pending.push_back(Item::Error(error));
        }
        match self.session.on_end(self.timer.now(), random()) {
            OnEnd::Reconnect(delay) => self.wait(delay, cause),
            OnEnd::Stop(reason) => self.stop(reason, None),
        }
    }

    /// Queues what the decoder holds (at the end of a body); `true` at the terminal event.
    fn drain(&mut self, decoder: &mut Decoder) -> bool {
        loop {
            match take_decoded(&mut self.session, decoder) {
                Taken::Item(item) => self.pending.push_back(item),
                Taken::Terminal => return true,
                Taken::Empty => return false,
            }
        }
    }

    fn wait(&mut self, delay: Duration, cause: RetryCause) {
        self.pending.push_back(Item::Retrying {
            attempt: self.attempt + 1,
            delay,
            cause,
        });
        self.phase = Phase::Sleep(delay);
    }

    fn stop(&mut self, reason: Stopped, response: Option<StoppedResponse>) {
        self.pending
            .push_back(Item::Stopped(Stop { reason, response }));
        self.phase = Phase::Done;
    }

    /// The first [`MAX_ERROR_BODY`] bytes of a body that stopped the client (what arrives
    /// within a second).
    async fn start_of(&self, mut body: ResponseBody) -> Bytes {
        let mut start = BytesMut::new();
        let read = async {
            while start.len() < MAX_ERROR_BODY {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            let room = MAX_ERROR_BODY - start.len();
                            start.extend_from_slice(&data[..data.len().min(room)]);
                        }
                    }
                    _ => break,
                }
            }
        };
        within(&*self.timer, Duration::from_secs(1), read).await;
        start.freeze()
    }
}
