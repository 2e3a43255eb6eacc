//! A tick every second as an event stream, on axum, resuming after the client's
//! `Last-Event-ID`.
//!
//! ```text
//! cargo run -p ssekit-axum --example axum_ticks
//! curl -N -i -H 'Accept: text/event-stream' http://127.0.0.1:3000/ticks
//! curl -N -i -H 'Accept: text/event-stream' -H 'Last-Event-ID: 41' http://127.0.0.1:3000/ticks
//! ```

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use futures_util::{Stream, stream};
use ssekit_axum::{AcceptsEventStream, Event, KeepAlive, LastEventId, Sse};

async fn ticks(
    _: AcceptsEventStream,
    LastEventId(last_event_id): LastEventId,
) -> Sse<impl Stream<Item = Event>> {
    let first = last_event_id
        .and_then(|id| id.parse::<u64>().ok())
        .map_or(1, |id| id + 1);
    let ticks = stream::unfold(first, move |n| async move {
        if n > first {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let event = Event::new(format!("tick {n}")).with_id(n.to_string());
        Some((event.expect("an id of digits is valid"), n + 1))
    });
    Sse::new(ticks).keep_alive(KeepAlive::new().comment("keep-alive"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("ticking at http://{}/ticks", listener.local_addr()?);
    axum::serve(listener, Router::new().route("/ticks", get(ticks))).await
}
