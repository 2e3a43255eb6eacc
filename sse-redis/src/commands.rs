//! The connection an instance sends its commands on (publications, resume pages, wake-ups),
//! made again once it fails.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError};

/// One multiplexed connection shared by every caller, replaced after an error that may have
/// broken it. (The `redis` crate's connection does not recover from a dead socket, and a
/// reply that never comes leaves it unusable for the commands pipelined behind.)
#[derive(Debug)]
pub(crate) struct Commands {
    client: Client,
    timeout: Duration,
    /// The connection now and its generation, so that a caller whose command failed on an
    /// older one does not throw away the one that replaced it.
    current: Mutex<Option<(u64, MultiplexedConnection)>>,
    /// Held while connecting, so that callers that find no connection make one, not one
    /// each.
    connecting: tokio::sync::Mutex<u64>,
}

impl Commands {
    pub(crate) fn new(client: Client, timeout: Duration) -> Self {
        Self {
            client,
            timeout,
            current: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(0),
        }
    }

    /// The connection, and its generation for [`failed`](Self::failed).
    pub(crate) async fn connection(&self) -> Result<(u64, MultiplexedConnection), RedisError> {
        if let Some(current) = self.lock().clone() {
            return Ok(current);
        }
        let mut generation = self.connecting.lock().await;
        if let Some(current) = self.lock().clone() {
            return Ok(current);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *generation += 1;
        let current = (*generation, connection);
        *self.lock() = Some(current.clone());
        Ok(current)
    }

    /// Reports that a command on connection `generation` failed with `error`: a connection
    /// that may be broken (an I/O error, a reply that did not come) is dropped, and the next
    /// caller connects again.
    pub(crate) fn failed(&self, generation: u64, error: &RedisError) {
        let broken = error.is_io_error()
            || error.is_timeout()
            || error.is_connection_dropped()
            || error.is_unrecoverable_error();
        let mut current = self.lock();
        if broken
            && current
                .as_ref()
                .is_some_and(|(held, _)| *held == generation)
        {
            *current = None;
        }
    }

    /// Sends `command` once, on the shared connection.
    pub(crate) async fn query_once<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, RedisError> {
        let (generation, mut connection) = self.connection().await?;
        let reply = command.query_async(&mut connection).await;
        if let Err(error) = &reply {
            self.failed(generation, error);
        }
        reply
    }

    /// Sends `command`, which must be safe to repeat (a read), and sends it once more on a
    /// new connection if the first one was broken: a connection found dead by the command
    /// that used it first is no reason to fail that command.
    pub(crate) async fn query<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, RedisError> {
        match self.query_once(command).await {
            Err(error) if error.is_io_error() || error.is_connection_dropped() => {
                self.query_once(command).await
            }
            reply => reply,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(u64, MultiplexedConnection)>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
