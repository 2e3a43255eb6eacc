//! One Redis, one or more instances: publishing, delivery and every kind of resume.

mod common;

use std::time::Duration;

use common::{RedisServer, attached, read_events};
use ssekit_core::Event;
use ssekit_hub::{Backend, HubConfig, OnUnknownId, Retention};
use ssekit_redis::{RedisBackend, RedisConfig};

const WITHIN: Duration = Duration::from_secs(5);

fn config(server: &RedisServer) -> RedisConfig {
    RedisConfig::new(server.url())
        .read_block(Duration::from_millis(300), Duration::from_millis(500))
}

async fn publish_all(backend: &RedisBackend, topic: &str, data: &[&str]) -> Vec<u64> {
    let mut ids = Vec::new();
    for data in data {
        ids.push(backend.publish(topic, Event::new(*data)).await.unwrap());
    }
    ids
}

fn seen(ids: &[u64], data: &[&str]) -> Vec<(u64, String)> {
    ids.iter()
        .zip(data)
        .map(|(id, data)| (*id, (*data).to_owned()))
        .collect()
}

#[tokio::test]
async fn ids_are_contiguous_from_the_clock_and_subscribers_get_every_event_in_order() {
    let server = RedisServer::start();
    let backend = RedisBackend::connect(config(&server)).await.unwrap();
    let mut live = attached(backend.subscribe("talk", None)).await;
    let data = ["a", "b", "c"];
    let ids = publish_all(&backend, "talk", &data).await;
    assert_eq!(ids[1], ids[0] + 1);
    assert_eq!(ids[2], ids[0] + 2);
    let clock = ssekit_hub::id::clock_first_id(std::time::SystemTime::now());
    assert!(
        ids[0] <= clock && ids[0] > clock - (60_000 << 20),
        "from the clock, this minute"
    );
    assert_eq!(read_events(&mut live, 3, WITHIN).await, seen(&ids, &data));
    assert_eq!(backend.redis_stats().hub.published, 3);
}

#[tokio::test]
async fn frames_are_what_the_in_memory_hub_writes() {
    let server = RedisServer::start();
    let backend = RedisBackend::connect(config(&server)).await.unwrap();
    let mut live = attached(backend.subscribe("talk", None)).await;
    let event = Event::new("a\nb")
        .with_event_type("tick")
        .unwrap()
        .with_comment("c")
        .with_retry(Duration::from_secs(1));
    let id = backend.publish("talk", event.clone()).await.unwrap();
    let frame = tokio::time::timeout(WITHIN, futures_util::StreamExt::next(&mut live))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(frame, event.with_id(id.to_string()).unwrap().to_bytes());
}

#[tokio::test]
async fn a_client_resumes_on_another_instance_from_its_window() {
    let server = RedisServer::start();
    let a = RedisBackend::connect(config(&server)).await.unwrap();
    let b = RedisBackend::connect(config(&server)).await.unwrap();
    let mut on_a = attached(a.subscribe("talk", None)).await;
    let mut on_b = attached(b.subscribe("talk", None)).await;
    let data = ["1", "2", "3", "4"];
    let ids = publish_all(&a, "talk", &data).await;
    assert_eq!(read_events(&mut on_a, 4, WITHIN).await, seen(&ids, &data));
    assert_eq!(read_events(&mut on_b, 4, WITHIN).await, seen(&ids, &data));
    // Saw the first two on a; resumes on b, which follows the topic.
    let mut resumed = b.subscribe("talk", Some(&ids[1].to_string()));
    assert_eq!(
        read_events(&mut resumed, 2, WITHIN).await,
        seen(&ids[2..], &data[2..])
    );
    assert_eq!(b.redis_stats().resumed_from_memory, 1);
}

#[tokio::test]
async fn an_instance_that_follows_a_topic_late_loads_its_latest_events_once() {
    let server = RedisServer::start();
    let a = RedisBackend::connect(config(&server)).await.unwrap();
    let data = ["1", "2", "3"];
    let ids = publish_all(&a, "talk", &data).await;
    let b = RedisBackend::connect(config(&server)).await.unwrap();
    let mut resumed = b.subscribe("talk", Some(&ids[0].to_string()));
    assert_eq!(
        read_events(&mut resumed, 2, WITHIN).await,
        seen(&ids[1..], &data[1..])
    );
    assert_eq!(
        b.local().retained_len("talk"),
        3,
        "attaching loaded the stream's latest"
    );
    let stats = b.redis_stats();
    assert_eq!(
        (stats.resumed_from_memory, stats.resumed_from_redis),
        (1, 0)
    );
}

#[tokio::test]
async fn an_id_older_than_the_window_is_paged_from_redis() {
    let server = RedisServer::start();
    let small_window = HubConfig::new()
        .retention(Retention::new().max_events(2))
        .backlog(2000);
    let a = RedisBackend::connect(config(&server).hub(small_window).stream_len(Some(1000)))
        .await
        .unwrap();
    let data: Vec<String> = (0..1200).map(|i| format!("e{i}")).collect();
    let data: Vec<&str> = data.iter().map(String::as_str).collect();
    let mut holder = attached(a.subscribe("talk", None)).await;
    let ids = publish_all(&a, "talk", &data).await;
    assert_eq!(read_events(&mut holder, 1200, WITHIN).await.len(), 1200);
    assert_eq!(a.local().retained_len("talk"), 2);
    // 600 back: beyond the local window of 2, within Redis's 1000 (pages of 512).
    let mut resumed = a.subscribe("talk", Some(&ids[599].to_string()));
    assert_eq!(
        read_events(&mut resumed, 600, WITHIN).await,
        seen(&ids[600..], &data[600..])
    );
    assert_eq!(a.redis_stats().resumed_from_redis, 1);
    // 1150 back: trimmed from Redis too (it keeps at least 1000): unknown, so ReplayAll
    // replays all that Redis and the window hold, oldest first, then the live events.
    let mut unknown = a.subscribe("talk", Some(&ids[50].to_string()));
    let replayed = read_events(&mut unknown, 1200, Duration::from_secs(1)).await;
    assert!(
        replayed.len() >= 1000 && replayed.len() < 1150,
        "{}",
        replayed.len()
    );
    let from = 1200 - replayed.len();
    assert_eq!(replayed, seen(&ids[from..], &data[from..]));
    assert_eq!(a.redis_stats().resumed_unknown, 1);
}

#[tokio::test]
async fn ids_never_given_get_what_on_unknown_id_says() {
    let server = RedisServer::start();
    let marker = Event::new("missed").with_event_type("reset").unwrap();
    let hub = HubConfig::new().on_unknown_id(OnUnknownId::Marker(marker));
    let a = RedisBackend::connect(config(&server).hub(hub))
        .await
        .unwrap();
    let ids = publish_all(&a, "talk", &["x"]).await;
    for unknown in ["12", "garbage", &(ids[0] + 5).to_string()] {
        let mut subscription = a.subscribe("talk", Some(unknown));
        let events = read_events(&mut subscription, 2, WITHIN).await;
        assert_eq!(
            events,
            [(0, "missed".to_owned()), (ids[0], "x".to_owned())],
            "{unknown}"
        );
    }
    assert_eq!(a.redis_stats().resumed_unknown, 3);
}

#[tokio::test]
async fn a_publication_retried_with_its_key_publishes_once() {
    let server = RedisServer::start();
    let a = RedisBackend::connect(config(&server)).await.unwrap();
    let first = a
        .publish_with_key("orders", Event::new("paid"), "order-17")
        .await
        .unwrap();
    let again = a
        .publish_with_key("orders", Event::new("paid"), "order-17")
        .await
        .unwrap();
    assert_eq!(first, again);
    let len: u64 = redis::cmd("XLEN")
        .arg("ssekit:{orders}:events")
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(len, 1);
}

#[tokio::test]
async fn a_topic_nobody_follows_any_more_leaves_the_instance() {
    let server = RedisServer::start();
    let a = RedisBackend::connect(config(&server)).await.unwrap();
    publish_all(&a, "talk", &["x"]).await;
    let mut subscription = a.subscribe("talk", Some("0"));
    let _ = read_events(&mut subscription, 1, WITHIN).await;
    assert_eq!(a.redis_stats().followed_topics, 1);
    assert_eq!(a.local().retained_len("talk"), 1);
    drop(subscription);
    assert_eq!(a.redis_stats().followed_topics, 0);
    assert_eq!(a.local().retained_len("talk"), 0);
    assert_eq!(a.redis_stats().hub.topics, 0);
}

#[tokio::test]
async fn a_subscriber_of_a_followed_topic_gets_what_is_published_before_it_is_polled() {
    let server = RedisServer::start();
    let a = RedisBackend::connect(config(&server)).await.unwrap();
    let mut first = attached(a.subscribe("talk", None)).await;
    let mut second = a.subscribe("talk", None);
    let ids = publish_all(&a, "talk", &["x", "y"]).await;
    assert_eq!(
        read_events(&mut first, 2, WITHIN).await,
        seen(&ids, &["x", "y"])
    );
    assert_eq!(
        read_events(&mut second, 2, WITHIN).await,
        seen(&ids, &["x", "y"])
    );
    assert_eq!(a.redis_stats().resumed_from_memory, 0, "no client resumed");
}

#[tokio::test]
async fn ids_are_incremented_as_decimal_strings_across_every_carry() {
    let server = RedisServer::start();
    let a = RedisBackend::connect(config(&server)).await.unwrap();
    let mut connection = server.connection();
    for (counter, next) in [
        ("7", 8_u64),
        ("999999999999999", 1_000_000_000_000_000),
        ("1000999999999999999", 1_001_000_000_000_000_000),
        ("1883419724864290999", 1_883_419_724_864_291_000),
        ("9999999999999999999", 10_000_000_000_000_000_000),
    ] {
        let topic = format!("carry-{counter}");
        let _: () = redis::cmd("SET")
            .arg(format!("ssekit:{{{topic}}}:next"))
            .arg(counter)
            .query(&mut connection)
            .unwrap();
        assert_eq!(
            a.publish(&topic, Event::new("x")).await.unwrap(),
            next,
            "after {counter}"
        );
        assert_eq!(a.publish(&topic, Event::new("y")).await.unwrap(), next + 1);
    }
}

#[tokio::test]
async fn a_subscriber_of_a_topic_not_followed_yet_gets_what_is_published_after_it_subscribed() {
    let server = RedisServer::start();
    let a = RedisBackend::connect(config(&server)).await.unwrap();
    publish_all(&a, "talk", &["before"]).await;
    // Published in an earlier millisecond than the subscription.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut subscription = a.subscribe("talk", None);
    let ids = publish_all(&a, "talk", &["x", "y"]).await;
    assert_eq!(
        read_events(&mut subscription, 2, WITHIN).await,
        seen(&ids, &["x", "y"])
    );
    // A topic nobody published to yet: from its first event.
    let mut fresh = a.subscribe("new", None);
    let ids = publish_all(&a, "new", &["first"]).await;
    assert_eq!(
        read_events(&mut fresh, 1, WITHIN).await,
        seen(&ids, &["first"])
    );
}
