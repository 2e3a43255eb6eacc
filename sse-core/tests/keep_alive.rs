//! Keep-alive on tokio's paused clock: comments go out only after a quiet interval, and every
//! frame restarts it.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};
use ssekit_core::{Event, FramesBody, KeepAlive, TokioTimer, encode_stream};
use tokio::time::Instant;

const INTERVAL: Duration = Duration::from_secs(15);

/// Events that come out after the given delays (each counted from the previous event), then
/// nothing, forever.
fn events_after(delays: &[u64]) -> impl Stream<Item = Event> + use<> {
    let delays: Vec<u64> = delays.to_vec();
    stream::iter(delays.into_iter().enumerate())
        .then(|(index, delay)| async move {
            tokio::time::sleep(Duration::from_secs(delay)).await;
            Event::new(format!("event {index}"))
        })
        .chain(stream::pending())
}

/// The first `count` frames, each with the second (from the start) at which it came out.
async fn timed_frames(
    frames: impl Stream<Item = Result<Bytes, std::convert::Infallible>>,
    count: usize,
) -> Vec<(u64, Bytes)> {
    let start = Instant::now();
    frames
        .take(count)
        .map(|frame| (start.elapsed().as_secs(), frame.unwrap()))
        .collect()
        .await
}

#[tokio::test(start_paused = true)]
async fn quiet_stream_gets_a_comment_every_interval() {
    let body = KeepAlive::new()
        .interval(INTERVAL)
        .comment("ping")
        .wrap(encode_stream(events_after(&[0])));
    let frames = timed_frames(body, 4).await;
    assert_eq!(
        frames,
        [
            (0, Bytes::from("data: event 0\n\n")),
            (15, Bytes::from(":ping\n\n")),
            (30, Bytes::from(":ping\n\n")),
            (45, Bytes::from(":ping\n\n")),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn every_event_restarts_the_interval() {
    let body = KeepAlive::new()
        .interval(INTERVAL)
        .wrap(encode_stream(events_after(&[10, 10, 14])));
    let frames = timed_frames(body, 5).await;
    let times: Vec<u64> = frames.iter().map(|(second, _)| *second).collect();
    // Events at 10, 20 and 34: no gap reaches 15 s until after the last one.
    assert_eq!(times, [10, 20, 34, 49, 64]);
    assert_eq!(frames[3].1, ":\n\n");
}

#[tokio::test(start_paused = true)]
async fn busy_stream_gets_no_comment() {
    let delays = [5; 20];
    let body = KeepAlive::new()
        .interval(INTERVAL)
        .wrap(encode_stream(events_after(&delays)));
    let frames = timed_frames(body, 20).await;
    assert!(frames.iter().all(|(_, frame)| frame.starts_with(b"data: ")));
}

#[tokio::test(start_paused = true)]
async fn stream_end_ends_the_keep_alive() {
    let events = stream::iter([Event::new("only")]);
    let body = KeepAlive::new().wrap(encode_stream(events));
    let frames: Vec<_> = body.collect().await;
    assert_eq!(frames.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn errors_pass_through() {
    let events = stream::iter([Ok(Event::new("a")), Err("broken")]);
    let body = KeepAlive::new().wrap(encode_stream(events));
    let frames: Vec<_> = body.collect().await;
    assert_eq!(frames, [Ok(Bytes::from("data: a\n\n")), Err("broken")]);
}

#[tokio::test(start_paused = true)]
async fn frames_encoded_beforehand_get_the_same_keep_alive() {
    let frames = events_after(&[10]).map(|event| event.to_bytes());
    let keep_alive = KeepAlive::new().interval(INTERVAL).comment("ping");
    let body = FramesBody::new(frames, Some(keep_alive), TokioTimer);
    let frames = timed_frames(body, 3).await;
    assert_eq!(
        frames,
        [
            (10, Bytes::from("data: event 0\n\n")),
            (25, Bytes::from(":ping\n\n")),
            (40, Bytes::from(":ping\n\n")),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn frames_body_without_keep_alive_passes_frames_through_and_ends_with_them() {
    let frames = stream::iter([Bytes::from_static(b"data: a\n\n")]);
    let frames: Vec<_> = FramesBody::new(frames, None, TokioTimer).collect().await;
    assert_eq!(frames, [Ok(Bytes::from("data: a\n\n"))]);
}
