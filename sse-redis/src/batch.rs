//! Publications that wait together go to Redis together: one script call for all of them.
//!
//! Every publication goes to one task of the backend's, which takes what is waiting (up to
//! [`MAX_BATCH`]) and sends it as one call, with up to [`MAX_IN_FLIGHT`] calls in flight. A
//! publication alone goes at once; under load, the calls grow instead of queueing one by
//! one. Each call is retried on its own, with the same idempotency keys, until every
//! publication in it is answered or past its deadline.

use std::sync::{Arc, Weak};
use std::time::Instant;

use redis::RetryMethod;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::backend::Inner;
use crate::error::{Error, ErrorKind};
use crate::script::{self, Publication};
use crate::stats::count;
use ssekit_core::backoff::random;

/// The most publications in one call.
pub(crate) const MAX_BATCH: usize = 64;

/// The most calls in flight at once.
pub(crate) const MAX_IN_FLIGHT: usize = 4;

/// A publication waiting for its id.
pub(crate) struct Pending {
    pub(crate) publication: Publication,
    pub(crate) deadline: Instant,
    pub(crate) reply: oneshot::Sender<Result<u64, Error>>,
}

/// Takes what waits in `queue`, a batch at a time, until the backend is dropped.
pub(crate) async fn run(backend: Weak<Inner>, mut queue: mpsc::UnboundedReceiver<Pending>) {
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
            return;
        };
        let Some(inner) = backend.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            send(&inner, batch).await;
            drop(permit);
        });
    }
}

/// Sends `batch` until each publication in it has its answer.
async fn send(inner: &Inner, mut batch: Vec<Pending>) {
    let mut attempt = 0;
    while !batch.is_empty() {
        let publications: Vec<&Publication> =
            batch.iter().map(|pending| &pending.publication).collect();
        let reply = match inner.commands.connection().await {
            Ok((generation, mut connection)) => {
                let reply = script::send(&publications, inner.limits, &mut connection).await;
                if let Err(error) = &reply {
                    inner.commands.failed(generation, error);
                }
                reply
            }
            Err(error) => Err(error),
        };
        let error = match reply {
            Ok(ids) if ids.len() == batch.len() => {
                for (pending, id) in batch.drain(..).zip(ids) {
                    answer(inner, pending, parse(&id));
                }
                return;
            }
            Ok(_) => {
                for pending in batch.drain(..) {
                    answer(inner, pending, Err(Error::new(ErrorKind::Reply, None)));
                }
                return;
            }
            Err(error) => error,
        };
        attempt += 1;
        let delay = inner.config.backoff.delay(attempt, random());
        let retry = !matches!(error.retry_method(), RetryMethod::NoRetry) || error.is_timeout();
        let retry_until = Instant::now() + delay;
        let (again, done): (Vec<Pending>, Vec<Pending>) = batch
            .into_iter()
            .partition(|pending| retry && retry_until < pending.deadline);
        for pending in done {
            answer(inner, pending, Err(Error::from_redis(error.clone())));
        }
        batch = again;
        if !batch.is_empty() {
            for _ in &batch {
                count(&inner.counters.publish_retries);
            }
            tokio::time::sleep(delay).await;
        }
    }
}

/// A reply of the script: the id, or `!` and why that publication failed.
fn parse(reply: &str) -> Result<u64, Error> {
    if let Some(reason) = reply.strip_prefix('!') {
        return Err(Error::rejected(reason));
    }
    ssekit_hub::id::parse_id(reply).ok_or_else(|| Error::new(ErrorKind::Reply, None))
}

fn answer(inner: &Inner, pending: Pending, result: Result<u64, Error>) {
    count(if result.is_ok() {
        &inner.counters.published
    } else {
        &inner.counters.publish_errors
    });
    // A caller that stopped waiting has dropped its end: the publication happened anyway.
    let _ = pending.reply.send(result);
}
