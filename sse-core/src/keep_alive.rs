//! Keep-alive: a comment whenever the stream has been quiet for an interval, so that proxies
//! do not cut an idle connection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use pin_project_lite::pin_project;

use crate::encode;

/// The interval [`KeepAlive::new`] uses: 15 s, well under the 30 to 60 s after which common
/// proxies and load balancers drop an idle connection.
pub const DEFAULT_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(15);

/// A source of sleeps, so that keep-alive runs on any runtime's clock.
///
/// With the `tokio` feature (on by default), [`TokioTimer`] is the one to use.
///
/// # Example
///
/// A timer that never fires, for a stream that must not get comments in a test:
///
/// ```
/// use std::time::Duration;
/// use ssekit_core::Timer;
///
/// struct Never;
///
/// impl Timer for Never {
///     type Sleep = std::future::Pending<()>;
///
///     fn sleep(&self, _duration: Duration) -> Self::Sleep {
///         std::future::pending()
///     }
/// }
/// # let _ = Never.sleep(Duration::ZERO);
/// ```
pub trait Timer {
    /// A future that completes once the duration has passed.
    type Sleep: Future<Output = ()>;

    /// A sleep that completes `duration` from now.
    fn sleep(&self, duration: Duration) -> Self::Sleep;

    /// The time now on this timer's clock. The default is the system's monotonic clock;
    /// override it where the runtime's clock can differ (a paused test clock, say).
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// Restarts `sleep` so that it completes `duration` from now. The default replaces it
    /// with a new one; override it where the runtime can move a deadline in place.
    fn reset(&self, mut sleep: Pin<&mut Self::Sleep>, duration: Duration) {
        sleep.set(self.sleep(duration));
    }
}

/// The [`Timer`] on tokio's clock (`tokio::time`), which must be enabled in the runtime.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ssekit_core::{Timer, TokioTimer};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// TokioTimer.sleep(Duration::from_millis(1)).await;
/// # });
/// ```
#[cfg(feature = "tokio")]
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioTimer;

#[cfg(feature = "tokio")]
impl Timer for TokioTimer {
    type Sleep = tokio::time::Sleep;

    fn sleep(&self, duration: Duration) -> Self::Sleep {
        tokio::time::sleep(duration)
    }

    fn reset(&self, sleep: Pin<&mut Self::Sleep>, duration: Duration) {
        sleep.reset(tokio::time::Instant::now() + duration);
    }

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// Keep-alive settings: how long the stream may stay quiet, and the comment that breaks the
/// silence.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use ssekit_core::KeepAlive;
///
/// let keep_alive = KeepAlive::new().interval(Duration::from_secs(20)).comment("ping");
/// assert_eq!(keep_alive.frame(), ":ping\n\n");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeepAlive {
    interval: Duration,
    frame: Bytes,
}

impl KeepAlive {
    /// An empty comment after [`DEFAULT_KEEP_ALIVE_INTERVAL`] of quiet.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_core::{DEFAULT_KEEP_ALIVE_INTERVAL, KeepAlive};
    ///
    /// assert_eq!(KeepAlive::new().interval_duration(), DEFAULT_KEEP_ALIVE_INTERVAL);
    /// assert_eq!(KeepAlive::new().frame(), ":\n\n");
    /// ```
    pub fn new() -> Self {
        Self {
            interval: DEFAULT_KEEP_ALIVE_INTERVAL,
            frame: Bytes::from_static(b":\n\n"),
        }
    }

    /// Sets how long the stream may stay quiet before a comment goes out.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let keep_alive = ssekit_core::KeepAlive::new().interval(Duration::from_secs(5));
    /// assert_eq!(keep_alive.interval_duration(), Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets the comment's text. Line breaks in it make several comment lines.
    ///
    /// # Example
    ///
    /// ```
    /// let keep_alive = ssekit_core::KeepAlive::new().comment("still\nhere");
    /// assert_eq!(keep_alive.frame(), ":still\n:here\n\n");
    /// ```
    #[must_use]
    pub fn comment(mut self, text: &str) -> Self {
        let mut frame = BytesMut::new();
        encode::encode_comment(text, &mut frame);
        self.frame = frame.freeze();
        self
    }

    /// The quiet interval.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::KeepAlive::new().interval_duration().as_secs(), 15);
    /// ```
    pub fn interval_duration(&self) -> Duration {
        self.interval
    }

    /// The bytes sent after each quiet interval: the comment, then a blank line.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(ssekit_core::KeepAlive::new().comment("hi").frame(), ":hi\n\n");
    /// ```
    pub fn frame(&self) -> &Bytes {
        &self.frame
    }

    /// Wraps an encoded event stream (such as an [`EncodeStream`](crate::EncodeStream)) so
    /// that it sends a comment whenever it has sent nothing for the interval, on tokio's
    /// clock.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_util::{StreamExt, stream};
    /// use ssekit_core::{Event, KeepAlive, encode_stream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let events = stream::iter([Event::new("first")]).chain(stream::pending());
    /// let body = KeepAlive::new()
    ///     .interval(Duration::from_millis(10))
    ///     .wrap(encode_stream(events));
    /// let frames: Vec<_> = body.take(2).map(Result::unwrap).collect().await;
    /// assert_eq!(frames, ["data: first\n\n", ":\n\n"]);
    /// # });
    /// ```
    #[cfg(feature = "tokio")]
    pub fn wrap<S>(self, frames: S) -> KeepAliveStream<S, TokioTimer> {
        self.wrap_with_timer(frames, TokioTimer)
    }

    /// Like [`wrap`](Self::wrap), on the clock of the given [`Timer`].
    ///
    /// # Example
    ///
    /// ```
    /// use futures_util::{StreamExt, stream};
    /// use ssekit_core::{Event, KeepAlive, TokioTimer, encode_stream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let body = KeepAlive::new().wrap_with_timer(encode_stream(stream::iter([Event::new("x")])), TokioTimer);
    /// assert_eq!(body.count().await, 1); // the stream ended before any quiet interval
    /// # });
    /// ```
    pub fn wrap_with_timer<S, T: Timer>(self, frames: S, timer: T) -> KeepAliveStream<S, T> {
        KeepAliveStream::new(frames, Some(self), timer)
    }
}

impl Default for KeepAlive {
    fn default() -> Self {
        Self::new()
    }
}

pin_project! {
    /// The stream [`KeepAlive::wrap`] returns: the frames of the inner stream, with a comment
    /// frame whenever none has gone out for the interval.
    ///
    /// The quiet interval restarts after every frame. The clock starts at the first poll.
    #[must_use = "streams do nothing unless polled"]
    pub struct KeepAliveStream<S, T: Timer> {
        #[pin]
        frames: S,
        timer: T,
        // Boxed so that the stream can be built outside the runtime whose clock it uses.
        sleep: Option<Pin<Box<T::Sleep>>>,
        // When the last frame went out (or the sleep first started). A frame only records
        // the time: the sleep, when it fires early, is moved to a full interval after this,
        // so that a busy stream costs no timer work per frame.
        quiet_since: Option<Instant>,
        // `None`: keep-alive is off, and the frames pass through untouched.
        keep_alive: Option<KeepAlive>,
    }
}

impl<S, T: Timer> KeepAliveStream<S, T> {
    pub(crate) fn new(frames: S, keep_alive: Option<KeepAlive>, timer: T) -> Self {
        Self {
            frames,
            timer,
            sleep: None,
            quiet_since: None,
            keep_alive,
        }
    }
}

impl<S, T, E> Stream for KeepAliveStream<S, T>
where
    S: Stream<Item = Result<Bytes, E>>,
    T: Timer,
{
    type Item = Result<Bytes, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        match this.frames.poll_next(cx) {
            Poll::Ready(Some(frame)) => {
                if this.keep_alive.is_some() {
                    *this.quiet_since = Some(this.timer.now());
                }
                return Poll::Ready(Some(frame));
            }
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        let Some(keep_alive) = this.keep_alive else {
            return Poll::Pending;
        };
        let interval = keep_alive.interval;
        let quiet_since = *this.quiet_since.get_or_insert_with(|| this.timer.now());
        let sleep = if let Some(sleep) = this.sleep {
            sleep
        } else {
            let elapsed = this.timer.now().saturating_duration_since(quiet_since);
            let sleep = this.timer.sleep(interval.saturating_sub(elapsed));
            this.sleep.insert(Box::pin(sleep))
        };
        while sleep.as_mut().poll(cx).is_ready() {
            let now = this.timer.now();
            let quiet_for = now.saturating_duration_since(quiet_since);
            if quiet_for >= interval {
                *this.quiet_since = Some(now);
                this.timer.reset(sleep.as_mut(), interval);
                return Poll::Ready(Some(Ok(keep_alive.frame.clone())));
            }
            // A frame went out since the sleep started: sleep the rest of the interval.
            this.timer
                .reset(sleep.as_mut(), interval.saturating_sub(quiet_for));
        }
        Poll::Pending
    }
}
