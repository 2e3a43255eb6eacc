//! 100,000 topics used once and abandoned (a topic per user, each user gone) on the Redis
//! backend: the instance lets go of every one of them, and the memory they took is given
//! back once the reader's read in flight has returned. Alone in its file, so that no other
//! test's memory moves the figures.
//!
//! Counted at the allocator, on a runtime with one thread (the readers' task included): every
//! byte allocated and not freed.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use ssekit_core::Event;
use ssekit_hub::{Backend, HubConfig};
use ssekit_redis::{RedisBackend, RedisConfig};
use ssekit_testing::RedisServer;

const TOPICS: usize = 100_000;
/// Users at once: each publishes to a topic of its own, reads its event back, and leaves.
const AT_ONCE: usize = 500;
/// Topics of the warm-up round: enough batches of users that every queue and map has grown
/// to what the load needs.
const WARM_UP: usize = 10 * AT_ONCE;
/// The reader's blocking read (`XREAD ... BLOCK`) of this test's configuration.
const READ_BLOCK: Duration = Duration::from_millis(200);
/// How long a round waits after its last user left, before its memory is counted: several
/// blocking reads, so that the reader's read in flight, which holds the topics it was asked
/// for (as many as 300 on a loaded machine), has returned and let go of them.
const SETTLE: Duration = Duration::from_secs(1);

async fn use_and_abandon(backend: &RedisBackend, round: usize, topics: usize) {
    for batch in 0..topics / AT_ONCE {
        let users = (0..AT_ONCE).map(|user| async move {
            let topic = format!("user-{round}-{}", batch * AT_ONCE + user);
            let id = backend
                .publish(&topic, Event::new("welcome"))
                .await
                .unwrap();
            let mut subscription = backend.subscribe(&topic, Some(&(id - 1).to_string()));
            let frames = tokio::time::timeout(
                Duration::from_secs(10),
                futures_util::StreamExt::next(&mut subscription),
            )
            .await
            .expect("the event comes back")
            .expect("the stream is open");
            assert!(frames.ends_with(b"data: welcome\n\n"));
        });
        join_all(users).await;
    }
    let stats = backend.redis_stats();
    assert_eq!(
        (
            stats.followed_topics,
            stats.hub.topics,
            stats.hub.subscribers
        ),
        (0, 0, 0)
    );
    tokio::time::sleep(SETTLE).await;
}

#[test]
fn a_hundred_thousand_abandoned_topics_give_their_memory_back() {
    let server = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = RedisConfig::new(server.url())
        .hub(HubConfig::new().idle_topic_timeout(Duration::from_secs(1)))
        .read_block(READ_BLOCK, Duration::from_secs(2));
    let backend = runtime.block_on(RedisBackend::connect(config)).unwrap();
    // What the first topics leave for good (connections' buffers, the script, queues and maps
    // grown to a batch of users) is the instance's, not the topics': a warm-up round pays.
    runtime.block_on(use_and_abandon(&backend, 0, WARM_UP));
    let started = Instant::now();
    let rounds: Vec<_> = (1..=2)
        .map(|round| {
            allocation_counter::measure(|| {
                runtime.block_on(use_and_abandon(&backend, round, TOPICS));
            })
        })
        .collect();
    println!(
        "{TOPICS} topics per round, {:.1} s for both; heap: {} KiB at the peak, {} KiB left after the first \
         round, {} after the second",
        started.elapsed().as_secs_f64(),
        rounds[0].bytes_max / 1024,
        rounds[0].bytes_current / 1024,
        rounds[1].bytes_current / 1024,
    );
    assert_eq!(
        backend.redis_stats().hub.topics_removed,
        (2 * TOPICS + WARM_UP) as u64
    );
    // From before the first round to after the second (a round may free what the one before
    // grew, so each alone moves by more than both together), within 10% of the peak.
    let left = u64::try_from((rounds[0].bytes_current + rounds[1].bytes_current).max(0)).unwrap();
    let peak = rounds[0].bytes_max.max(rounds[1].bytes_max);
    assert!(left * 10 <= peak, "{left} bytes of {peak} kept");
    // In Redis, every topic's keys expire after the idle timeout.
    std::thread::sleep(Duration::from_millis(1500));
    let mut connection = server.connection();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: Vec<String> = redis::cmd("SCAN")
            .arg(0)
            .arg("MATCH")
            .arg("ssekit:{user-*}:[en]*")
            .arg("COUNT")
            .arg(1_000_000)
            .query::<(String, Vec<String>)>(&mut connection)
            .unwrap()
            .1;
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} topics' keys still in Redis",
            left.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
