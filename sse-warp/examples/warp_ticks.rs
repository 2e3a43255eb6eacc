//! A tick every second as an event stream, on warp, resuming after the client's
//! `Last-Event-ID`.
//!
//! ```text
//! cargo run -p ssekit-warp --example warp_ticks
//! curl -N -i -H 'Accept: text/event-stream' http://127.0.0.1:3030/ticks
//! curl -N -i -H 'Accept: text/event-stream' -H 'Last-Event-ID: 41' http://127.0.0.1:3030/ticks
//! ```

use std::time::Duration;

use futures_util::{StreamExt, stream};
use ssekit_warp::{Event, KeepAlive, Sse};
use warp::Filter;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let ticks = warp::path("ticks")
        .and(ssekit_warp::accepts_event_stream())
        .and(ssekit_warp::last_event_id())
        .map(|last_event_id: Option<String>| {
            let first = last_event_id
                .and_then(|id| id.parse::<u64>().ok())
                .map_or(1, |id| id + 1);
            let every_second = tokio::time::interval(Duration::from_secs(1));
            let ticks = stream::unfold(every_second, |mut every_second| async move {
                every_second.tick().await;
                Some(((), every_second))
            })
            .zip(stream::iter(first..))
            .map(|((), n)| Event::new(format!("tick {n}")).with_id(n.to_string()));
            Sse::new(ticks).keep_alive(KeepAlive::new().comment("keep-alive"))
        });
    let port = std::env::var("PORT").unwrap_or_else(|_| "3030".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("ticking at http://{}/ticks", listener.local_addr()?);
    warp::serve(ticks).incoming(listener).run().await;
    Ok(())
}
