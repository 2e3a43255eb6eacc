//! `load`: holds idle connections, times fan-out and push, and reads the server's memory and
//! CPU, against this library's adapters and the peers they are compared with.
//!
//! ```text
//! cargo build --release -p ssekit-load -p examples --bins
//! target/release/load run [--servers LIST] [--idle N] [--fanout N] [--fanout-events K]
//!                         [--interval-ms M] [--push N] [--talk]
//! target/release/load serve --server NAME
//! ```
//!
//! `run` starts each server pinned to CPU 0 (`taskset -c 0`), pins itself to CPU 1, and
//! prints one table row per server: idle connections held and the server's resident memory
//! per connection; fan-out latency percentiles and server CPU per delivery; push rate and
//! server CPU per event. `--talk` also holds the idle connections against the `talk`
//! example (built beside this binary). Loopback only; every phase has a time limit.
//!
//! This machine allows 20,000 open files per process: `--idle` is capped at 19,000.

// Counts and byte sizes become `f64` only to print rates and averages; they stay far below
// 2^52, where the conversion is exact.
#![allow(clippy::cast_precision_loss)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use ssekit_load::client::Protocol;
use ssekit_load::phases::{self, Target};
use ssekit_load::process::resident_kib;
use ssekit_load::server::{self, ServerKind};
use tokio::net::TcpListener;

/// The most idle connections, under the 20,000 open files a process may have here.
const MAX_IDLE: usize = 19_000;

const USAGE: &str = "usage: load run [--servers a,b,..] [--idle N] [--fanout N] [--fanout-events K]
                [--interval-ms M] [--push N] [--talk]
       load serve --server NAME
servers: ssekit-axum+hub, ssekit-axum+hub:http1, ssekit-warp+hub, axum-sse, axum-ws, and the
         floors floor:hyper-http1, floor:hyper-auto, floor:tcp (all by default)
  --idle N           idle connections to hold (default 19000, at most 19000)
  --fanout N         fan-out subscribers (default 10000)
  --fanout-events K  events published to them (default 50)
  --interval-ms M    between fan-out events (default 100)
  --push N           events pushed to one client (default 5000000)
  --talk             also hold the idle connections against the talk example";

/// What `run` measures.
#[derive(Debug)]
struct Plan {
    servers: Vec<ServerKind>,
    idle: usize,
    fanout: usize,
    fanout_events: usize,
    interval: Duration,
    push: u64,
    talk: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("run") => parse_plan(&args[1..]).and_then(|plan| run(&plan)),
        _ => Err(USAGE.to_string()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("load: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_plan(args: &[String]) -> Result<Plan, String> {
    let mut plan = Plan {
        servers: ServerKind::ALL.to_vec(),
        idle: MAX_IDLE,
        fanout: 10_000,
        fanout_events: 50,
        interval: Duration::from_millis(100),
        push: 5_000_000,
        talk: false,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        if flag == "--talk" {
            plan.talk = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: not a number: {value}"))
        };
        match flag.as_str() {
            "--servers" => {
                plan.servers = value.split(',').map(str::parse).collect::<Result<_, _>>()?;
            }
            "--idle" => plan.idle = number()?.min(MAX_IDLE),
            "--fanout" => plan.fanout = number()?,
            "--fanout-events" => plan.fanout_events = number()?,
            "--interval-ms" => plan.interval = Duration::from_millis(number()? as u64),
            "--push" => plan.push = number()? as u64,
            _ => return Err(format!("unknown argument {flag}\n{USAGE}")),
        }
    }
    Ok(plan)
}

/// `load serve --server NAME`: serves on an ephemeral port of 127.0.0.1, prints
/// `listening on ADDRESS`, and runs until killed, on one thread.
fn serve(args: &[String]) -> Result<(), String> {
    let [flag, name] = args else {
        return Err(USAGE.to_string());
    };
    if flag != "--server" {
        return Err(USAGE.to_string());
    }
    let kind: ServerKind = name.parse()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        println!("listening on {address}");
        server::serve(kind, listener)
            .await
            .map_err(|e| e.to_string())
    })
}

/// A server process, killed on drop.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program args` pinned to CPU 0 and reads its address from the first line it
/// prints (the last word, with or without `http://` and a trailing `/`).
fn start_pinned(program: &PathBuf, args: &[&str]) -> Result<Server, String> {
    let mut child = Command::new("taskset")
        .arg("-c")
        .arg("0")
        .arg(program)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("taskset {}: {e}", program.display()))?;
    let mut first_line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    stdout
        .read_line(&mut first_line)
        .map_err(|e| e.to_string())?;
    // Keep reading what it prints (the talk example logs each client), or it would fail
    // writing to a closed pipe.
    std::thread::spawn(move || stdout.lines().for_each(drop));
    let word = first_line.split_whitespace().last().unwrap_or("");
    let word = word.trim_start_matches("http://").trim_end_matches('/');
    let address = word
        .parse()
        .map_err(|_| format!("no address in {first_line:?}"))?;
    Ok(Server { child, address })
}

/// Pins this process to CPU 1, away from the server.
fn pin_self() -> Result<(), String> {
    let status = Command::new("taskset")
        .args(["-cp", "1", &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("taskset: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("taskset -cp 1 failed".into())
    }
}

fn run(plan: &Plan) -> Result<(), String> {
    pin_self()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let this = std::env::current_exe().map_err(|e| e.to_string())?;
    println!(
        "| server | idle conns held | server RSS KiB / idle conn | fan-out subscribers | read p50 ms | read p99 ms | read max ms | arrival p50 ms | arrival p99 ms | arrival max ms | deliveries | server µs / delivery | push events/s | server ns / pushed event |"
    );
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for &kind in &plan.servers {
        let server = start_pinned(&this, &["serve", "--server", &kind.to_string()])?;
        let protocol = if kind.is_websocket() {
            Protocol::WebSocket
        } else {
            Protocol::Sse
        };
        let target = Target {
            server: server.address,
            pid: server.child.id(),
            protocol,
            events_path: "/events".into(),
        };
        if kind == ServerKind::TcpFloor {
            let idle = runtime.block_on(idle_memory(plan, &target))?;
            let fanout = runtime.block_on(fanout_cells(plan, &target))?;
            println!("| {kind} | {idle} | {fanout} | | |");
        } else if kind.is_floor() {
            let idle = runtime.block_on(idle_memory(plan, &target))?;
            println!("| {kind} | {idle} | | | | | | | | | | | |");
        } else {
            let row = runtime.block_on(measure(plan, &target))?;
            println!("| {kind} | {row} |");
        }
        drop(server);
    }
    if plan.talk {
        let talk = this.with_file_name("talk");
        let server = start_pinned(&talk, &["--port", "0", "--interval-ms", "3600000"])?;
        let target = Target {
            server: server.address,
            pid: server.child.id(),
            protocol: Protocol::Sse,
            events_path: "/talk".into(),
        };
        let idle = runtime.block_on(idle_memory(plan, &target))?;
        println!("| talk (ssekit-axum+hub) | {idle} | | | | | | | | | | | |");
        drop(server);
    }
    Ok(())
}

/// One table row's cells after the server's name.
async fn measure(plan: &Plan, target: &Target) -> Result<String, String> {
    let idle = idle_memory(plan, target).await?;
    let fanout = fanout_cells(plan, target).await?;
    let push = phases::push(target, plan.push, Duration::from_secs(120)).await?;
    let rate = push.received as f64 / push.elapsed.as_secs_f64();
    let per_event_ns = push.server_cpu.as_secs_f64() * 1e9 / push.received.max(1) as f64;
    Ok(format!(
        "{idle} | {fanout} | {:.2} M | {per_event_ns:.0}",
        rate / 1e6
    ))
}

/// Runs the fan-out: the cells for it.
async fn fanout_cells(plan: &Plan, target: &Target) -> Result<String, String> {
    let fanout = phases::fanout(target, plan.fanout, plan.fanout_events, plan.interval).await?;
    let delivered = fanout.latencies_ns.len();
    let per_delivery_us = fanout.server_cpu.as_secs_f64() * 1e6 / delivered.max(1) as f64;
    eprintln!(
        "load: fan-out over {:.1} s: server CPU {:.1} s, client CPU {:.1} s",
        fanout.span.as_secs_f64(),
        fanout.server_cpu.as_secs_f64(),
        fanout.client_cpu.as_secs_f64()
    );
    if fanout.failed > 0 || delivered < fanout.expected {
        eprintln!(
            "load: fan-out: {} subscribers failed to open, {delivered} of {} deliveries",
            fanout.failed, fanout.expected
        );
    }
    Ok(format!(
        "{} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {delivered} / {} | {per_delivery_us:.2}",
        fanout.subscribers,
        fanout.quantile_ms(0.5),
        fanout.quantile_ms(0.99),
        fanout.quantile_ms(1.0),
        fanout.arrival_quantile_ms(0.5),
        fanout.arrival_quantile_ms(0.99),
        fanout.arrival_quantile_ms(1.0),
        fanout.expected,
    ))
}

/// Holds the idle connections and reads the server's memory: the cells for them.
async fn idle_memory(plan: &Plan, target: &Target) -> Result<String, String> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = resident_kib(target.pid)?;
    let held = phases::hold_idle(
        target,
        &target.events_path,
        plan.idle,
        Duration::from_secs(120),
    )
    .await;
    // Let the server settle (handlers run, first frames written) before reading its memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_kib(target.pid)?;
    if let Some(error) = &held.first_error {
        eprintln!(
            "load: {} of {} connections failed: {error}",
            held.failed, plan.idle
        );
    }
    let opened = held.opened;
    let per_connection = (after.saturating_sub(before)) as f64 / opened.max(1) as f64;
    drop(held);
    // Let the server see the connections close before the next phase.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(format!("{opened} of {} | {per_connection:.1}", plan.idle))
}
