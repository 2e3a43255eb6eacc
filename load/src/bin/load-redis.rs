//! `load-redis`: what the Redis backend of `ssekit-hub` costs and gives, in one run against
//! one `redis-server` (its own, on a free loopback port, unless `--url` names one).
//!
//! ```text
//! cargo build --release -p ssekit-load
//! target/release/load-redis [--url redis://127.0.0.1:6379/]
//! ```
//!
//! The instances are `RedisBackend`s in this process, each with its own connections and
//! readers, and subscribers read their subscriptions directly: this measures the backend,
//! not HTTP (the `load` binary measures the servers). Phases, each bounded in count and time:
//!
//! - **latency**: 2,000 events published on instance A, one every 2 ms, each stamped with
//!   the clock; a subscriber on A and one on B: publish-to-delivery p50, p99, max for each;
//! - **throughput**: 200,000 publications from one instance, 256 in flight, against
//!   `redis-benchmark`'s raw `XADD` on the same Redis in the same run (50 clients, no
//!   pipelining; and 50 clients pipelining 16);
//! - **commands per publish** at 1, 2 and 4 instances, each with a subscriber (`INFO
//!   commandstats`);
//! - **reconnect storm**: 10,000 subscriptions resume at once on one instance, which follows
//!   the topic already, then on one that does not: Redis commands per 100 clients;
//! - **fan-out**: 10,000 subscribers on one instance, then split over two; 50 events, one
//!   every 100 ms: delivery p50, p99, max.

// Counts become `f64` only to print rates; they stay far below 2^52.
#![allow(clippy::cast_precision_loss)]

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use ssekit_core::{Decoded, Decoder, Event};
use ssekit_hub::{Backend, HubConfig, Retention};
use ssekit_load::{fanout_payload, now_nanos, sent_at};
use ssekit_redis::{RedisBackend, RedisConfig, RedisSubscription};
use ssekit_testing::RedisServer;

const USAGE: &str = "usage: load-redis [--url redis://host:port/] [--phases a,b,..]
phases: latency, throughput, commands, storm, fanout (all by default)";

const PHASES: [&str; 5] = ["latency", "throughput", "commands", "storm", "fanout"];

/// How many `XADD`s each `redis-benchmark` run sends.
const BENCHMARK_REQUESTS: usize = 200_000;

/// How long any one phase may take before the run gives up.
const PHASE_LIMIT: Duration = Duration::from_secs(120);

fn main() -> ExitCode {
    let mut url = None;
    let mut phases: Vec<String> = PHASES.iter().map(ToString::to_string).collect();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--url", Some(value)) => url = Some(value),
            ("--phases", Some(value)) if value.split(',').all(|phase| PHASES.contains(&phase)) => {
                phases = value.split(',').map(str::to_owned).collect();
            }
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    let server = url.is_none().then(RedisServer::start);
    let url = url.unwrap_or_else(|| server.as_ref().unwrap().url());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    match runtime
        .block_on(async { tokio::time::timeout(5 * PHASE_LIMIT, run(&url, &phases)).await })
    {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => {
            eprintln!("load-redis: {error}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("load-redis: the run took too long");
            ExitCode::FAILURE
        }
    }
}

async fn run(url: &str, phases: &[String]) -> Result<(), String> {
    let redis = redis::Client::open(url).map_err(|error| error.to_string())?;
    let mut admin = redis.get_connection().map_err(|error| error.to_string())?;
    let version: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut admin)
        .map_err(|error| error.to_string())?;
    let version = version
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .unwrap_or("?")
        .to_owned();
    println!("Redis {version} at {url}\n");
    for phase in phases {
        match phase.as_str() {
            "latency" => latency(url).await?,
            "throughput" => throughput(url, &mut admin).await?,
            "commands" => commands_per_publish(url, &mut admin).await?,
            "storm" => storm(url, &mut admin).await?,
            _ => fanout(url).await?,
        }
    }
    Ok(())
}

fn config(url: &str) -> RedisConfig {
    RedisConfig::new(url).hub(
        HubConfig::new()
            .retention(Retention::new().max_events(1000))
            .backlog(4096),
    )
}

async fn instance(url: &str) -> Result<RedisBackend, String> {
    RedisBackend::connect(config(url))
        .await
        .map_err(|error| error.to_string())
}

/// Reads `subscription` until `count` stamped events came (or the phase limit): each one's
/// delay from its stamp to now, in ns.
async fn delays(mut subscription: RedisSubscription, count: usize) -> Vec<u64> {
    let mut decoder = Decoder::new();
    let mut delays = Vec::with_capacity(count);
    let deadline = tokio::time::Instant::now() + PHASE_LIMIT;
    while delays.len() < count {
        let Ok(Some(frames)) = tokio::time::timeout_at(deadline, subscription.next()).await else {
            break;
        };
        let now = now_nanos();
        decoder.push(&frames);
        while let Ok(Some(decoded)) = decoder.next_decoded() {
            if let Decoded::Message(message) = decoded {
                if let Some(stamp) = sent_at(message.data().as_bytes()) {
                    delays.push(now.saturating_sub(stamp));
                }
            }
        }
    }
    delays
}

/// Waits until `subscription` is attached (its first poll finds where the topic stands).
async fn attached(mut subscription: RedisSubscription) -> RedisSubscription {
    let _ = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await;
    subscription
}

fn percentiles(mut delays: Vec<u64>) -> String {
    if delays.is_empty() {
        return "no deliveries".into();
    }
    delays.sort_unstable();
    let at = |permille: usize| delays[(delays.len() - 1) * permille / 1000] as f64 / 1e6;
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {}",
        at(500),
        at(990),
        at(1000),
        delays.len()
    )
}

async fn latency(url: &str) -> Result<(), String> {
    const EVENTS: usize = 2000;
    let a = instance(url).await?;
    let b = instance(url).await?;
    let same = tokio::spawn(delays(attached(a.subscribe("latency", None)).await, EVENTS));
    let across = tokio::spawn(delays(attached(b.subscribe("latency", None)).await, EVENTS));
    let mut ticks = tokio::time::interval(Duration::from_millis(2));
    for n in 0..EVENTS {
        ticks.tick().await;
        a.publish("latency", Event::new(fanout_payload(n as u64)))
            .await
            .map_err(|error| error.to_string())?;
    }
    println!("## Publish-to-delivery latency ({EVENTS} events, one every 2 ms, published on A)\n");
    println!(
        "- subscriber on A (the publishing instance): {}",
        percentiles(same.await.unwrap())
    );
    println!(
        "- subscriber on B (another instance): {}\n",
        percentiles(across.await.unwrap())
    );
    Ok(())
}

async fn throughput(url: &str, admin: &mut redis::Connection) -> Result<(), String> {
    const PUBLICATIONS: usize = 200_000;
    const IN_FLIGHT: usize = 256;
    let a = instance(url).await?;
    let event = Event::new(ssekit_load::PUSH_PAYLOAD);
    let cpu_before = redis_cpu(admin)?;
    let started = Instant::now();
    let mut pending = FuturesUnordered::new();
    let mut sent = 0;
    while sent < PUBLICATIONS || !pending.is_empty() {
        while sent < PUBLICATIONS && pending.len() < IN_FLIGHT {
            pending.push(a.publish("throughput", event.clone()));
            sent += 1;
        }
        if let Some(result) = pending.next().await {
            result.map_err(|error| error.to_string())?;
        }
        if started.elapsed() > PHASE_LIMIT {
            return Err("the throughput phase took too long".into());
        }
    }
    let ours = PUBLICATIONS as f64 / started.elapsed().as_secs_f64();
    let ours_cpu = (redis_cpu(admin)? - cpu_before) / PUBLICATIONS as f64 * 1e6;
    let _: () = redis::cmd("DEL")
        .arg("ssekit:{throughput}:events")
        .query(admin)
        .map_err(|error| error.to_string())?;
    let cpu_before = redis_cpu(admin)?;
    let raw = redis_benchmark(url, 1)?;
    let raw_cpu = (redis_cpu(admin)? - cpu_before) / BENCHMARK_REQUESTS as f64 * 1e6;
    let pipelined = redis_benchmark(url, 16)?;
    println!(
        "## Publications per second through one Redis ({PUBLICATIONS}, {IN_FLIGHT} in flight, one instance)\n"
    );
    println!(
        "- ssekit-redis publish (the script: id, XADD, trim, expiry, idempotency key): \
         {ours:.0}/s, {ours_cpu:.1} µs of Redis CPU each"
    );
    println!(
        "- redis-benchmark XADD, 50 clients: {raw:.0}/s (ours: {:.2}x), {raw_cpu:.1} µs of Redis CPU each",
        ours / raw
    );
    println!(
        "- redis-benchmark XADD, 50 clients pipelining 16: {pipelined:.0}/s (ours: {:.2}x)\n",
        ours / pipelined
    );
    Ok(())
}

/// `redis-benchmark`'s rate of raw `XADD`s with the same trimming and a 32-byte field.
fn redis_benchmark(url: &str, pipeline: u32) -> Result<f64, String> {
    let address = url.trim_start_matches("redis://").trim_end_matches('/');
    let (host, port) = address.rsplit_once(':').unwrap_or((address, "6379"));
    let output = Command::new("redis-benchmark")
        .args([
            "-h",
            host,
            "-p",
            port,
            "-c",
            "50",
            "-n",
            "200000",
            "-q",
            "-P",
            &pipeline.to_string(),
        ])
        .args([
            "XADD",
            "raw-xadd",
            "MAXLEN",
            "~",
            "1000",
            "*",
            "f",
            ssekit_load::PUSH_PAYLOAD,
        ])
        .output()
        .map_err(|error| format!("redis-benchmark: {error}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    // "XADD raw-xadd ...: 98765.43 requests per second, p50=0.255 msec"
    text.split("requests per second")
        .next()
        .and_then(|head| head.rsplit(' ').nth(1).or_else(|| head.rsplit(':').next()))
        .and_then(|rate| rate.trim().parse().ok())
        .ok_or_else(|| format!("redis-benchmark printed {text:?}"))
}

/// The CPU time Redis has used (user and system), in seconds (`INFO cpu`).
fn redis_cpu(admin: &mut redis::Connection) -> Result<f64, String> {
    let info: String = redis::cmd("INFO")
        .arg("cpu")
        .query(admin)
        .map_err(|error| error.to_string())?;
    Ok(info
        .lines()
        .filter(|line| line.starts_with("used_cpu_sys:") || line.starts_with("used_cpu_user:"))
        .filter_map(|line| line.split(':').nth(1)?.trim().parse::<f64>().ok())
        .sum())
}

fn commands_run(admin: &mut redis::Connection) -> Result<u64, String> {
    ssekit_testing::redis_server::commands_run(admin).map_err(|error| error.to_string())
}

async fn commands_per_publish(url: &str, admin: &mut redis::Connection) -> Result<(), String> {
    const PUBLICATIONS: usize = 2000;
    println!(
        "## Redis commands per publication ({PUBLICATIONS}, 32 in flight; a subscriber on each instance)\n"
    );
    for instances in [1, 2, 4] {
        let topic = format!("commands-{instances}");
        let mut backends = Vec::new();
        for _ in 0..instances {
            backends.push(instance(url).await?);
        }
        let mut readers = Vec::new();
        for backend in &backends {
            let subscription = attached(backend.subscribe(&topic, None)).await;
            readers.push(tokio::spawn(delays(subscription, PUBLICATIONS)));
        }
        let before = commands_run(admin)?;
        let mut pending = FuturesUnordered::new();
        for n in 0..PUBLICATIONS {
            pending.push(backends[0].publish(&topic, Event::new(fanout_payload(n as u64))));
            if pending.len() >= 32 {
                pending
                    .next()
                    .await
                    .unwrap()
                    .map_err(|error| error.to_string())?;
            }
        }
        while let Some(result) = pending.next().await {
            result.map_err(|error| error.to_string())?;
        }
        for reader in readers {
            let delivered = reader.await.unwrap().len();
            if delivered != PUBLICATIONS {
                return Err(format!("a subscriber got {delivered} of {PUBLICATIONS}"));
            }
        }
        let spent = commands_run(admin)? - before;
        println!(
            "- {instances} instance(s): {:.2} commands per publication ({spent} in all; the script's own commands count)",
            spent as f64 / PUBLICATIONS as f64
        );
    }
    println!();
    Ok(())
}

async fn storm(url: &str, admin: &mut redis::Connection) -> Result<(), String> {
    const CLIENTS: usize = 10_000;
    let publisher = instance(url).await?;
    let mut ids = Vec::new();
    for n in 0..100 {
        ids.push(
            publisher
                .publish("storm", Event::new(format!("e{n}")))
                .await
                .map_err(|error| error.to_string())?,
        );
    }
    println!("## Reconnect storm: {CLIENTS} clients resume at once on one instance\n");
    let following = instance(url).await?;
    let _holder = attached(following.subscribe("storm", None)).await;
    for (label, backend) in [
        ("that follows the topic already", &following),
        ("that does not follow it yet", &instance(url).await?),
    ] {
        let before = commands_run(admin)?;
        let started = Instant::now();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let after = ids[client % 99];
                let want = 99 - client % 99;
                let mut subscription = backend.subscribe("storm", Some(&after.to_string()));
                tokio::spawn(async move {
                    let mut decoder = Decoder::new();
                    let mut got = 0;
                    while got < want {
                        let Ok(Some(frames)) =
                            tokio::time::timeout(PHASE_LIMIT, subscription.next()).await
                        else {
                            break;
                        };
                        decoder.push(&frames);
                        while let Ok(Some(decoded)) = decoder.next_decoded() {
                            got += usize::from(matches!(decoded, Decoded::Message(_)));
                        }
                    }
                    (got, want)
                })
            })
            .collect();
        let mut short = 0;
        for client in clients {
            let (got, want) = client.await.unwrap();
            short += usize::from(got != want);
        }
        let spent = commands_run(admin)? - before;
        println!(
            "- on an instance {label}: {spent} Redis commands, {:.2} per 100 clients; all resumed in {:.0} ms{}",
            spent as f64 * 100.0 / CLIENTS as f64,
            started.elapsed().as_secs_f64() * 1000.0,
            if short == 0 {
                String::new()
            } else {
                format!("; {short} clients short")
            }
        );
    }
    println!();
    Ok(())
}

async fn fanout(url: &str) -> Result<(), String> {
    const SUBSCRIBERS: usize = 10_000;
    const EVENTS: usize = 50;
    println!("## Fan-out: {SUBSCRIBERS} subscribers, {EVENTS} events one every 100 ms\n");
    for split in [1, 2] {
        let a = instance(url).await?;
        let b = instance(url).await?;
        let topic = format!("fanout-{split}");
        let mut readers = Vec::new();
        for subscriber in 0..SUBSCRIBERS {
            let backend = if split == 2 && subscriber % 2 == 1 {
                &b
            } else {
                &a
            };
            readers.push(tokio::spawn(delays(
                backend.subscribe(&topic, None),
                EVENTS,
            )));
        }
        // Let every subscription attach before the first event.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut ticks = tokio::time::interval(Duration::from_millis(100));
        for n in 0..EVENTS {
            ticks.tick().await;
            a.publish(&topic, Event::new(fanout_payload(n as u64)))
                .await
                .map_err(|error| error.to_string())?;
        }
        let mut all = Vec::with_capacity(SUBSCRIBERS * EVENTS);
        for reader in readers {
            all.extend(reader.await.unwrap());
        }
        let label = if split == 1 {
            "all on one instance"
        } else {
            "split over two instances"
        };
        println!(
            "- {label}: {} (of {})",
            percentiles(all),
            SUBSCRIBERS * EVENTS
        );
    }
    println!();
    Ok(())
}
