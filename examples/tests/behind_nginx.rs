//! The deployment of README.md's "Behind a proxy": Debian's nginx in front of `talk`
//! instances that share one Redis, round-robin, with `examples/deploy/nginx.conf` and nginx's
//! defaults otherwise; clients and a headless Chromium on 127.0.0.1 read through it.
//!
//! - With nginx's `proxy_buffering` on (its default), each event arrives at once, because
//!   the instances send `X-Accel-Buffering: no`; nginx told to ignore that header holds them
//!   back over its default HTTP/1.0, or with gzip on. The latencies, publication to arrival,
//!   through nginx and straight from an instance, are printed.
//! - An idle stream outlives nginx's `proxy_read_timeout` (2 s here) by far with keep-alive
//!   comments (every 1 s), and is cut at the timeout without them.
//! - `proxy_http_version 1.1` lets a client tell an instance's death (the stream is cut)
//!   from its graceful stop (a `retry:` hint, then a clean end); without the line, the
//!   death looks like a clean end.
//! - A page in Chromium reconnects through nginx when the instance serving it is killed
//!   (SIGKILL), and again when the next one is stopped (SIGTERM), and ends with every event
//!   published, once each, in order; its screenshot is kept in `target/test-artifacts/`.
//! - With gzip on for `text/event-stream`, events still arrive at once, in a client and in
//!   the browser.
//!
//! Each test starts its own redis-server, `talk` binaries and nginx (`nginx -p SCRATCH`, its
//! logs, pid and temporary files in a scratch folder, on a free loopback port; never the
//! system service), and kills them when it ends. Needs Debian's `nginx`, `redis-server` and
//! `chromium` (`scripts/test` installs them); `NGINX` and `CHROMIUM` name other binaries.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::TalkProcess;
use common::browser::{BROWSER_PATIENCE, Browser, Page, wait_until};
use serde_json::json;
use ssekit_core::{DEFAULT_SHUTDOWN_RETRY, Decoded};
use ssekit_testing::redis_server::free_port;
use ssekit_testing::{BodyEnd, Get, RedisServer, Response};

/// The configuration file, with README.md's part between its two marker lines.
const CONFIG: &str = include_str!("../deploy/nginx.conf");

/// Where [`CONFIG`] is, from the repository's root.
const CONFIG_PATH: &str = "examples/deploy/nginx.conf";

const README: &str = include_str!("../../README.md");

/// The marker lines around README.md's part of [`CONFIG`].
const README_BEGIN: &str = "    # README: begin";
const README_END: &str = "    # README: end";

/// How late an event may arrive through nginx, after its publication.
const AT_ONCE: Duration = Duration::from_millis(100);

/// How many streams the memory measurement opens, plain and gzipped.
const MEASURED_STREAMS: usize = 40;

/// What turns gzip on for event streams in nginx (in the http block).
const GZIP: &str = "gzip on;\ngzip_types text/event-stream;";

/// The Redis stream that holds the events of talk's topic, as ssekit-redis names it.
const EVENTS_KEY: &str = "ssekit:{talk}:events";

#[test]
fn the_readme_shows_the_configuration_the_tests_run() {
    let section = README
        .split("\n## Behind a proxy\n")
        .nth(1)
        .expect("README.md has a section \"Behind a proxy\"");
    let block = section
        .split("```nginx\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the section shows the configuration in an nginx block");
    let part: Vec<&str> = readme_part()
        .lines()
        .map(|line| line.strip_prefix("    ").unwrap_or(line))
        .collect();
    assert_eq!(block, part.join("\n"), "README.md and {CONFIG_PATH} differ");
}

/// The lines of [`CONFIG`] between its README markers, as they are there (indented).
fn readme_part() -> &'static str {
    let start = CONFIG.find(README_BEGIN).expect("the begin marker") + README_BEGIN.len() + 1;
    let end = CONFIG.find(README_END).expect("the end marker");
    CONFIG[start..end].trim_end()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_arrives_at_once_through_nginx_with_its_buffering_on() {
    let deployment = Deployment::start(3, &["--interval-ms", "150"], "", CONFIG);
    let started = Instant::now();
    let mut through = Get::event_stream("/talk")
        .send(deployment.nginx.address)
        .await;
    assert_eq!(through.status, 200);
    assert_eq!(through.header("content-type"), Some("text/event-stream"));
    // nginx acts on the header and does not pass it on.
    assert_eq!(through.header("x-accel-buffering"), None);
    let first = arrival(&mut through).await;
    let mut direct = Get::event_stream("/talk")
        .send(deployment.instances[0].address())
        .await;
    assert_eq!(direct.header("x-accel-buffering"), Some("no"));
    let (through_events, direct_events) =
        tokio::join!(arrivals(&mut through, 20), arrivals(&mut direct, 20));
    let published = deployment.published();

    // The first event arrived before the second was produced.
    let (first_id, first_at) = first;
    let second_published = published_at(&published, first_id + 1);
    assert!(first_at < second_published, "the first event was held back");
    let first_latency = latency(&published, first_id, first_at);
    assert!(
        first_latency <= AT_ONCE,
        "first event after {first_latency:?}"
    );

    // The events both readers got live (the direct reader's first one may be an older one,
    // which a new client gets first).
    let live: Vec<u64> = direct_events[1..]
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| {
            through_events
                .iter()
                .any(|(through_id, _)| through_id == id)
        })
        .collect();
    let live_latencies = |arrivals: &[(u64, SystemTime)]| -> Vec<(u64, Duration)> {
        latencies(&published, arrivals)
            .into_iter()
            .filter(|(id, _)| live.contains(id))
            .collect()
    };
    let through_latencies = live_latencies(&through_events);
    let direct_latencies = live_latencies(&direct_events);
    assert!(through_latencies.len() >= 15, "{through_latencies:?}");
    for (id, late) in &latencies(&published, &through_events) {
        assert!(
            *late <= AT_ONCE,
            "event {id} arrived through nginx after {late:?}"
        );
    }
    println!(
        "publication to arrival over the same {} events: direct {}; through nginx {}",
        through_latencies.len(),
        summary(&direct_latencies),
        summary(&through_latencies)
    );
    println!(
        "buffering test took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// What the header prevents: nginx told to ignore it buffers the response, and holds small
/// events back (for as long as they take to fill its buffer) where it reads the instances'
/// responses over HTTP/1.0, its default, or compresses them. With the header, nginx's own
/// defaults pass each event on at once; so does the README's configuration without it, as
/// long as nothing compresses (nginx passes each chunk of an HTTP/1.1 response on as it
/// completes, buffering or not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_x_accel_buffering_nginx_holds_events_back_over_http_1_0_or_with_gzip() {
    let ignored = "proxy_ignore_headers X-Accel-Buffering;";
    let http_1_0 = config_without("proxy_http_version 1.1;");
    let gzip_ignored = format!("{GZIP}\n{ignored}");
    let held = Duration::from_millis(1500);
    let before_the_second = Duration::from_millis(200);
    let (over_1_0, gzipped, defaults, chunked) = tokio::join!(
        first_event_within(&http_1_0, ignored, held),
        first_event_within(CONFIG, &gzip_ignored, held),
        first_event_within(&http_1_0, "", before_the_second),
        first_event_within(CONFIG, ignored, before_the_second),
    );
    for (case, (arrived, published)) in [
        ("HTTP/1.0 (nginx's default), header ignored", over_1_0),
        ("HTTP/1.1 and gzip, header ignored", gzipped),
    ] {
        assert!(!arrived, "{case}: an event arrived");
        assert!(
            published >= 5,
            "{case}: {published} events published meanwhile"
        );
        println!("{case}: {published} events published, none arrived in {held:?}");
    }
    for (case, (arrived, _)) in [
        ("HTTP/1.0 (nginx's default), header honoured", defaults),
        ("HTTP/1.1, header ignored", chunked),
    ] {
        assert!(arrived, "{case}: no event in {before_the_second:?}");
        println!("{case}: the first event arrived before the second was produced");
    }
}

/// Whether an event arrives through nginx with `config` and `test_settings` within `wait`
/// of the request, and how many were published by then. (A response nginx holds back
/// holds its headers back too.)
async fn first_event_within(config: &str, test_settings: &str, wait: Duration) -> (bool, usize) {
    let deployment = Deployment::start(2, &["--interval-ms", "250"], test_settings, config);
    let request = Get::event_stream("/talk").accept_gzip();
    let first_event = async {
        let mut through = request.send(deployment.nginx.address).await;
        assert_eq!(through.status, 200);
        through.next_message().await
    };
    let arrived = tokio::time::timeout(wait, first_event).await.is_ok();
    (arrived, deployment.published().len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_stream_outlives_proxy_read_timeout_with_keep_alive_and_is_cut_without() {
    const READ_TIMEOUT: Duration = Duration::from_secs(2);
    const OUTLIVES: Duration = Duration::from_secs(8);
    let settings = "proxy_read_timeout 2s;";
    // One event when the stream opens, then none for ten minutes.
    let quiet = ["--interval-ms", "600000"];
    let kept = Deployment::start(
        2,
        &[&quiet[..], &["--keep-alive-ms", "1000"]].concat(),
        settings,
        CONFIG,
    );
    let unkept = Deployment::start(
        2,
        &[&quiet[..], &["--keep-alive-ms", "0"]].concat(),
        settings,
        CONFIG,
    );

    let with_keep_alive = async {
        let mut stream = Get::event_stream("/talk").send(kept.nginx.address).await;
        stream.next_message().await;
        let opened = Instant::now();
        let mut comments = 0;
        while let Some(item) = stream
            .next_within(OUTLIVES.saturating_sub(opened.elapsed()))
            .await
        {
            match item {
                Ok(Decoded::Comment(_)) => comments += 1,
                other => panic!("after {:?}: {other:?}", opened.elapsed()),
            }
        }
        comments
    };
    let without_keep_alive = async {
        let mut stream = Get::event_stream("/talk").send(unkept.nginx.address).await;
        stream.next_message().await;
        let opened = Instant::now();
        let end = stream.next_within(OUTLIVES).await;
        (end, opened.elapsed())
    };
    let (comments, (end, cut_after)) = tokio::join!(with_keep_alive, without_keep_alive);

    assert!(
        comments >= 6,
        "{comments} keep-alive comments in {OUTLIVES:?}"
    );
    assert!(
        matches!(end, Some(Err(BodyEnd::Broken(_)))),
        "without keep-alive: {end:?} after {cut_after:?}"
    );
    assert!(
        cut_after + Duration::from_millis(200) >= READ_TIMEOUT
            && cut_after <= READ_TIMEOUT + Duration::from_secs(2),
        "cut after {cut_after:?}"
    );
    assert!(
        unkept.nginx.error_log().contains("upstream timed out"),
        "{}",
        unkept.nginx.error_log()
    );
    println!(
        "proxy_read_timeout {READ_TIMEOUT:?}: with keep-alive every 1 s, open after {OUTLIVES:?} \
         ({comments} comments); without, cut after {cut_after:.1?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instance_cuts_the_stream_and_a_stopped_one_ends_it_cleanly() {
    let http_1_0 = config_without("proxy_http_version 1.1;");
    let (readme, without) = tokio::join!(kill_then_stop(CONFIG), kill_then_stop(&http_1_0));

    let (killed, stopped) = readme;
    assert!(matches!(killed, BodyEnd::Broken(_)), "killed: {killed:?}");
    let retry = Decoded::Retry(DEFAULT_SHUTDOWN_RETRY);
    assert_eq!(stopped, (Some(retry.clone()), BodyEnd::Clean), "stopped");

    // Without the line, nginx speaks HTTP/1.0 to the instances, whose responses then end
    // when their connection closes, however it closes.
    let (killed, stopped) = without;
    assert_eq!(killed, BodyEnd::Clean, "killed, over HTTP/1.0");
    assert_eq!(
        stopped,
        (Some(retry), BodyEnd::Clean),
        "stopped, over HTTP/1.0"
    );
}

/// Reads a stream through nginx with `config`, kills (SIGKILL) the instance serving it, then
/// reads again and stops (SIGTERM) the next one: how each stream ended, with the last item
/// before the stopped one's end.
async fn kill_then_stop(config: &str) -> (BodyEnd, (Option<Decoded>, BodyEnd)) {
    let mut deployment = Deployment::start(2, &["--interval-ms", "200"], "", config);
    let mut stream = Get::event_stream("/talk")
        .send(deployment.nginx.address)
        .await;
    stream.next_message().await;
    let serving = deployment.serving().await;
    deployment.end(serving, "KILL");
    let killed = until_the_end(stream).await.1;

    let mut stream = Get::event_stream("/talk")
        .send(deployment.nginx.address)
        .await;
    stream.next_message().await;
    let serving = deployment.serving().await;
    deployment.end(serving, "TERM");
    let (last, end) = until_the_end(stream).await;
    let status = deployment.instances[serving].wait_for_exit(Duration::from_secs(5));
    assert!(status.success(), "the stopped instance exits 0: {status}");
    (killed, (last, end))
}

/// The rest of `stream`: its last item and how it ended.
async fn until_the_end(stream: Response) -> (Option<Decoded>, BodyEnd) {
    let (items, end) = stream.rest().await;
    (items.last().cloned(), end)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_reconnects_through_nginx_after_a_kill_and_a_stop_and_misses_nothing() {
    let started = Instant::now();
    let mut deployment = Deployment::start(3, &["--interval-ms", "300"], "", CONFIG);
    let url = deployment.nginx.url();
    let browser = Browser::launch("about:blank").await;
    let mut page = recording_page(&browser, &url).await;

    // A reader of a fourth instance, outside nginx (another page's, say), keeps the events
    // coming while the page is away: the page has to catch up on them when it is back.
    wait_for_events(&mut page, 1).await;
    let redis = deployment.redis.url();
    let elsewhere = TalkProcess::start(&["--interval-ms", "300", "--redis", &redis]);
    let _reader = Get::event_stream("/talk").send(elsewhere.address()).await;

    // The instance serving the page dies: the page reconnects through nginx, which tries
    // the others.
    wait_for_events(&mut page, 3).await;
    let killed = deployment.serving().await;
    deployment.end(killed, "KILL");
    let seen = seen_events(&mut page).await.len();
    wait_for_events(&mut page, seen + 3).await;

    // The next one stops gracefully: its `retry:` hint, then the page reconnects again.
    let stopped = deployment.serving().await;
    assert_ne!(stopped, killed);
    deployment.end(stopped, "TERM");
    let status = deployment.instances[stopped].wait_for_exit(Duration::from_secs(5));
    assert!(status.success(), "the stopped instance exits 0: {status}");
    let seen = seen_events(&mut page).await.len();
    wait_for_events(&mut page, seen + 3).await;
    let last = deployment.serving().await;
    assert!(last != killed && last != stopped);

    // Every event published, once each, in order: the page catches up with Redis.
    let deadline = Instant::now() + BROWSER_PATIENCE;
    let (page_ids, published_ids) = loop {
        let page_ids: Vec<u64> = seen_events(&mut page).await.iter().map(|e| e.0).collect();
        let published_ids: Vec<u64> = deployment.published().iter().map(|e| e.0).collect();
        if page_ids == published_ids || Instant::now() > deadline {
            break (page_ids, published_ids);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(page_ids, published_ids, "the page's events and Redis's");
    // Those published while the page was away came late, as it caught up.
    let published = deployment.published();
    let caught_up = latencies(&published, &seen_events(&mut page).await)
        .iter()
        .filter(|(_, late)| *late > Duration::from_millis(500))
        .count();
    assert!(caught_up >= 5, "{caught_up} events caught up on");
    let text = page.content_text().await;
    let openings = text
        .matches("Connections to the server established..")
        .count();
    assert_eq!(openings, 3, "{text}");

    // nginx logs each stream as it ends: the first two came from the two instances gone.
    let log = deployment.nginx.access_log();
    let streams: Vec<&str> = log
        .lines()
        .filter(|line| line.starts_with("GET /talk "))
        .collect();
    let upstream_of = |index: usize| deployment.instances[index].address().to_string();
    assert!(streams.len() >= 2, "{log}");
    assert!(streams[0].contains(&upstream_of(killed)), "{log}");
    assert!(streams[1].contains(&upstream_of(stopped)), "{log}");

    let screenshot = artifacts().join("behind-nginx.png");
    page.save_screenshot(&screenshot).await;
    println!(
        "{} events, once each, over 3 connections ({caught_up} caught up on after a \
         reconnection); screenshot in {}; took {:.1} s",
        page_ids.len(),
        screenshot.display(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_gzip_on_for_event_streams_each_event_still_arrives_at_once() {
    let deployment = Deployment::start(2, &["--interval-ms", "250"], GZIP, CONFIG);

    // A client that asks for gzip gets it, an event at a time.
    let mut through = Get::event_stream("/talk")
        .accept_gzip()
        .send(deployment.nginx.address)
        .await;
    assert_eq!(through.header("content-encoding"), Some("gzip"));
    let events = arrivals(&mut through, 8).await;
    drop(through);
    let published = deployment.published();
    let gzipped = latencies(&published, &events);
    for (id, late) in &gzipped {
        assert!(
            *late <= AT_ONCE,
            "event {id} arrived gzipped after {late:?}"
        );
    }

    // So does the browser.
    let browser = Browser::launch("about:blank").await;
    let mut page = recording_page(&browser, &deployment.nginx.url()).await;
    wait_for_events(&mut page, 6).await;
    page.evaluate("window.talkSources.forEach((source) => source.close())")
        .await;
    let seen = seen_events(&mut page).await;
    let published = deployment.published();
    let in_browser = latencies(&published, &seen);
    // The page's first event may be one published before it came, which a new client gets
    // first.
    for (id, late) in &in_browser[1..] {
        assert!(
            *late <= AT_ONCE,
            "event {id} reached the page after {late:?}"
        );
    }
    // nginx logs the page's stream once it is closed: gzipped too.
    wait_until(
        || {
            let log = deployment.nginx.access_log();
            log.lines()
                .filter(|line| line.starts_with("GET /talk "))
                .count()
                == 2
        },
        "nginx logs the page's stream",
    )
    .await;
    let log = deployment.nginx.access_log();
    for line in log.lines().filter(|line| line.starts_with("GET /talk ")) {
        assert!(line.ends_with("encoding=gzip"), "{log}");
    }

    // What it costs: memory in nginx's worker for each open stream.
    let (plain_kib, gzip_kib) = memory_per_stream(&deployment).await;
    assert!(
        gzip_kib > plain_kib,
        "plain {plain_kib} KiB, gzipped {gzip_kib} KiB"
    );
    println!(
        "gzip on: publication to arrival, client {}; page {}; nginx's worker holds \
         {plain_kib:.0} KiB per plain stream, {gzip_kib:.0} KiB per gzipped one",
        summary(&gzipped),
        summary(&in_browser[1..])
    );
}

/// How much nginx's worker grows per open stream, in KiB of resident memory: over
/// [`MEASURED_STREAMS`] plain streams, then as many gzipped ones on top, each of which has
/// had an event.
async fn memory_per_stream(deployment: &Deployment) -> (f64, f64) {
    let address = deployment.nginx.address;
    let open = |gzip: bool| {
        futures_util::future::join_all((0..MEASURED_STREAMS).map(move |_| async move {
            let mut request = Get::event_stream("/talk");
            if gzip {
                request = request.accept_gzip();
            }
            let mut stream = request.send(address).await;
            stream.next_message().await;
            stream
        }))
    };
    let settle = Duration::from_millis(300);
    let before = deployment.nginx.worker_rss_kib();
    let plain = open(false).await;
    tokio::time::sleep(settle).await;
    let with_plain = deployment.nginx.worker_rss_kib();
    let gzipped = open(true).await;
    tokio::time::sleep(settle).await;
    let with_gzipped = deployment.nginx.worker_rss_kib();
    assert!(
        gzipped
            .iter()
            .all(|s| s.header("content-encoding") == Some("gzip"))
    );
    drop((plain, gzipped));
    #[allow(clippy::cast_precision_loss)]
    let per_stream = |grown: u64| grown as f64 / MEASURED_STREAMS as f64;
    (
        per_stream(with_plain.saturating_sub(before)),
        per_stream(with_gzipped.saturating_sub(with_plain)),
    )
}

/// Redis, `talk` instances on it, and nginx in front of them; all killed on drop.
struct Deployment {
    nginx: Nginx,
    instances: Vec<TalkProcess>,
    /// The instances signalled to end: what they printed last no longer holds.
    gone: Vec<usize>,
    redis: RedisServer,
}

impl Deployment {
    /// `count` instances of `talk --redis URL` with `talk_args`, behind nginx run with
    /// `config` (the README's or a variant) and `test_settings` in its test.conf.
    fn start(count: usize, talk_args: &[&str], test_settings: &str, config: &str) -> Self {
        let redis = RedisServer::start();
        let url = redis.url();
        let instances: Vec<TalkProcess> = (0..count)
            .map(|_| TalkProcess::start(&[talk_args, &["--redis", &url]].concat()))
            .collect();
        let upstreams: Vec<SocketAddr> = instances.iter().map(TalkProcess::address).collect();
        let nginx = Nginx::start(config, &upstreams, test_settings);
        Self {
            nginx,
            instances,
            gone: Vec::new(),
            redis,
        }
    }

    /// Sends instance `index` `signal` (`KILL`, `TERM`).
    fn end(&mut self, index: usize, signal: &str) {
        self.instances[index].signal(signal);
        self.gone.push(index);
    }

    /// Which instance serves the one stream open, once one does.
    async fn serving(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let open: Vec<usize> = (0..self.instances.len())
                .map(|index| {
                    if self.gone.contains(&index) {
                        0
                    } else {
                        self.instances[index].open_streams()
                    }
                })
                .collect();
            if open.iter().sum::<usize>() == 1 {
                return open.iter().position(|&count| count == 1).unwrap();
            }
            assert!(Instant::now() < deadline, "streams open: {open:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every event published so far, as Redis holds them: its id, and when the instance
    /// that published it sent it.
    fn published(&self) -> Vec<(u64, SystemTime)> {
        let entries: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
            .arg(EVENTS_KEY)
            .arg("-")
            .arg("+")
            .query(&mut self.redis.connection())
            .unwrap();
        entries
            .into_iter()
            .map(|(entry_id, fields)| {
                let id = entry_id.split('-').next().unwrap().parse().unwrap();
                let sent = fields
                    .chunks(2)
                    .find(|pair| pair[0] == "t")
                    .map(|pair| pair[1].parse().unwrap())
                    .expect("a publication time");
                (id, UNIX_EPOCH + Duration::from_millis(sent))
            })
            .collect()
    }
}

/// `CONFIG` with one line of its README part taken out.
fn config_without(line: &str) -> String {
    let whole_line = format!("\n            {line}\n");
    assert!(CONFIG.contains(&whole_line), "{line} is in the README part");
    CONFIG.replacen(&whole_line, "\n", 1)
}

/// nginx as a child process of the test, in a scratch folder of its own; it and its worker
/// are killed (their process group) on drop, and the folder removed.
struct Nginx {
    process: Child,
    scratch: PathBuf,
    address: SocketAddr,
}

impl Nginx {
    /// Runs nginx with `config`, its listen port and upstream servers put in place of the
    /// README's, and `test_settings` as its test.conf; waits until it listens.
    fn start(config: &str, upstreams: &[SocketAddr], test_settings: &str) -> Self {
        let binary = std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into());
        assert!(
            Path::new(&binary).exists(),
            "no nginx at {binary}: install Debian's nginx (apt-get install nginx; scripts/test \
             does) or set NGINX"
        );
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let scratch = std::env::temp_dir().join(format!(
            "talk-nginx-test-{}-{}",
            std::process::id(),
            address.port()
        ));
        std::fs::create_dir_all(&scratch).unwrap();
        let config_path = scratch.join("nginx.conf");
        std::fs::write(&config_path, with_addresses(config, address, upstreams)).unwrap();
        std::fs::write(scratch.join("test.conf"), format!("{test_settings}\n")).unwrap();
        let error_log = scratch.join("error.log");
        let process = Command::new(&binary)
            .arg("-p")
            .arg(format!("{}/", scratch.display()))
            .arg("-c")
            .arg(&config_path)
            .arg("-e")
            .arg(&error_log)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {binary}: {error}"));
        let mut nginx = Self {
            process,
            scratch,
            address,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(address).is_err() {
            if let Some(status) = nginx.process.try_wait().unwrap() {
                panic!("nginx exited ({status}):\n{}", nginx.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "nginx does not listen on {address}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        nginx
    }

    /// The page's URL through nginx.
    fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.scratch.join("error.log")).unwrap_or_default()
    }

    /// The resident memory of its worker process, in KiB.
    fn worker_rss_kib(&self) -> u64 {
        let master = self.process.id().to_string();
        let worker = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .find(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // `pid (name) state ppid ...`
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .is_some_and(|ppid| ppid == master)
            })
            .expect("nginx has a worker process");
        let status = std::fs::read_to_string(format!("/proc/{worker}/status")).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().strip_suffix(" kB")?.parse().ok())
            .expect("VmRSS in kB")
    }

    /// One line per request ended: `GET /talk HTTP/1.1 200 upstream=... encoding=...`.
    fn access_log(&self) -> String {
        std::fs::read_to_string(self.scratch.join("access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// `config` with nginx's port and the instances' put in place of the README's 8080 and
/// 8081-8083: one `server` line per instance.
fn with_addresses(config: &str, nginx: SocketAddr, upstreams: &[SocketAddr]) -> String {
    let mut lines = Vec::new();
    let mut servers_written = false;
    for line in config.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        match line.trim() {
            "listen 127.0.0.1:8080;" => lines.push(format!("{indent}listen {nginx};")),
            server if server.starts_with("server 127.0.0.1:808") => {
                if !servers_written {
                    for upstream in upstreams {
                        lines.push(format!("{indent}server {upstream};"));
                    }
                    servers_written = true;
                }
            }
            _ => lines.push(line.to_string()),
        }
    }
    assert!(servers_written, "the configuration has an upstream block");
    let config = lines.join("\n");
    assert!(
        config.contains(&format!("listen {nginx};")),
        "a listen line"
    );
    config
}

/// Where the tests keep what a person may want to look at: `target/test-artifacts/`.
fn artifacts() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let folder = target.join("test-artifacts");
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// The next message's id, and when it arrived.
async fn arrival(stream: &mut Response) -> (u64, SystemTime) {
    let message = stream.next_message().await;
    (message.last_event_id().parse().unwrap(), SystemTime::now())
}

/// The next `count` messages' ids, and when each arrived.
async fn arrivals(stream: &mut Response, count: usize) -> Vec<(u64, SystemTime)> {
    let mut seen = Vec::with_capacity(count);
    for _ in 0..count {
        seen.push(arrival(stream).await);
    }
    seen
}

fn published_at(published: &[(u64, SystemTime)], id: u64) -> SystemTime {
    published
        .iter()
        .find(|(published_id, _)| *published_id == id)
        .unwrap_or_else(|| panic!("event {id} is in Redis"))
        .1
}

/// How long after its publication the event arrived (0 if the clocks' rounding puts the
/// arrival first).
fn latency(published: &[(u64, SystemTime)], id: u64, arrived: SystemTime) -> Duration {
    arrived
        .duration_since(published_at(published, id))
        .unwrap_or_default()
}

/// The latency of each event that arrived.
fn latencies(
    published: &[(u64, SystemTime)],
    arrivals: &[(u64, SystemTime)],
) -> Vec<(u64, Duration)> {
    arrivals
        .iter()
        .map(|&(id, arrived)| (id, latency(published, id, arrived)))
        .collect()
}

/// `median 1.2 ms, max 3.4 ms`.
fn summary(latencies: &[(u64, Duration)]) -> String {
    let mut sorted: Vec<Duration> = latencies.iter().map(|(_, late)| *late).collect();
    sorted.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    format!(
        "median {:.1} ms, max {:.1} ms",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[sorted.len() - 1])
    )
}

/// Before the page's own script runs, every `EventSource` it makes records each event's id
/// and the time it arrived (`window.talkEvents`), and is kept in `window.talkSources`.
const RECORDER: &str = "
window.talkEvents = [];
window.talkSources = [];
const PageEventSource = window.EventSource;
window.EventSource = class extends PageEventSource {
  constructor(url, options) {
    super(url, options);
    window.talkSources.push(this);
    this.addEventListener('message', (event) => {
      window.talkEvents.push([event.lastEventId, Date.now()]);
    });
  }
};
";

/// The tab of `browser` (launched on `about:blank`), sent to `url` with [`RECORDER`] in
/// place.
async fn recording_page(browser: &Browser, url: &str) -> Page {
    let mut page = browser.page("about:blank").await;
    page.call("Page.enable", json!({})).await;
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": RECORDER }),
    )
    .await;
    page.call("Page.navigate", json!({ "url": url })).await;
    page
}

/// The events the page has received: id, and when.
async fn seen_events(page: &mut Page) -> Vec<(u64, SystemTime)> {
    let events = page.evaluate("window.talkEvents ?? []").await;
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            let id = event[0].as_str().unwrap().parse().unwrap();
            let at = event[1].as_u64().expect("Date.now(), whole milliseconds");
            (id, UNIX_EPOCH + Duration::from_millis(at))
        })
        .collect()
}

async fn wait_for_events(page: &mut Page, count: usize) {
    let deadline = Instant::now() + BROWSER_PATIENCE;
    loop {
        let seen = seen_events(page).await.len();
        if seen >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the page got {seen} events, not {count}:\n{}",
            page.content_text().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
