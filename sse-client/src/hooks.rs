//! What a caller plugs into the client: a hook run before every attempt, and a place to keep
//! the resume id across process restarts.

use std::future::Future;
use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::request::Attempt;
use crate::transport::BoxError;

/// Runs before every attempt, with the request the client is about to send, and gives back
/// the one to send: a fresh `Authorization` token, a signed URL. It is called once per
/// attempt, not for the redirects the attempt follows (those keep what it set, except the
/// credentials a redirect to another origin drops). An error is reported as
/// [`ClientError::Hook`](crate::ClientError::Hook) and the client tries again after a
/// backoff, as after a refused connection.
///
/// Any `Fn(Attempt) -> impl Future<Output = Result<Attempt, BoxError>>` is one.
///
/// # Example
///
/// ```
/// use http::HeaderValue;
/// use ssekit_client::{Attempt, BeforeAttempt, BoxError};
///
/// async fn fresh_token() -> Result<String, BoxError> {
///     Ok("t0k3n".into())
/// }
///
/// let hook = |mut attempt: Attempt| async move {
///     let token = fresh_token().await?;
///     attempt.headers.insert("authorization", HeaderValue::try_from(format!("Bearer {token}"))?);
///     Ok(attempt)
/// };
/// # fn is_hook(_: &impl BeforeAttempt) {}
/// # is_hook(&hook);
/// ```
pub trait BeforeAttempt: Send + Sync + 'static {
    /// The request to send in place of `attempt`.
    fn before_attempt(&self, attempt: Attempt) -> BoxFuture<'static, Result<Attempt, BoxError>>;
}

impl<F, R> BeforeAttempt for F
where
    F: Fn(Attempt) -> R + Send + Sync + 'static,
    R: Future<Output = Result<Attempt, BoxError>> + Send + 'static,
{
    fn before_attempt(&self, attempt: Attempt) -> BoxFuture<'static, Result<Attempt, BoxError>> {
        self(attempt).boxed()
    }
}

/// Where the resume id lives between runs of a program, so that a stream resumes after the
/// process restarts: a file, a database row.
///
/// The client loads it once, before its first attempt (a stored id wins over
/// [`Session::last_event_id`](crate::Session::last_event_id)), and stores the last event id
/// whenever it changed and every item up to it was taken from the stream, just before the
/// client reads or connects again. So what is stored was handed over: after a crash, a
/// stream resumes at or before the last event the program saw (at least once, never a gap).
/// Errors are reported as [`ClientError::Store`](crate::ClientError::Store); the stream
/// goes on.
///
/// # Example
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use futures_util::future::BoxFuture;
/// use ssekit_client::{BoxError, ResumeStore};
///
/// /// Keeps the id in memory (a real one writes it somewhere that outlives the process).
/// #[derive(Default)]
/// struct InMemory(Arc<Mutex<Option<String>>>);
///
/// impl ResumeStore for InMemory {
///     fn load(&self) -> BoxFuture<'static, Result<Option<String>, BoxError>> {
///         let id = self.0.lock().unwrap().clone();
///         Box::pin(async move { Ok(id) })
///     }
///
///     fn store(&self, id: String) -> BoxFuture<'static, Result<(), BoxError>> {
///         *self.0.lock().unwrap() = Some(id);
///         Box::pin(async { Ok(()) })
///     }
/// }
/// # let _ = InMemory::default();
/// ```
pub trait ResumeStore: Send + Sync + 'static {
    /// The id an earlier run stored, if any.
    fn load(&self) -> BoxFuture<'static, Result<Option<String>, BoxError>>;

    /// Keeps `id` (it may be empty: the server cleared it).
    fn store(&self, id: String) -> BoxFuture<'static, Result<(), BoxError>>;
}

impl<S: ResumeStore + ?Sized> ResumeStore for Arc<S> {
    fn load(&self) -> BoxFuture<'static, Result<Option<String>, BoxError>> {
        (**self).load()
    }

    fn store(&self, id: String) -> BoxFuture<'static, Result<(), BoxError>> {
        (**self).store(id)
    }
}
