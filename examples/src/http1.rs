//! Serving an axum [`Router`] over HTTP/1.1 alone, tuned for event streams: one hyper
//! connection per client, no vectored writes, and a graceful shutdown.
//!
//! `axum::serve` answers HTTP/1.1 and HTTP/2 on one port through hyper-util's `auto`
//! connection, which reads the first bytes of each connection to tell the two apart, and it
//! builds the router's route table anew for every connection. A server that holds
//! thousands of idle event streams pays for both on each one: the `auto` connection alone
//! costs about 4 KiB more per idle connection than hyper's HTTP/1.1 connection
//! (`load run --servers floor:hyper-http1,floor:hyper-auto`, BENCHMARKS.md). A browser
//! speaks HTTP/1.1 to an `http://` address, so `talk` loses nothing by serving that alone.
//!
//! hyper writes a body frame with `writev` by default: the chunk size, the frame and the
//! chunk's CRLF as three buffers. For the small frames of a fan-out, one `write` of the
//! three copied together costs the kernel less: with 10,000 subscribers the server's CPU
//! per delivery went from 7.50 to 6.84 µs, and pushing to one client did not slow
//! (`load run --servers ssekit-axum+hub:http1`).

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How long to wait before accepting again after an error that is not one connection's
/// own (out of file descriptors, say), as `axum::serve` does.
const ACCEPT_RETRY: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` over HTTP/1.1 until `shutdown` completes; then stops
/// accepting, lets each connection finish the response it is writing (the event streams
/// end at the shutdown on their own), and returns once every connection has closed.
///
/// # Errors
///
/// None yet: accepting retries after an error. The `Result` leaves room for one.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let connections = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder.writev(false);
    tokio::pin!(shutdown);
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => socket,
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    eprintln!("accepting a connection: {error}");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection(TokioIo::new(socket), service);
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            // A client that goes away mid-response is no error of the server's.
            let _ = connection.await;
        });
    }
    drop(listener);
    connections.shutdown().await;
    Ok(())
}

/// Whether `error` concerns only the connection being accepted: accept the next one.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
