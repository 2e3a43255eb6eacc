//! Why a publication failed.

use std::fmt;

/// Why [`RedisBackend`](crate::RedisBackend) could not publish an event (or connect).
///
/// A publication that fails with [`ErrorKind::Timeout`] or [`ErrorKind::Unreachable`] may
/// still have been applied (its reply is what was lost). Publishing again with the same
/// [idempotency key](crate::RedisBackend::publish_with_key) then returns the id it got, and
/// publishes nothing twice.
///
/// # Example
///
/// ```
/// use ssekit_redis::{ErrorKind, RedisBackend, RedisConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Nothing listens on port 1.
/// let config = RedisConfig::new("redis://127.0.0.1:1/");
/// let error = RedisBackend::connect(config).await.unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::Unreachable);
/// # }
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    source: Option<redis::RedisError>,
    /// What Redis said, when it said it inside the script (no `RedisError` then).
    detail: Option<String>,
}

/// What kind of failure an [`Error`] is.
///
/// # Example
///
/// ```
/// use ssekit_redis::ErrorKind;
///
/// assert_ne!(ErrorKind::Timeout, ErrorKind::Rejected);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Redis could not be reached, or the connection broke, for every attempt.
    Unreachable,
    /// Redis did not answer in time, for every attempt within the publication deadline.
    Timeout,
    /// Redis answered with an error (out of memory, a wrong URL's database, …).
    Rejected,
    /// Redis answered, but not as this crate's script does (a key of another type where the
    /// topic's keys are, say).
    Reply,
    /// The URL could not be parsed.
    Url,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, source: Option<redis::RedisError>) -> Self {
        Self {
            kind,
            source,
            detail: None,
        }
    }

    /// A publication the script could not apply, for `reason` (Redis's error message).
    pub(crate) fn rejected(reason: &str) -> Self {
        Self {
            kind: ErrorKind::Rejected,
            source: None,
            detail: Some(reason.to_owned()),
        }
    }

    /// An error from the `redis` crate, sorted into its kind.
    pub(crate) fn from_redis(error: redis::RedisError) -> Self {
        let kind = if error.is_timeout() {
            ErrorKind::Timeout
        } else if error.is_io_error()
            || error.is_connection_dropped()
            || error.is_connection_refusal()
        {
            ErrorKind::Unreachable
        } else {
            ErrorKind::Rejected
        };
        Self::new(kind, Some(error))
    }

    /// What kind of failure this is.
    ///
    /// # Example
    ///
    /// ```
    /// let error = ssekit_redis::RedisConfig::new("not a url").client().unwrap_err();
    /// assert_eq!(error.kind(), ssekit_redis::ErrorKind::Url);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Unreachable => "Redis is unreachable",
            ErrorKind::Timeout => "Redis did not answer in time",
            ErrorKind::Rejected => "Redis rejected the command",
            ErrorKind::Reply => "Redis gave an unexpected reply",
            ErrorKind::Url => "the Redis URL is not valid",
        };
        match (&self.source, &self.detail) {
            (Some(source), _) => write!(f, "{what}: {source}"),
            (None, Some(detail)) => write!(f, "{what}: {detail}"),
            (None, None) => f.write_str(what),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}
