//! One client's state across its connections, with no I/O: what to send, what a response,
//! an event and the end of a body mean, and when to stop.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use ssekit_core::{Decoder, Limits, Message};
use url::Url;

use crate::redirect::{MAX_REDIRECTS, RedirectError, redirect, strip_credentials};
use crate::request::Attempt;
use crate::retry_after::retry_after;
use crate::verdict::{StopReason, Verdict, verdict};
use crate::waits::Waits;

/// What ends a finite stream on purpose, before the server closes it.
///
/// # Example
///
/// ```
/// use ssekit_client::Terminal;
///
/// let done = Terminal::Data("[DONE]".into());
/// # let _ = done;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Terminal {
    /// An event with exactly this data (`[DONE]`, as the `OpenAI` API sends).
    Data(String),
    /// An event of this type (`end`, `message_stop`).
    EventType(String),
}

/// Why a client stopped for good.
///
/// # Example
///
/// ```
/// use ssekit_client::{Stopped, StopReason};
///
/// assert_eq!(Stopped::Response(StopReason::NoContent).as_str(), "no-content");
/// assert_eq!(Stopped::Finished.as_str(), "finished");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stopped {
    /// A response that means no stream will come ([`StopReason`]).
    Response(StopReason),
    /// A redirect that cannot be followed, or one too many.
    Redirect(RedirectError),
    /// More than [`MAX_REDIRECTS`] redirects in one attempt.
    TooManyRedirects,
    /// A finite stream ended as it should: its terminal event, or (with none set) the end of
    /// its body.
    Finished,
    /// A finite stream ended before its terminal event with no id to resume from, or a
    /// `POST` stream that would have to be sent again after delivering events.
    Truncated,
    /// The caller closed the client.
    Closed,
}

impl Stopped {
    /// The reason's name in the test-service contract: `no-content`, `status`,
    /// `content-type`, `finished`, `truncated`, `closed` (and `redirect`).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_client::Stopped::Truncated.as_str(), "truncated");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Response(reason) => reason.as_str(),
            Self::Redirect(_) | Self::TooManyRedirects => "redirect",
            Self::Finished => "finished",
            Self::Truncated => "truncated",
            Self::Closed => "closed",
        }
    }
}

/// What to do with a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnResponse {
    /// Read the body as the event stream.
    Open,
    /// Send this request next (a redirect), within the same attempt.
    Follow(Box<Attempt>),
    /// Wait `delay`, then start a new attempt.
    Retry {
        /// How long to wait.
        delay: Duration,
        /// What the response's `Retry-After` asked for (read on a `429` or `503` only),
        /// which `delay` honours within the maximum.
        asked: Option<Duration>,
    },
    /// Stop for good.
    Stop(Stopped),
}

/// What to do when a body ends (or breaks), or a connection fails before its response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnEnd {
    /// Wait this long, then start a new attempt.
    Reconnect(Duration),
    /// Stop for good.
    Stop(Stopped),
}

/// The decoder's limits a client starts with: an event's data may hold 16 MiB
/// ([`DEFAULT_MAX_EVENT_SIZE`](ssekit_core::DEFAULT_MAX_EVENT_SIZE)) in one line or many,
/// since an LLM's image or tool result comes as one `data:` line of several megabytes;
/// both limits leave 1 KiB over that for the field's name and the line ends the data
/// gathers.
///
/// # Example
///
/// ```
/// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
/// let session = ssekit_client::Session::new(url);
/// assert_eq!(session.decoder().limits(), ssekit_client::CLIENT_LIMITS);
/// ```
pub const CLIENT_LIMITS: Limits = Limits::new()
    .max_line_len(ssekit_core::DEFAULT_MAX_EVENT_SIZE + 1024)
    .max_event_size(ssekit_core::DEFAULT_MAX_EVENT_SIZE + 1024);

/// One client's state across its connections: the request it sends, the last event id it
/// keeps (one for the client, as the standard's `EventSource` keeps one, not one per
/// connection), its [`Waits`], and the rules that decide when it reconnects and when it
/// stops. No I/O, no runtime, no clock: the driver feeds it what happened, with the time
/// and a random number, and does what it says.
///
/// # Example
///
/// ```
/// use std::time::{Duration, Instant, SystemTime};
/// use http::{HeaderMap, HeaderValue, StatusCode, header};
/// use ssekit_client::{OnEnd, OnResponse, Session, Url, Waits};
///
/// let url = Url::parse("http://127.0.0.1:8080/talk").unwrap();
/// let mut session = Session::new(url).waits(Waits::new().without_jitter());
/// assert!(session.attempt().headers.get("last-event-id").is_none());
///
/// let mut headers = HeaderMap::new();
/// headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
/// let now = Instant::now();
/// assert_eq!(session.on_response(StatusCode::OK, &headers, now, SystemTime::now(), 0), OnResponse::Open);
///
/// let mut decoder = session.decoder();
/// decoder.push(b"id: 7\ndata: hello\n\n");
/// while let Some(decoded) = decoder.next_decoded().unwrap() {
///     session.on_decoded(&decoder, &decoded);
/// }
/// assert_eq!(session.on_end(now, 0), OnEnd::Reconnect(Duration::from_secs(1)));
/// assert_eq!(session.attempt().headers["last-event-id"], "7");
/// ```
#[derive(Clone, Debug)]
pub struct Session {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Bytes,
    limits: Limits,
    last_event_id: String,
    waits: Waits,
    finite: bool,
    terminal: Option<Terminal>,
    replay_post: bool,
    /// Where the current attempt's request went, and how many redirects it followed.
    current: Option<Box<(Attempt, usize)>>,
    /// Events delivered on the current connection.
    delivered: usize,
    /// The terminal event came.
    finished: bool,
}

impl Session {
    /// A client of `url` with the defaults: `GET`, no headers of its own, no body,
    /// [`CLIENT_LIMITS`], no stored id, [`Waits::new`], a long-lived stream.
    ///
    /// # Example
    ///
    /// ```
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// assert_eq!(ssekit_client::Session::new(url).attempt().method, http::Method::GET);
    /// ```
    pub fn new(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            limits: CLIENT_LIMITS,
            last_event_id: String::new(),
            waits: Waits::new(),
            finite: false,
            terminal: None,
            replay_post: false,
            current: None,
            delivered: 0,
            finished: false,
        }
    }

    /// Sets the method and body of every attempt.
    ///
    /// # Example
    ///
    /// ```
    /// use http::Method;
    ///
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/v1/chat").unwrap();
    /// let mut session = ssekit_client::Session::new(url).request(Method::POST, r#"{"stream":true}"#);
    /// assert_eq!(session.attempt().body, r#"{"stream":true}"#);
    /// ```
    #[must_use]
    pub fn request(mut self, method: Method, body: impl Into<Bytes>) -> Self {
        self.method = method;
        self.body = body.into();
        self
    }

    /// Sets the headers every attempt sends (`Accept`, `Cache-Control` and `Last-Event-ID`
    /// are the client's own).
    ///
    /// # Example
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, header};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// let mut session = ssekit_client::Session::new(url).headers(headers);
    /// assert_eq!(session.attempt().headers["authorization"], "Bearer t");
    /// ```
    #[must_use]
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// Sets the decoder's limits for every connection.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::Limits;
    ///
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// let session = ssekit_client::Session::new(url).limits(Limits::unlimited());
    /// assert_eq!(session.decoder().limits(), Limits::unlimited());
    /// ```
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Starts with this last event id, as if an earlier connection had left it (the first
    /// request sends it), for a stream that resumes after the process restarted.
    ///
    /// # Example
    ///
    /// ```
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// let mut session = ssekit_client::Session::new(url).last_event_id("41");
    /// assert_eq!(session.attempt().headers["last-event-id"], "41");
    /// ```
    #[must_use]
    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = id.into();
        self
    }

    /// Sets the waits between attempts.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// let waits = ssekit_client::Waits::new().max_delay(Duration::from_secs(10));
    /// let session = ssekit_client::Session::new(url).waits(waits);
    /// # let _ = session;
    /// ```
    #[must_use]
    pub fn waits(mut self, waits: Waits) -> Self {
        self.waits = waits;
        self
    }

    /// Makes the stream finite, as an LLM answer is: it ends at `terminal` when one is
    /// given; else at the clean end of the body. An end before the terminal event
    /// reconnects with the last event id if there is one, and is [`Stopped::Truncated`]
    /// otherwise. Nothing is sent twice that the server would take as a second request.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Instant;
    /// use ssekit_client::{OnEnd, Session, Stopped, Terminal, Url};
    ///
    /// let url = Url::parse("http://127.0.0.1/v1/chat").unwrap();
    /// let mut session = Session::new(url).finite(Some(Terminal::Data("[DONE]".into())));
    /// // The body ended before [DONE], with no id to resume from.
    /// assert_eq!(session.on_end(Instant::now(), 0), OnEnd::Stop(Stopped::Truncated));
    /// ```
    #[must_use]
    pub fn finite(mut self, terminal: Option<Terminal>) -> Self {
        self.finite = true;
        self.terminal = terminal;
        self
    }

    /// Lets a `POST` (or another method that is not idempotent) be sent again after its
    /// stream delivered events with no id to resume from: by default the client stops
    /// ([`Stopped::Truncated`]) rather than have the server act on it twice.
    ///
    /// # Example
    ///
    /// ```
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// let session = ssekit_client::Session::new(url).replay_post(true);
    /// # let _ = session;
    /// ```
    #[must_use]
    pub fn replay_post(mut self, replay: bool) -> Self {
        self.replay_post = replay;
        self
    }

    /// The request of a new attempt: from the original URL, with the stored last event id.
    ///
    /// # Example
    ///
    /// ```
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/talk").unwrap();
    /// let attempt = ssekit_client::Session::new(url).attempt();
    /// assert_eq!(attempt.url.path(), "/talk");
    /// ```
    pub fn attempt(&mut self) -> Attempt {
        let attempt = Attempt::new(
            self.method.clone(),
            self.url.clone(),
            &self.headers,
            self.body.clone(),
            &self.last_event_id,
        );
        self.current = Some(Box::new((attempt.clone(), 0)));
        attempt
    }

    /// Takes the request of the current attempt as it is sent after a hook changed it
    /// (a fresh token, say), so that its redirects start from it.
    ///
    /// # Example
    ///
    /// ```
    /// use http::HeaderValue;
    ///
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/talk").unwrap();
    /// let mut session = ssekit_client::Session::new(url);
    /// let mut attempt = session.attempt();
    /// attempt.headers.insert("x-token", HeaderValue::from_static("fresh"));
    /// session.amend_attempt(attempt);
    /// ```
    pub fn amend_attempt(&mut self, attempt: Attempt) {
        if let Some(current) = &mut self.current {
            let (current, _) = &mut **current;
            *current = attempt;
        }
    }

    /// Replaces the stored last event id (one loaded from where an earlier process kept
    /// it): the next attempt sends it and the next decoder starts from it.
    ///
    /// # Example
    ///
    /// ```
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// let mut session = ssekit_client::Session::new(url);
    /// session.set_last_event_id("12");
    /// assert_eq!(session.attempt().headers["last-event-id"], "12");
    /// ```
    pub fn set_last_event_id(&mut self, id: impl Into<String>) {
        self.last_event_id = id.into();
    }

    /// A decoder for a connection that opened: seeded with the stored last event id.
    ///
    /// # Example
    ///
    /// ```
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// let session = ssekit_client::Session::new(url).last_event_id("9");
    /// assert_eq!(session.decoder().last_event_id(), "9");
    /// ```
    pub fn decoder(&self) -> Decoder {
        Decoder::with_limits(self.limits).with_last_event_id(self.last_event_id.clone())
    }

    /// The last event id the client keeps now.
    ///
    /// # Example
    ///
    /// ```
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// assert_eq!(ssekit_client::Session::new(url).stored_last_event_id(), "");
    /// ```
    pub fn stored_last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The waits, as the server's `retry:` fields have set them.
    ///
    /// # Example
    ///
    /// ```
    /// let url = ssekit_client::Url::parse("http://127.0.0.1/").unwrap();
    /// assert_eq!(ssekit_client::Session::new(url).current_waits().failures(), 0);
    /// ```
    pub fn current_waits(&self) -> &Waits {
        &self.waits
    }

    /// What a response to the current attempt's request means, at `now` (`wall` for a
    /// `Retry-After` date; `random` for the jitter).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Instant, SystemTime};
    /// use http::{HeaderMap, StatusCode};
    /// use ssekit_client::{OnResponse, Session, StopReason, Stopped, Url};
    ///
    /// let mut session = Session::new(Url::parse("http://127.0.0.1/").unwrap());
    /// session.attempt();
    /// let answer = session.on_response(StatusCode::NO_CONTENT, &HeaderMap::new(), Instant::now(), SystemTime::now(), 0);
    /// assert_eq!(answer, OnResponse::Stop(Stopped::Response(StopReason::NoContent)));
    /// ```
    pub fn on_response(
        &mut self,
        status: StatusCode,
        headers: &HeaderMap,
        now: Instant,
        wall: SystemTime,
        random: u64,
    ) -> OnResponse {
        if let Some(current) = self.current.take() {
            let (attempt, hops) = *current;
            match redirect(status, headers, &attempt.url, &attempt.method) {
                None => self.current = Some(Box::new((attempt, hops))),
                Some(Err(error)) => return OnResponse::Stop(Stopped::Redirect(error)),
                Some(Ok(_)) if hops >= MAX_REDIRECTS => {
                    return OnResponse::Stop(Stopped::TooManyRedirects);
                }
                Some(Ok(next)) => {
                    let mut headers = attempt.headers;
                    if next.cross_origin {
                        strip_credentials(&mut headers);
                    }
                    let body = if next.keep_body {
                        attempt.body
                    } else {
                        Bytes::new()
                    };
                    let followed = Attempt {
                        method: next.method,
                        url: next.url,
                        headers,
                        body,
                    };
                    self.current = Some(Box::new((followed.clone(), hops + 1)));
                    return OnResponse::Follow(Box::new(followed));
                }
            }
        }
        match verdict(status, headers) {
            Verdict::Open => {
                // Only redirects need the request; an open stream's lifetime is long.
                self.current = None;
                self.waits.opened(now);
                self.delivered = 0;
                OnResponse::Open
            }
            Verdict::Stop(reason) => OnResponse::Stop(Stopped::Response(reason)),
            Verdict::Retry => {
                let asked = matches!(status.as_u16(), 429 | 503)
                    .then(|| retry_after(headers, wall))
                    .flatten();
                OnResponse::Retry {
                    delay: self.waits.failed(now, asked, random),
                    asked,
                }
            }
        }
    }

    /// Takes what the decoder of the open connection just gave (`item`): the last event
    /// id it keeps now (an `id:`-only block moves it too), a `retry:` value; says whether
    /// the item is the terminal event (then it is not an event to deliver, and the stream
    /// is [finished](Stopped::Finished)).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_client::{Session, Terminal, Url};
    ///
    /// let url = Url::parse("http://127.0.0.1/").unwrap();
    /// let mut session = Session::new(url).finite(Some(Terminal::Data("[DONE]".into())));
    /// let mut decoder = session.decoder();
    /// decoder.push(b"id: 4\ndata: [DONE]\n\n");
    /// let item = decoder.next_decoded().unwrap().unwrap();
    /// assert!(session.on_decoded(&decoder, &item), "the terminal event");
    /// assert_eq!(session.stored_last_event_id(), "4");
    /// ```
    pub fn on_decoded(&mut self, decoder: &Decoder, item: &ssekit_core::Decoded) -> bool {
        self.on_read(decoder);
        match item {
            ssekit_core::Decoded::Retry(time) => {
                self.waits.server_reconnection_time(*time);
                false
            }
            ssekit_core::Decoded::Message(message) => {
                if self.is_terminal(message) {
                    self.finished = true;
                    return true;
                }
                self.delivered += 1;
                false
            }
            _ => false,
        }
    }

    /// Takes the last event id the open connection's decoder keeps once it has given all
    /// it holds: an `id:`-only block moves (or clears) it with no item to show, so call
    /// this after each read's items, and before [`on_end`](Self::on_end).
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_client::{Session, Url};
    ///
    /// let url = Url::parse("http://127.0.0.1/").unwrap();
    /// let mut session = Session::new(url);
    /// let mut decoder = session.decoder();
    /// decoder.push(b"id: 8\n\n");
    /// assert!(decoder.next_decoded().unwrap().is_none(), "nothing to deliver");
    /// session.on_read(&decoder);
    /// assert_eq!(session.attempt().headers["last-event-id"], "8");
    /// ```
    pub fn on_read(&mut self, decoder: &Decoder) {
        if decoder.last_event_id() != self.last_event_id {
            decoder.last_event_id().clone_into(&mut self.last_event_id);
        }
    }

    fn is_terminal(&self, message: &Message) -> bool {
        match &self.terminal {
            Some(Terminal::Data(data)) => message.data() == data,
            Some(Terminal::EventType(event_type)) => message.event_type() == event_type,
            None => false,
        }
    }

    /// What to do now that the open connection's body ended, cleanly or not, at `now`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ssekit_client::{OnEnd, Session, Url, Waits};
    ///
    /// let url = Url::parse("http://127.0.0.1/").unwrap();
    /// let mut session = Session::new(url).waits(Waits::new().without_jitter());
    /// assert_eq!(session.on_end(Instant::now(), 0), OnEnd::Reconnect(Duration::from_secs(1)));
    /// ```
    pub fn on_end(&mut self, now: Instant, random: u64) -> OnEnd {
        if self.finished {
            return OnEnd::Stop(Stopped::Finished);
        }
        let resumable = !self.last_event_id.is_empty();
        if self.finite {
            if self.terminal.is_none() {
                return OnEnd::Stop(Stopped::Finished);
            }
            if !resumable {
                return OnEnd::Stop(Stopped::Truncated);
            }
        }
        if self.delivered > 0 && !resumable && !self.method.is_idempotent() && !self.replay_post {
            return OnEnd::Stop(Stopped::Truncated);
        }
        OnEnd::Reconnect(self.waits.failed(now, None, random))
    }

    /// What to do when an attempt failed before its response (refused, reset, a timeout),
    /// at `now`: wait, then try again (the first attempt too).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ssekit_client::{Session, Url, Waits};
    ///
    /// let url = Url::parse("http://127.0.0.1/").unwrap();
    /// let mut session = Session::new(url).waits(Waits::new().without_jitter());
    /// assert_eq!(session.on_failure(Instant::now(), 0), Duration::from_secs(1));
    /// assert_eq!(session.on_failure(Instant::now(), 0), Duration::from_secs(2));
    /// ```
    pub fn on_failure(&mut self, now: Instant, random: u64) -> Duration {
        self.current = None;
        self.waits.failed(now, None, random)
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderValue, header};
    use ssekit_core::Decoded;

    use super::*;

    fn session() -> Session {
        Session::new(Url::parse("http://127.0.0.1:9/events").unwrap())
            .waits(Waits::new().without_jitter())
    }

    fn stream_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers
    }

    fn respond(session: &mut Session, status: u16, headers: &HeaderMap) -> OnResponse {
        session.on_response(
            StatusCode::from_u16(status).unwrap(),
            headers,
            Instant::now(),
            SystemTime::now(),
            0,
        )
    }

    /// Opens a connection and feeds it `body`; returns the events it delivered (data).
    fn connect(session: &mut Session, body: &[u8]) -> Vec<String> {
        session.attempt();
        assert_eq!(respond(session, 200, &stream_headers()), OnResponse::Open);
        let mut decoder = session.decoder();
        decoder.push(body);
        decoder.finish();
        let mut delivered = Vec::new();
        while let Some(decoded) = decoder.next_decoded().unwrap() {
            let terminal = session.on_decoded(&decoder, &decoded);
            if let (false, Decoded::Message(message)) = (terminal, decoded) {
                delivered.push(message.data().to_owned());
            }
        }
        delivered
    }

    #[test]
    fn the_last_event_id_survives_connections_and_events_without_ids() {
        let mut session = session();
        connect(&mut session, b"id: 1\ndata: a\n\n");
        assert!(matches!(
            session.on_end(Instant::now(), 0),
            OnEnd::Reconnect(_)
        ));
        // No id on this connection's event: the stored one stays, and is sent again.
        connect(&mut session, b"data: b\n\n");
        assert_eq!(session.attempt().headers["last-event-id"], "1");
        // An id-only block and a retry-only block still count.
        connect(&mut session, b"id: 2\n\nretry: 2500\n\n");
        assert_eq!(session.stored_last_event_id(), "2");
        assert_eq!(
            session.current_waits().current_reconnection_time(),
            Duration::from_millis(2500)
        );
        // An empty id clears it: no header at all then.
        connect(&mut session, b"id\ndata: c\n\n");
        assert!(session.attempt().headers.get("last-event-id").is_none());
    }

    #[test]
    fn an_event_cut_off_keeps_neither_its_data_nor_its_id() {
        let mut session = session().last_event_id("5");
        assert!(connect(&mut session, b"id: 6\ndata: cut").is_empty());
        assert_eq!(session.stored_last_event_id(), "5");
    }

    #[test]
    fn statuses_stop_or_retry_as_the_table_says() {
        let none = HeaderMap::new();
        let mut session = session();
        session.attempt();
        assert_eq!(
            respond(&mut session, 204, &none),
            OnResponse::Stop(Stopped::Response(StopReason::NoContent))
        );
        assert_eq!(
            respond(&mut session, 401, &none),
            OnResponse::Stop(Stopped::Response(StopReason::Status(401)))
        );
        assert_eq!(
            respond(&mut session, 200, &none),
            OnResponse::Stop(Stopped::Response(StopReason::ContentType))
        );
        assert_eq!(
            respond(&mut session, 503, &none),
            OnResponse::Retry {
                delay: Duration::from_secs(1),
                asked: None
            }
        );
        assert_eq!(
            respond(&mut session, 502, &none),
            OnResponse::Retry {
                delay: Duration::from_secs(2),
                asked: None
            }
        );
        let mut asks = HeaderMap::new();
        asks.insert(header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(
            respond(&mut session, 429, &asks),
            OnResponse::Retry {
                delay: Duration::from_secs(7),
                asked: Some(Duration::from_secs(7))
            }
        );
        assert_eq!(
            respond(&mut session, 500, &asks),
            OnResponse::Retry {
                delay: Duration::from_secs(8),
                asked: None
            },
            "Retry-After only on 429 and 503"
        );
    }

    #[test]
    fn redirects_are_followed_within_an_attempt_and_each_attempt_starts_over() {
        let mut session = session().request(Method::POST, "{}");
        let mut headers = session.headers.clone();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        session = session.headers(headers);
        session.attempt();
        let mut to = HeaderMap::new();
        to.insert(
            header::LOCATION,
            HeaderValue::from_static("http://127.0.0.1:9/v2"),
        );
        let OnResponse::Follow(same_origin) = respond(&mut session, 307, &to) else {
            panic!()
        };
        assert_eq!(
            (same_origin.method.clone(), same_origin.body.clone()),
            (Method::POST, Bytes::from_static(b"{}"))
        );
        assert_eq!(same_origin.headers[header::AUTHORIZATION], "Bearer t");
        to.insert(
            header::LOCATION,
            HeaderValue::from_static("http://elsewhere.example/v3"),
        );
        let OnResponse::Follow(elsewhere) = respond(&mut session, 303, &to) else {
            panic!()
        };
        assert_eq!(
            (elsewhere.method.clone(), elsewhere.body.len()),
            (Method::GET, 0)
        );
        assert!(
            elsewhere.headers.get(header::AUTHORIZATION).is_none(),
            "not sent to another origin"
        );
        assert_eq!(
            session.attempt().url.path(),
            "/events",
            "the next attempt starts from the original URL"
        );
        to.insert(header::LOCATION, HeaderValue::from_static("/loop"));
        for _ in 0..MAX_REDIRECTS {
            assert!(matches!(
                respond(&mut session, 302, &to),
                OnResponse::Follow(_)
            ));
        }
        assert_eq!(
            respond(&mut session, 302, &to),
            OnResponse::Stop(Stopped::TooManyRedirects)
        );
        session.attempt();
        assert_eq!(
            respond(&mut session, 301, &HeaderMap::new()),
            OnResponse::Stop(Stopped::Redirect(RedirectError::Location))
        );
    }

    #[test]
    fn a_finite_stream_ends_at_its_terminal_event_or_is_truncated() {
        let done = Some(Terminal::Data("[DONE]".into()));
        let mut answer = session().finite(done.clone());
        assert_eq!(
            connect(&mut answer, b"data: a\n\ndata: [DONE]\n\ndata: after\n\n"),
            ["a", "after"]
        );
        assert_eq!(
            answer.on_end(Instant::now(), 0),
            OnEnd::Stop(Stopped::Finished)
        );

        let mut cut = session_finite(done.clone());
        connect(&mut cut, b"data: a\n\n");
        assert_eq!(
            cut.on_end(Instant::now(), 0),
            OnEnd::Stop(Stopped::Truncated),
            "no id to resume from"
        );

        let mut resumable = session_finite(done);
        connect(&mut resumable, b"id: 3\ndata: a\n\n");
        assert!(
            matches!(resumable.on_end(Instant::now(), 0), OnEnd::Reconnect(_)),
            "resumes after id 3"
        );

        let mut plain = session().finite(None);
        connect(&mut plain, b"data: a\n\n");
        assert_eq!(
            plain.on_end(Instant::now(), 0),
            OnEnd::Stop(Stopped::Finished),
            "a clean end ends it"
        );
        let by_type = Some(Terminal::EventType("end".into()));
        let mut typed = session().finite(by_type);
        assert_eq!(
            connect(&mut typed, b"data: a\n\nevent: end\ndata: x\n\n"),
            ["a"]
        );
        assert_eq!(
            typed.on_end(Instant::now(), 0),
            OnEnd::Stop(Stopped::Finished)
        );
    }

    fn session_finite(terminal: Option<Terminal>) -> Session {
        session().finite(terminal)
    }

    #[test]
    fn a_post_is_not_sent_again_after_its_events_unless_it_can_resume_or_may() {
        let mut post = session().request(Method::POST, "{}");
        connect(&mut post, b"data: a\n\n");
        assert_eq!(
            post.on_end(Instant::now(), 0),
            OnEnd::Stop(Stopped::Truncated)
        );

        let mut no_events = session().request(Method::POST, "{}");
        connect(&mut no_events, b": only a comment\n");
        assert!(matches!(
            no_events.on_end(Instant::now(), 0),
            OnEnd::Reconnect(_)
        ));

        let mut resumable = session().request(Method::POST, "{}");
        connect(&mut resumable, b"id: 1\ndata: a\n\n");
        assert!(matches!(
            resumable.on_end(Instant::now(), 0),
            OnEnd::Reconnect(_)
        ));

        let mut allowed = session().request(Method::POST, "{}").replay_post(true);
        connect(&mut allowed, b"data: a\n\n");
        assert!(matches!(
            allowed.on_end(Instant::now(), 0),
            OnEnd::Reconnect(_)
        ));
    }

    #[test]
    fn failures_before_a_response_wait_longer_each_time() {
        let mut session = session();
        let now = Instant::now();
        let waits: Vec<u64> = (0..4)
            .map(|_| session.on_failure(now, 0).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8]);
    }
}
