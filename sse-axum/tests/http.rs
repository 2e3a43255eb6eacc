//! ssekit-axum over real HTTP: an axum server on 127.0.0.1 and a hyper client, through every
//! scenario of `ssekit-testing`.

use std::net::SocketAddr;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use ssekit_axum::{AcceptsEventStream, LastEventId, Sse};
use ssekit_testing::{Framework, Setup, scenarios};
use tower_http::compression::CompressionLayer;

struct Axum;

impl Framework for Axum {
    const REFUSED: StatusCode = StatusCode::NOT_ACCEPTABLE;

    async fn serve(setup: Setup) -> SocketAddr {
        let Setup {
            source,
            keep_alive,
            compression,
        } = setup;
        let events = move |_: AcceptsEventStream, LastEventId(last_event_id): LastEventId| {
            let sse = Sse::new(source(last_event_id));
            async move {
                match keep_alive {
                    Some(keep_alive) => sse.keep_alive(keep_alive),
                    None => sse.without_keep_alive(),
                }
            }
        };
        let mut app = Router::new().route("/events", get(events));
        if compression {
            app = app.layer(CompressionLayer::new());
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        address
    }
}

ssekit_testing::all_scenario_tests!(Axum);

#[tokio::test]
async fn frames_arrive_as_sent_with_keep_alive() {
    let frames = get(|| async {
        Sse::from_frames(scenarios::sample_frames()).keep_alive(scenarios::frames_keep_alive())
    });
    let app = Router::new().route("/frames", frames);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    scenarios::frames_arrive_as_sent_with_keep_alive(address).await;
}
