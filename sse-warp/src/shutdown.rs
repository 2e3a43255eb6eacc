//! One shutdown signal for every event-stream reply of a filter.

use http_body_util::BodyExt;
use ssekit_core::{Shutdown, headers};
use warp::Filter;
use warp::http::header;
use warp::reply::{Reply, Response};

/// `filter`, with every event-stream reply it gives ending at `shutdown`: when the signal
/// completes, each open stream writes the shutdown's last frame (a `retry:` hint by default)
/// and ends, so that warp's graceful shutdown completes instead of waiting for its clients.
///
/// It touches only replies whose `Content-Type` is `text/event-stream`, and wraps their body
/// as it is: this crate's [`Sse`](crate::Sse), and any other body whose chunks are whole
/// events (the last frame goes between two chunks). Give the same `Shutdown` to the server,
/// so that it stops accepting at the same moment.
///
/// # Example
///
/// ```no_run
/// use futures_util::stream;
/// use ssekit_warp::{Event, Shutdown, Sse};
/// use warp::Filter;
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let shutdown = Shutdown::new(async {
///         let _ = tokio::signal::ctrl_c().await;
///     });
///     let events = warp::path("events").map(|| Sse::new(stream::pending::<Event>()));
///     let routes = ssekit_warp::until_shutdown(events, shutdown.clone());
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
///     warp::serve(routes).incoming(listener).graceful(shutdown).run().await;
///     Ok(())
/// }
/// ```
pub fn until_shutdown<F, R>(
    filter: F,
    shutdown: Shutdown,
) -> impl Filter<Extract = (Response,), Error = F::Error> + Clone + Send + Sync + 'static
where
    F: Filter<Extract = (R,)> + Clone + Send + Sync + 'static,
    R: Reply,
{
    filter.map(move |reply: R| ending_at(reply.into_response(), &shutdown))
}

/// `response`, whose body ends at `shutdown` if it is an event stream.
fn ending_at(response: Response, shutdown: &Shutdown) -> Response {
    let is_event_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| headers::is_event_stream(value.as_bytes()));
    if !is_event_stream {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = warp::reply::stream(shutdown.wrap(body.into_data_stream()))
        .into_response()
        .into_body();
    Response::from_parts(parts, body)
}
