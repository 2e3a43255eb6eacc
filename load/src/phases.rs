//! The measurements, each bounded in connections and time: idle connections held, fan-out
//! latency to many subscribers, and events pushed to one client.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::client::{Protocol, StreamClient, post};
use super::process::cpu_time;
use super::{now_nanos, sent_at};

/// How many loopback addresses the connections come from (127.0.0.1 to 127.0.0.16), so that
/// no address runs out of ports.
const SOURCES: usize = 16;

/// How many connections are being opened at once.
const OPENING_AT_ONCE: usize = 128;

/// The read buffer of an idle or fan-out connection, and of the pushed-to one.
const SMALL_BUFFER: usize = 4 * 1024;
const LARGE_BUFFER: usize = 256 * 1024;

/// A server to load: where it listens, its process, and how to talk to it.
#[derive(Clone, Debug)]
pub struct Target {
    /// Where it listens.
    pub server: SocketAddr,
    /// Its process id, for CPU time and memory.
    pub pid: u32,
    /// What the client speaks to it.
    pub protocol: Protocol,
    /// The path of its fan-out stream.
    pub events_path: String,
}

/// The source address of connection `index`.
fn source(index: usize) -> Ipv4Addr {
    let host = u8::try_from(1 + index % SOURCES).unwrap_or(1);
    Ipv4Addr::new(127, 0, 0, host)
}

/// Connections opened together, each running its task.
pub struct Opened<T> {
    /// The connections' tasks (`None` from those that failed to open); dropping this
    /// closes them.
    pub tasks: JoinSet<Option<T>>,
    /// How many answered as expected.
    pub opened: usize,
    /// How many did not, with the first error.
    pub failed: usize,
    /// The first error, if any.
    pub first_error: Option<String>,
    /// How long opening them all took.
    pub took: Duration,
}

/// Opens `count` connections to `path` (at most [`OPENING_AT_ONCE`] at a time, from
/// [`SOURCES`] addresses), then runs `then` on each; waits until every one has opened or
/// failed, or `deadline` passes.
async fn open_many<T, F, Fut>(
    target: &Target,
    path: &str,
    count: usize,
    buf_len: usize,
    deadline: Instant,
    then: F,
) -> Opened<T>
where
    F: Fn(StreamClient) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let started = Instant::now();
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let (report, mut reports) = mpsc::unbounded_channel();
    let mut tasks = JoinSet::new();
    for index in 0..count {
        let (opening, report, then) = (Arc::clone(&opening), report.clone(), then.clone());
        let (server, protocol, path) = (target.server, target.protocol, path.to_string());
        tasks.spawn(async move {
            let permit = opening.acquire_owned().await;
            let client = StreamClient::open(server, source(index), protocol, &path, buf_len).await;
            drop(permit);
            match client {
                Ok(client) => {
                    let _ = report.send(Ok(()));
                    Some(then(client).await)
                }
                Err(error) => {
                    let _ = report.send(Err(error.to_string()));
                    None
                }
            }
        });
    }
    drop(report);
    let (mut opened, mut failed, mut first_error) = (0, 0, None);
    while opened + failed < count {
        match tokio::time::timeout_at(deadline.into(), reports.recv()).await {
            Ok(Some(Ok(()))) => opened += 1,
            Ok(Some(Err(error))) => {
                failed += 1;
                first_error.get_or_insert(error);
            }
            Ok(None) | Err(_) => {
                failed = count - opened;
                first_error.get_or_insert_with(|| "timed out opening".to_string());
            }
        }
    }
    Opened {
        tasks,
        opened,
        failed,
        first_error,
        took: started.elapsed(),
    }
}

/// Opens `count` event streams and keeps them open, reading (and dropping) whatever the
/// server sends, until the returned tasks are dropped.
pub async fn hold_idle(target: &Target, path: &str, count: usize, limit: Duration) -> Opened<()> {
    let deadline = Instant::now() + limit;
    open_many(
        target,
        path,
        count,
        SMALL_BUFFER,
        deadline,
        |mut client| async move { while let Ok(true) = client.read_events(|_| {}).await {} },
    )
    .await
}

/// What a fan-out run measured.
#[derive(Debug)]
pub struct Fanout {
    /// Subscribers that opened.
    pub subscribers: usize,
    /// Subscribers that failed to open.
    pub failed: usize,
    /// Every delivery's latency, from the server's stamp to the client's read, sorted.
    pub latencies_ns: Vec<u64>,
    /// Every delivery's latency from the server's stamp to the kernel's stamp on the bytes
    /// reaching the client's socket (`SO_TIMESTAMPNS`), sorted: the server's part alone,
    /// without the time this one client takes to read 10,000 sockets in turn.
    pub arrivals_ns: Vec<u64>,
    /// Deliveries expected: subscribers times events.
    pub expected: usize,
    /// The server's CPU time from the first publication to the last delivery.
    pub server_cpu: Duration,
    /// The load client's own CPU time over the same span (it must stay well under the
    /// span, or the client is what the latencies measure).
    pub client_cpu: Duration,
    /// The span: from asking for the first publication to the last delivery.
    pub span: Duration,
}

impl Fanout {
    /// The latency to the client's read at quantile `q` (0 to 1), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        quantile_ms(&self.latencies_ns, q)
    }

    /// The latency to the bytes' arrival at quantile `q` (0 to 1), in milliseconds.
    pub fn arrival_quantile_ms(&self, q: f64) -> f64 {
        quantile_ms(&self.arrivals_ns, q)
    }
}

/// The value at quantile `q` (0 to 1) of `sorted_ns`, in milliseconds.
fn quantile_ms(sorted_ns: &[u64], q: f64) -> f64 {
    let Some(last) = sorted_ns.len().checked_sub(1) else {
        return f64::NAN;
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((last as f64) * q).round() as usize;
    #[allow(clippy::cast_precision_loss)]
    let ns = sorted_ns[index.min(last)] as f64;
    ns / 1e6
}

/// Opens `subscribers` streams, asks the server to publish `events` events one every
/// `interval`, and records when each subscriber got each one.
///
/// # Errors
///
/// If the server refuses to start publishing.
pub async fn fanout(
    target: &Target,
    subscribers: usize,
    events: usize,
    interval: Duration,
) -> Result<Fanout, String> {
    let publishing = interval * u32::try_from(events).unwrap_or(u32::MAX);
    let deadline = Instant::now() + Duration::from_secs(120) + publishing;
    let read_for = publishing + Duration::from_secs(30);
    let mut opened = open_many(
        target,
        &target.events_path,
        subscribers,
        SMALL_BUFFER,
        deadline,
        move |mut client| async move {
            let mut read = Vec::with_capacity(events);
            let mut arrived = Vec::with_capacity(events);
            let reading = async {
                if client.stamp_arrivals().is_err() {
                    return;
                }
                while read.len() < events {
                    let got = client.read_stamped_events(|data, arrival| {
                        let now = now_nanos();
                        if let Some(sent) = sent_at(data) {
                            read.push(now.saturating_sub(sent));
                            arrived.push(arrival.unwrap_or(now).saturating_sub(sent));
                        }
                    });
                    if !matches!(got.await, Ok(true)) {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(read_for, reading).await;
            (read, arrived)
        },
    )
    .await;
    // Let the last connections' handlers subscribe before the first event.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu_before = cpu_time(target.pid)?;
    let client_cpu_before = cpu_time(std::process::id())?;
    let started = Instant::now();
    let path = format!(
        "/fanout?events={events}&interval_ms={}",
        interval.as_millis()
    );
    let status = post(target.server, &path)
        .await
        .map_err(|e| e.to_string())?;
    if status != 202 {
        return Err(format!("POST {path}: {status}"));
    }
    let mut latencies_ns = Vec::with_capacity(subscribers * events);
    let mut arrivals_ns = Vec::with_capacity(subscribers * events);
    while let Some(result) = opened.tasks.join_next().await {
        if let Ok(Some((read, arrived))) = result {
            latencies_ns.extend(read);
            arrivals_ns.extend(arrived);
        }
    }
    let server_cpu = cpu_time(target.pid)?.saturating_sub(cpu_before);
    let client_cpu = cpu_time(std::process::id())?.saturating_sub(client_cpu_before);
    let span = started.elapsed();
    latencies_ns.sort_unstable();
    arrivals_ns.sort_unstable();
    Ok(Fanout {
        subscribers: opened.opened,
        failed: opened.failed,
        latencies_ns,
        arrivals_ns,
        expected: opened.opened * events,
        server_cpu,
        client_cpu,
        span,
    })
}

/// What a push run measured.
#[derive(Debug)]
pub struct Push {
    /// Events the client got.
    pub received: u64,
    /// From the request to the last event.
    pub elapsed: Duration,
    /// The server's CPU time over the same span.
    pub server_cpu: Duration,
}

/// Asks for `events` events on one connection and reads them as fast as they come.
///
/// # Errors
///
/// If the connection fails or the server's CPU time cannot be read.
pub async fn push(target: &Target, events: u64, limit: Duration) -> Result<Push, String> {
    let path = format!("/push?events={events}");
    let cpu_before = cpu_time(target.pid)?;
    let started = Instant::now();
    let mut client = StreamClient::open(
        target.server,
        Ipv4Addr::LOCALHOST,
        target.protocol,
        &path,
        LARGE_BUFFER,
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut received = 0;
    let reading = async {
        while received < events {
            match client.read_events(|_| received += 1).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => return Err(error.to_string()),
            }
        }
        Ok(())
    };
    match tokio::time::timeout(limit, reading).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(format!(
                "push: {received} of {events} events within {limit:?}"
            ));
        }
    }
    let elapsed = started.elapsed();
    let server_cpu = cpu_time(target.pid)?.saturating_sub(cpu_before);
    Ok(Push {
        received,
        elapsed,
        server_cpu,
    })
}
