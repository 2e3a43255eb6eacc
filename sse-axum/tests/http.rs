//! ssekit-axum over real HTTP: an axum server on 127.0.0.1 and a hyper client, through every
//! scenario of `ssekit-testing`.

use std::net::SocketAddr;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use futures_util::{StreamExt, stream};
use ssekit_axum::{AcceptsEventStream, Event, LastEventId, ShutdownLayer, Sse};
use ssekit_hub::Hub;
use ssekit_testing::{Framework, Setup, ShutdownServer, scenarios};
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

#[tokio::test]
async fn open_streams_end_at_the_shutdown() {
    let (shutdown, stop) = scenarios::shutdown_signal();
    let hub = Hub::new();
    let stream_shutdown = shutdown.clone();
    let events = get(move || {
        let shutdown = stream_shutdown.clone();
        async move {
            let events = stream::iter([Event::new("hello")]).chain(stream::pending());
            Sse::new(events).shutdown(shutdown)
        }
    });
    let topic_hub = hub.clone();
    let topic = get(move |LastEventId(last_event_id): LastEventId| {
        let subscription = topic_hub.subscribe(scenarios::SHUTDOWN_TOPIC, last_event_id.as_deref());
        async move { Sse::from_frames(subscription) }
    });
    let app = Router::new().route("/events", events).merge(
        Router::new()
            .route("/topic", topic)
            .layer(ShutdownLayer::new(shutdown.clone())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let done = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .unwrap();
    });
    scenarios::open_streams_end_at_the_shutdown(ShutdownServer {
        address,
        hub,
        stop,
        done,
    })
    .await;
}
