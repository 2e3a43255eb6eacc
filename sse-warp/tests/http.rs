//! ssekit-warp over real HTTP: a warp server on 127.0.0.1 and a hyper client, through every
//! scenario of `ssekit-testing`.

use std::net::SocketAddr;

use futures_util::{StreamExt, stream};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use ssekit_hub::Hub;
use ssekit_testing::{Framework, Setup, ShutdownServer, scenarios};
use ssekit_warp::{Event, Sse};
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::compression::CompressionLayer;
use warp::Filter;
use warp::http::StatusCode;

struct Warp;

impl Framework for Warp {
    const REFUSED: StatusCode = StatusCode::NOT_FOUND;

    async fn serve(setup: Setup) -> SocketAddr {
        let Setup {
            source,
            keep_alive,
            compression,
        } = setup;
        let events = warp::path("events")
            .and(ssekit_warp::accepts_event_stream())
            .and(ssekit_warp::last_event_id())
            .map(move |last_event_id| {
                let sse = Sse::new(source(last_event_id));
                match keep_alive.clone() {
                    Some(keep_alive) => sse.keep_alive(keep_alive),
                    None => sse.without_keep_alive(),
                }
            });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        if compression {
            // warp's own server takes no tower layers: serve its service behind one instead.
            let service = ServiceBuilder::new()
                .layer(CompressionLayer::new())
                .service(warp::service(events));
            tokio::spawn(async move {
                loop {
                    let (connection, _) = listener.accept().await.unwrap();
                    let service = service.clone();
                    let service =
                        hyper::service::service_fn(move |request| service.clone().oneshot(request));
                    let connection = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(connection), service)
                        .into_owned();
                    tokio::spawn(connection);
                }
            });
        } else {
            tokio::spawn(warp::serve(events).incoming(listener).run());
        }
        address
    }
}

ssekit_testing::all_scenario_tests!(Warp);

#[tokio::test]
async fn frames_arrive_as_sent_with_keep_alive() {
    let frames = warp::path("frames").map(|| {
        Sse::from_frames(scenarios::sample_frames()).keep_alive(scenarios::frames_keep_alive())
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(frames).incoming(listener).run());
    scenarios::frames_arrive_as_sent_with_keep_alive(address).await;
}

#[tokio::test]
async fn open_streams_end_at_the_shutdown() {
    let (shutdown, stop) = scenarios::shutdown_signal();
    let hub = Hub::new();
    let stream_shutdown = shutdown.clone();
    let events = warp::path("events").map(move || {
        let events = stream::iter([Event::new("hello")]).chain(stream::pending());
        Sse::new(events).shutdown(stream_shutdown.clone())
    });
    let topic_hub = hub.clone();
    let topic = warp::path("topic").and(ssekit_warp::last_event_id()).map(
        move |last_event_id: Option<String>| {
            let topic = scenarios::SHUTDOWN_TOPIC;
            Sse::from_frames(topic_hub.subscribe(topic, last_event_id.as_deref()))
        },
    );
    let routes = events.or(ssekit_warp::until_shutdown(topic, shutdown.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = warp::serve(routes).incoming(listener).graceful(shutdown);
    let done = tokio::spawn(server.run());
    scenarios::open_streams_end_at_the_shutdown(ShutdownServer {
        address,
        hub,
        stop,
        done,
    })
    .await;
}
