//! One client reading one long stream over loopback, ours against reqwest-eventsource and
//! `LaunchDarkly`'s eventsource-client in the same run: events per second (wall) and events per
//! CPU-second of the client's thread, with small events and with 64 KiB events; then the heap
//! bytes each holds per idle stream, a thousand streams open.
//!
//! `cargo bench -p ssekit-client-bench`; `cargo test --benches -p ssekit-client-bench` (or
//! `-- --test`) runs each once on short streams, twenty idle streams each. The tables and
//! ratios are printed at the end, in BENCHMARKS.md's form.

mod common;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::clients::{Idle, IdleTally, Library};
use common::corpus::{self, Scale, Stream};
use common::measure::{CountingAllocator, HeldBytes, ThreadCpu, thread_cpu};
use common::report::{Clock, Report};
use common::server::Server;
use criterion::measurement::Measurement;
use criterion::{Criterion, SamplingMode, Throughput};
use tokio::runtime::Runtime;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Samples per benchmark: each reads whole streams (tens to hundreds of milliseconds), so
/// twenty over five seconds keeps the whole run within two minutes.
const SAMPLE_SIZE: usize = 20;

/// Idle streams held per client library, at full scale.
const IDLE_STREAMS: usize = 1_000;

/// Idle streams are opened this many at a time, each batch waited for.
const IDLE_BATCH: usize = 100;

fn main() {
    let scale = Scale::from_args();
    let streams = [corpus::small(scale), corpus::large(scale)];
    let streams: Vec<&Stream> = streams.iter().collect();
    let server = Server::start(&streams);
    // Every client runs here: this thread, a current-thread runtime (its connection tasks
    // too), so that this thread's CPU time is the client's alone.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let report = Report::default();
    let bench = Bench {
        server: &server,
        runtime: &runtime,
        report: &report,
    };

    let mut wall = Criterion::default().configure_from_args();
    for stream in &streams {
        bench.throughput(&mut wall, Clock::Wall, stream);
    }
    let mut cpu = Criterion::default()
        .with_measurement(ThreadCpu)
        .configure_from_args();
    for stream in &streams {
        bench.throughput(&mut cpu, Clock::Cpu, stream);
    }
    let idle_streams = match scale {
        Scale::Full => IDLE_STREAMS,
        Scale::Smoke => 20,
    };
    // Not criterion benchmarks (nothing is timed), but selected by its filter all the same.
    for kind in Idle::ALL
        .into_iter()
        .filter(|kind| filter_allows(kind.id()))
    {
        let bytes = runtime.block_on(idle_bytes(kind, &server, idle_streams));
        report.idle(kind, idle_streams, bytes);
    }
    wall.final_summary();
    cpu.final_summary();

    let extra = other_threads();
    assert!(
        extra.is_empty(),
        "every client must run on this thread alone; other threads: {extra:?}"
    );
    // Cargo's overrides of the bench profile reach the bench through its environment.
    let mut profile = if cfg!(debug_assertions) {
        "test profile".to_owned()
    } else {
        "bench profile".to_owned()
    };
    for (variable, name) in [
        ("CARGO_PROFILE_BENCH_LTO", "LTO"),
        ("CARGO_PROFILE_BENCH_CODEGEN_UNITS", "codegen-units"),
    ] {
        if let Ok(value) = std::env::var(variable) {
            write!(profile, ", {name} {value}").expect("writing to a String");
        }
    }
    // `--profile-time` runs each benchmark for a time under a profiler, with no analysis.
    if std::env::args().any(|arg| arg == "--profile-time") {
        return;
    }
    let scale_note = match scale {
        Scale::Full => "",
        Scale::Smoke => " (smoke run: one read each, not a measurement)",
    };
    println!(
        "\n### client-bench results{scale_note}\n{}",
        report.render(&streams, SAMPLE_SIZE, &profile)
    );
}

struct Bench<'a> {
    server: &'a Server,
    runtime: &'a Runtime,
    report: &'a Report,
}

impl Bench<'_> {
    /// One group: every library reads `stream` whole, on `clock`.
    fn throughput<M: Measurement<Value = Duration>>(
        &self,
        c: &mut Criterion<M>,
        clock: Clock,
        stream: &Stream,
    ) {
        let prefix = match clock {
            Clock::Wall => "client",
            Clock::Cpu => "client-cpu",
        };
        let mut group = c.benchmark_group(format!("{prefix}/{}", stream.name));
        group
            .throughput(Throughput::Elements(stream.events as u64))
            .sampling_mode(SamplingMode::Flat)
            .sample_size(SAMPLE_SIZE)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        let url = self.server.url(stream.name);
        for library in Library::ALL {
            group.bench_function(library.name(), |b| {
                b.iter_custom(|iters| {
                    let server_start = self.server.cpu();
                    let wall_start = Instant::now();
                    let cpu_start = thread_cpu();
                    for _ in 0..iters {
                        let count = self.runtime.block_on(library.read(&url, stream.events));
                        self.check(library, stream, count);
                    }
                    let cpu = thread_cpu().saturating_sub(cpu_start);
                    let wall = wall_start.elapsed();
                    let server_cpu = self.server.cpu().saturating_sub(server_start);
                    let key = (clock, stream.name, library);
                    self.report.record(key, iters, wall, cpu, server_cpu);
                    match clock {
                        Clock::Wall => wall,
                        Clock::Cpu => cpu,
                    }
                });
            });
        }
        group.finish();
    }

    /// Every client must deliver every event and every data byte: ours, or the run stops; a
    /// peer's miscount is a finding, reported with the figures.
    fn check(&self, library: Library, stream: &Stream, count: common::clients::Count) {
        if (count.events, count.data_bytes) != (stream.events, stream.data_bytes) {
            let finding = format!(
                "finding: {} on {}: {} events, {} data bytes; the stream holds {} and {}",
                library.name(),
                stream.name,
                count.events,
                count.data_bytes,
                stream.events,
                stream.data_bytes
            );
            assert!(!library.is_ours(), "{finding}");
            self.report.finding(finding);
        }
    }
}

/// Heap bytes the client thread holds per idle stream, `streams` of them open with `kind`.
/// A few streams are opened and closed first, so that what is made once (lazy statics, the
/// runtime's first pages) is not counted; what `kind`'s streams share is made before
/// counting too.
async fn idle_bytes(kind: Idle, server: &Server, streams: usize) -> f64 {
    let url = server.url("idle");
    hold_idle(kind, &url, 10, None).await;
    let held = HeldBytes::start();
    let bytes = hold_idle(kind, &url, streams, Some(&held)).await;
    drop(held);
    #[allow(clippy::cast_precision_loss)] // far below 2^52
    let per_stream = bytes as f64 / streams as f64;
    per_stream
}

/// Opens `streams` idle streams of `kind`, waits until each is open and every byte the
/// server sent is read, reads `held` then, and closes them all.
async fn hold_idle(kind: Idle, url: &str, streams: usize, held: Option<&HeldBytes>) -> i64 {
    let shared = kind.shared();
    let tally = Arc::new(IdleTally::default());
    let mut tasks = Vec::with_capacity(streams);
    let baseline = held.map_or(0, HeldBytes::now);
    let deadline = Instant::now() + Duration::from_secs(60);
    while tasks.len() < streams {
        let batch = IDLE_BATCH.min(streams - tasks.len());
        tasks.extend((0..batch).map(|_| shared.spawn(kind, url, &tally)));
        while tally.opened.load(Ordering::Relaxed) < tasks.len() {
            assert!(
                Instant::now() < deadline,
                "{}: {} of {} idle streams opened in a minute",
                kind.how(),
                tally.opened.load(Ordering::Relaxed),
                tasks.len()
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    // Each stream reads the server's comment, and then nothing is left to do.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let bytes = held.map_or(0, HeldBytes::now) - baseline;
    let strays = tally.strays.load(Ordering::Relaxed);
    assert_eq!(
        strays,
        0,
        "{}: idle streams that ended or erred",
        kind.how()
    );
    for task in &tasks {
        task.abort();
    }
    for task in tasks {
        let _ = task.await;
    }
    // The connections close and their tasks end.
    tokio::time::sleep(Duration::from_millis(100)).await;
    bytes
}

/// Whether criterion's filter (its first free argument) lets `id` run: as a substring here
/// (criterion reads it as a regular expression).
fn filter_allows(id: &str) -> bool {
    // Criterion's options that take a value, as `--name value`.
    const WITH_VALUE: [&str; 16] = [
        "--color",
        "-c",
        "--save-baseline",
        "-s",
        "--baseline",
        "-b",
        "--baseline-lenient",
        "--format",
        "--profile-time",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--output-format",
        "--plotting-backend",
    ];
    let mut args = std::env::args().skip(1);
    let mut filter = None;
    while let Some(arg) = args.next() {
        if WITH_VALUE.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            filter = Some(arg);
            break;
        }
    }
    filter.is_none_or(|filter| id.contains(&filter))
}

/// Threads of this process other than this one and the server's (a client that hands
/// work to a thread pool would show here).
fn other_threads() -> Vec<String> {
    // `/proc/thread-self` links to `PID/task/TID` of the calling thread.
    let me = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|link| Some(link.file_name()?.to_owned()));
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter(|task| Some(task.file_name()) != me)
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| name != "sse-server")
        .collect()
}
