//! The faults of BACKPLANE.md, each injected on loopback: what must hold, and what the docs
//! promise.

mod common;

use std::time::Duration;

use common::proxy::Mode;
use common::{Proxy, RedisServer, Seen, attached, ends_within, read_events};
use ssekit_core::Event;
use ssekit_hub::{Backend, HubConfig, OnUnknownId};
use ssekit_redis::{ErrorKind, RedisBackend, RedisConfig};

const WITHIN: Duration = Duration::from_secs(10);

/// Short waits everywhere, so that each fault plays out in a second or two.
fn config(url: String) -> RedisConfig {
    RedisConfig::new(url)
        .read_block(Duration::from_millis(200), Duration::from_millis(300))
        .command_timeout(Duration::from_millis(300))
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
        .publish_deadline(Duration::from_secs(5))
}

fn marker_config(url: String) -> RedisConfig {
    let marker = Event::new("missed").with_event_type("reset").unwrap();
    config(url).hub(
        HubConfig::new()
            .on_unknown_id(OnUnknownId::Marker(marker))
            .backlog(5000),
    )
}

/// Every id once, each one more than the last.
fn assert_contiguous(seen: &[Seen]) {
    for pair in seen.windows(2) {
        assert_eq!(
            pair[1].0,
            pair[0].0 + 1,
            "a gap or a duplicate: {:?}",
            &pair
        );
    }
}

fn data(seen: &[Seen]) -> Vec<String> {
    seen.iter().map(|(_, data)| data.clone()).collect()
}

#[tokio::test]
async fn redis_frozen_publications_wait_or_fail_as_documented_and_readers_resume() {
    let server = RedisServer::start();
    let a = RedisBackend::connect(config(server.url())).await.unwrap();
    let hasty =
        RedisBackend::connect(config(server.url()).publish_deadline(Duration::from_millis(400)))
            .await
            .unwrap();
    let mut live = attached(a.subscribe("talk", None)).await;
    a.publish("talk", Event::new("before")).await.unwrap();

    server.freeze();
    let waiting = tokio::spawn(a.publish("talk", Event::new("during")));
    let failed = hasty.publish("talk", Event::new("hasty")).await;
    assert_eq!(
        failed.unwrap_err().kind(),
        ErrorKind::Timeout,
        "gave up at its deadline"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.thaw();

    let during = waiting
        .await
        .unwrap()
        .expect("waited through the freeze, within its deadline");
    a.publish("talk", Event::new("after")).await.unwrap();
    let seen = read_events(&mut live, 4, WITHIN).await;
    assert_contiguous(&seen);
    // The hasty publication's command reached Redis before it froze: it may have been
    // applied (the docs say so), and then it is delivered once like any other.
    let delivered = data(&seen);
    let expected: Vec<&str> = if delivered.contains(&"hasty".to_owned()) {
        vec!["before", "during", "hasty", "after"]
    } else {
        vec!["before", "during", "after"]
    };
    let mut sorted = delivered.clone();
    sorted.sort();
    let mut expected_sorted: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    expected_sorted.sort();
    assert_eq!(sorted, expected_sorted, "each once: {delivered:?}");
    assert!(
        seen.iter()
            .any(|(id, data)| *id == during && data == "during")
    );
    assert!(a.redis_stats().publish_retries >= 1);
}

#[tokio::test]
async fn redis_restarted_without_persistence_starts_a_new_epoch_and_old_ids_are_unknown() {
    let mut server = RedisServer::start();
    let a = RedisBackend::connect(marker_config(server.url()))
        .await
        .unwrap();
    let mut live = attached(a.subscribe("talk", None)).await;
    let old = a.publish("talk", Event::new("old")).await.unwrap();
    assert_eq!(
        read_events(&mut live, 1, WITHIN).await,
        [(old, "old".to_owned())]
    );

    server.restart();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let new = a.publish("talk", Event::new("new")).await.unwrap();
    assert!(
        new > old + 1,
        "a new epoch, from the clock: {new} after {old}"
    );
    // The reader sees the jump: the subscriber ends rather than skip silently.
    assert!(ends_within(&mut live, WITHIN).await);
    assert_eq!(a.redis_stats().gaps, 1);
    // Its client resumes with the old id: unknown, so the marker, then the new epoch.
    let mut resumed = a.subscribe("talk", Some(&old.to_string()));
    let seen = read_events(&mut resumed, 2, WITHIN).await;
    assert_eq!(seen, [(0, "missed".to_owned()), (new, "new".to_owned())]);
    // An instance that starts now knows nothing of the old epoch either.
    let b = RedisBackend::connect(marker_config(server.url()))
        .await
        .unwrap();
    let mut on_b = b.subscribe("talk", Some(&old.to_string()));
    assert_eq!(read_events(&mut on_b, 2, WITHIN).await, seen);
}

#[tokio::test]
async fn connections_reset_readers_reconnect_and_publications_retry_losing_nothing() {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let a = RedisBackend::connect(config(proxy.url())).await.unwrap();
    let mut live = attached(a.subscribe("talk", None)).await;
    let mut published = Vec::new();
    for round in 0..10 {
        published.push(
            a.publish("talk", Event::new(format!("e{round}")))
                .await
                .unwrap(),
        );
        if round % 3 == 0 {
            proxy.reset();
        }
        if round == 5 {
            let killed: u64 = redis::cmd("CLIENT")
                .arg("KILL")
                .arg("TYPE")
                .arg("normal")
                .arg("SKIPME")
                .arg("yes")
                .query(&mut server.connection())
                .unwrap();
            assert!(killed >= 1);
        }
    }
    let seen = read_events(&mut live, 10, WITHIN).await;
    assert_contiguous(&seen);
    assert_eq!(
        seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        published
    );
    assert!(a.redis_stats().reader_reconnects >= 1);
    assert!(proxy.connections_made() > 2, "connections were made again");
}

#[tokio::test]
async fn a_half_open_connection_is_replaced_by_the_watchdog() {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let a = RedisBackend::connect(config(proxy.url())).await.unwrap();
    let direct = RedisBackend::connect(config(server.url())).await.unwrap();
    let mut live = attached(a.subscribe("talk", None)).await;
    direct.publish("talk", Event::new("before")).await.unwrap();
    assert_eq!(data(&read_events(&mut live, 1, WITHIN).await), ["before"]);

    proxy.set_mode(Mode::Silent);
    for data in ["s1", "s2", "s3"] {
        direct.publish("talk", Event::new(data)).await.unwrap();
    }
    // No reply within the block time and the margin: the reader takes the connection for
    // dead (it still looks open) and connects again, which succeeds once the path works.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        read_events(&mut live, 1, Duration::from_millis(10))
            .await
            .is_empty()
    );
    proxy.set_mode(Mode::Forward);
    proxy.reset();
    let seen = read_events(&mut live, 3, WITHIN).await;
    assert_eq!(data(&seen), ["s1", "s2", "s3"]);
    assert!(a.redis_stats().reader_reconnects >= 1);
}

#[tokio::test]
async fn a_reply_lost_after_the_publication_applied_is_retried_to_the_same_id() {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let a = RedisBackend::connect(config(proxy.url())).await.unwrap();
    let direct = RedisBackend::connect(config(server.url())).await.unwrap();
    let mut live = attached(direct.subscribe("talk", None)).await;
    proxy.set_mode(Mode::DropReplies);
    let publication = tokio::spawn(a.publish("talk", Event::new("once")));
    tokio::time::sleep(Duration::from_millis(800)).await;
    proxy.set_mode(Mode::Forward);
    let id = publication.await.unwrap().expect("a retry got the reply");
    let len: u64 = redis::cmd("XLEN")
        .arg("ssekit:{talk}:events")
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(len, 1, "applied once");
    assert_eq!(
        read_events(&mut live, 2, Duration::from_millis(1500)).await,
        [(id, "once".to_owned())]
    );
    assert!(a.redis_stats().publish_retries >= 1);
}

#[tokio::test]
async fn a_reader_fallen_behind_the_stream_finds_the_gap_and_cuts_its_subscribers() {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let a = RedisBackend::connect(marker_config(proxy.url()).stream_len(Some(10)))
        .await
        .unwrap();
    let direct = RedisBackend::connect(marker_config(server.url()).stream_len(Some(10)))
        .await
        .unwrap();
    let mut live = attached(a.subscribe("talk", None)).await;
    let first = direct.publish("talk", Event::new("seen")).await.unwrap();
    assert_eq!(
        read_events(&mut live, 1, WITHIN).await,
        [(first, "seen".to_owned())]
    );

    proxy.set_mode(Mode::Silent);
    // `MAXLEN ~` trims whole nodes of 100 entries: well past them.
    for index in 0..500 {
        direct
            .publish("talk", Event::new(format!("e{index}")))
            .await
            .unwrap();
    }
    proxy.set_mode(Mode::Forward);
    proxy.reset();
    assert!(
        ends_within(&mut live, WITHIN).await,
        "cut off, not fed past a hole"
    );
    assert_eq!(a.redis_stats().gaps, 1);
    let mut resumed = a.subscribe("talk", Some(&first.to_string()));
    let seen = read_events(&mut resumed, 1, WITHIN).await;
    assert_eq!(
        seen[0].1, "missed",
        "what OnUnknownId says, never a silent gap"
    );
    assert_contiguous(&seen[1..]);
}

#[tokio::test]
async fn the_script_cache_flushed_the_script_is_loaded_again() {
    let server = RedisServer::start();
    let a = RedisBackend::connect(config(server.url())).await.unwrap();
    let first = a.publish("talk", Event::new("a")).await.unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query(&mut server.connection())
        .unwrap();
    let second = a.publish("talk", Event::new("b")).await.unwrap();
    assert_eq!(second, first + 1);
    assert_eq!(a.redis_stats().publish_errors, 0);
}

#[tokio::test]
async fn a_reconnect_storm_costs_redis_work_per_topic_not_per_client() {
    let server = RedisServer::start();
    let publisher = RedisBackend::connect(config(server.url())).await.unwrap();
    let mut ids = Vec::new();
    for index in 0..50 {
        ids.push(
            publisher
                .publish("talk", Event::new(format!("e{index}")))
                .await
                .unwrap(),
        );
    }
    let a = RedisBackend::connect(config(server.url())).await.unwrap();
    let before = server.commands_run();
    // 2,000 clients come at once, each with an id of its own in the last 50.
    let mut storm: Vec<_> = (0..2000)
        .map(|client| a.subscribe("talk", Some(&ids[client % 49].to_string())))
        .collect();
    let mut delivered = 0;
    for (client, subscription) in storm.iter_mut().enumerate() {
        let want = 49 - client % 49;
        let seen = read_events(subscription, want, WITHIN).await;
        assert_eq!(seen.len(), want);
        assert_contiguous(&seen);
        delivered += seen.len();
    }
    let spent = server.commands_run() - before;
    assert!(delivered > 40_000);
    assert!(
        spent < 50,
        "Redis ran {spent} commands for 2,000 resumes of one topic"
    );
    assert_eq!(a.redis_stats().resumed_from_memory, 2000);
}

#[tokio::test]
async fn churned_topics_leave_the_instance_and_expire_in_redis() {
    let server = RedisServer::start();
    let idle = HubConfig::new().idle_topic_timeout(Duration::from_millis(500));
    let a = RedisBackend::connect(config(server.url()).hub(idle))
        .await
        .unwrap();
    for user in 0..300 {
        let topic = format!("user-{user}");
        let id = a.publish(&topic, Event::new("hi")).await.unwrap();
        let mut subscription = a.subscribe(&topic, Some(&(id - 1).to_string()));
        assert_eq!(
            read_events(&mut subscription, 1, WITHIN).await,
            [(id, "hi".to_owned())]
        );
    }
    let stats = a.redis_stats();
    assert_eq!((stats.followed_topics, stats.hub.topics), (0, 0));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut connection = server.connection();
    let topics: Vec<String> = redis::cmd("KEYS")
        .arg("ssekit:{user-*}:[en]*")
        .query(&mut connection)
        .unwrap();
    assert_eq!(
        topics,
        Vec::<String>::new(),
        "every topic's stream and counter expired"
    );
    // What is left are the publications' idempotency keys, each for twice the deadline, and
    // the reader's wake-up stream.
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("ssekit:{*")
        .query(&mut connection)
        .unwrap();
    assert!(
        keys.iter().all(|key| key.contains("}:published:")),
        "{keys:?}"
    );
    for key in keys {
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut connection).unwrap();
        assert!(ttl > 0 && ttl <= 10_000, "{key}: {ttl} ms");
    }
}
