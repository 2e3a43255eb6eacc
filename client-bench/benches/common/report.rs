//! What the run prints at its end, in BENCHMARKS.md's form: the medians of the samples
//! criterion took (recorded here as each sample ran), the ratios of ours to the faster peer,
//! and the bytes each idle stream holds.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use super::clients::{Idle, Library};
use super::corpus::Stream;

/// Which clock a benchmark group is measured on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Clock {
    Wall,
    Cpu,
}

/// One sample: `iters` reads of the whole stream.
#[derive(Clone, Copy, Debug)]
struct Sample {
    iters: u64,
    wall: Duration,
    cpu: Duration,
    server_cpu: Duration,
}

/// A benchmark: its clock, its stream's name, the library.
pub type Key = (Clock, &'static str, Library);

#[derive(Default)]
pub struct Report {
    samples: Mutex<HashMap<Key, Vec<Sample>>>,
    idle: Mutex<Vec<(Idle, usize, f64)>>,
    findings: Mutex<Vec<String>>,
}

impl Report {
    pub fn record(
        &self,
        key: Key,
        iters: u64,
        wall: Duration,
        cpu: Duration,
        server_cpu: Duration,
    ) {
        let sample = Sample {
            iters,
            wall,
            cpu,
            server_cpu,
        };
        let mut samples = self.samples.lock().expect("not poisoned");
        samples.entry(key).or_default().push(sample);
    }

    pub fn idle(&self, kind: Idle, streams: usize, bytes_per_stream: f64) {
        let mut idle = self.idle.lock().expect("not poisoned");
        idle.push((kind, streams, bytes_per_stream));
    }

    /// A peer that delivered other events than the stream holds: said once, at the end.
    pub fn finding(&self, finding: String) {
        let mut findings = self.findings.lock().expect("not poisoned");
        if !findings.contains(&finding) {
            eprintln!("{finding}");
            findings.push(finding);
        }
    }

    /// The medians over the last `sample_size` samples of each benchmark: those of its
    /// measurement (criterion's warm-up runs the same routine first).
    fn median(&self, key: Key, sample_size: usize) -> Option<Figures> {
        let samples = self.samples.lock().expect("not poisoned");
        let samples = samples.get(&key)?;
        let samples = &samples[samples.len().saturating_sub(sample_size)..];
        #[allow(clippy::cast_precision_loss)] // iteration counts far below 2^52
        let per_iteration = |value: fn(&Sample) -> Duration| {
            let mut values: Vec<f64> = samples
                .iter()
                .map(|sample| value(sample).as_secs_f64() / sample.iters as f64)
                .collect();
            values.sort_by(f64::total_cmp);
            let mid = values.len() / 2;
            if values.len().is_multiple_of(2) {
                f64::midpoint(values[mid - 1], values[mid])
            } else {
                values[mid]
            }
        };
        let wall: Duration = samples.iter().map(|sample| sample.wall).sum();
        let server: Duration = samples.iter().map(|sample| sample.server_cpu).sum();
        Some(Figures {
            wall: per_iteration(|sample| sample.wall),
            cpu: per_iteration(|sample| sample.cpu),
            server_busy: server.as_secs_f64() / wall.as_secs_f64(),
        })
    }

    /// The tables, as markdown.
    pub fn render(&self, streams: &[&Stream], sample_size: usize, profile: &str) -> String {
        let mut out = String::new();
        for stream in streams {
            self.render_stream(&mut out, stream, sample_size, profile);
        }
        self.render_idle(&mut out, profile);
        let findings = self.findings.lock().expect("not poisoned");
        for finding in findings.iter() {
            writeln!(out, "\n{finding}").unwrap();
        }
        out
    }

    fn render_stream(&self, out: &mut String, stream: &Stream, sample_size: usize, profile: &str) {
        #[allow(clippy::cast_precision_loss)] // sizes far below 2^52
        let (events, megabytes) = (stream.events as f64, stream.body_bytes as f64 / 1e6);
        writeln!(
            out,
            "\n#### {} events ({} events, {:.1} MB), {profile}\n",
            stream.name, stream.events, megabytes
        )
        .unwrap();
        out.push_str("| client | events/s (wall) | MB/s (wall) | events per CPU-second | CPU µs per event | server thread busy |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|\n");
        let mut rates = Vec::new();
        for library in Library::ALL {
            let wall = self.median((Clock::Wall, stream.name, library), sample_size);
            let cpu = self.median((Clock::Cpu, stream.name, library), sample_size);
            if wall.is_none() && cpu.is_none() {
                continue;
            }
            let per_wall = wall.map(|figures| events / figures.wall);
            let per_cpu = cpu.map(|figures| events / figures.cpu);
            rates.push((library, per_wall, per_cpu));
            let cell = |value: Option<String>| value.unwrap_or_default();
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                library.name(),
                cell(per_wall.map(thousands)),
                cell(wall.map(|figures| format!("{:.0}", megabytes / figures.wall))),
                cell(per_cpu.map(thousands)),
                cell(cpu.map(|figures| format!("{:.2}", figures.cpu / events * 1e6))),
                cell(wall.map(|figures| format!("{:.0}%", figures.server_busy * 100.0))),
            )
            .unwrap();
        }
        let by_cpu: fn(&Rates) -> Option<f64> = |rate| rate.2;
        let by_wall: fn(&Rates) -> Option<f64> = |rate| rate.1;
        for (what, pick) in [
            ("events per CPU-second", by_cpu),
            ("events/s (wall)", by_wall),
        ] {
            if let Some(line) = ratio_line(&rates, pick) {
                writeln!(out, "\nOurs / the faster peer, {what}: {line}").unwrap();
            }
        }
    }

    fn render_idle(&self, out: &mut String, profile: &str) {
        let idle = self.idle.lock().expect("not poisoned");
        let Some(&(_, streams, _)) = idle.first() else {
            return;
        };
        writeln!(
            out,
            "\n#### Heap bytes held per idle stream ({streams} streams), {profile}\n"
        )
        .unwrap();
        out.push_str("| client | streams made with | bytes per idle stream |\n");
        out.push_str("|---|---|---:|\n");
        for (kind, _, bytes) in idle.iter() {
            let name = kind.library().name();
            writeln!(out, "| {name} | {} | {} |", kind.how(), thousands(*bytes)).unwrap();
        }
        // Like for like: each library's default way, and each library's leanest.
        for (what, pick) in [
            ("by default", Pick::Default),
            ("each at its leanest", Pick::Leanest),
        ] {
            let chosen: Vec<&(Idle, usize, f64)> = Library::ALL
                .iter()
                .filter_map(|library| pick.choose(&idle, *library))
                .collect();
            let Some(ours) = chosen.iter().find(|row| row.0.library().is_ours()) else {
                continue;
            };
            let Some(least) = chosen
                .iter()
                .filter(|row| !row.0.library().is_ours())
                .min_by(|a, b| a.2.total_cmp(&b.2))
            else {
                continue;
            };
            writeln!(
                out,
                "\nPer idle stream, {what}: ours {} ({}) against {} for {} ({}): **{:.2}x**",
                thousands(ours.2),
                ours.0.how(),
                thousands(least.2),
                least.0.library().name(),
                least.0.how(),
                ours.2 / least.2
            )
            .unwrap();
        }
    }
}

/// Which of a library's ways of making idle streams to compare.
#[derive(Clone, Copy)]
enum Pick {
    /// The first listed: what its documentation shows first.
    Default,
    /// The one that holds the least.
    Leanest,
}

impl Pick {
    fn choose(self, rows: &[(Idle, usize, f64)], library: Library) -> Option<&(Idle, usize, f64)> {
        let mut of_library = rows.iter().filter(|row| row.0.library() == library);
        match self {
            Self::Default => of_library.find(|row| row.0.is_default()),
            Self::Leanest => of_library.min_by(|a, b| a.2.total_cmp(&b.2)),
        }
    }
}

type Rates = (Library, Option<f64>, Option<f64>);

/// `2.10x (1,234,567 against reqwest-eventsource's 587,889)`.
fn ratio_line(rates: &[Rates], pick: fn(&Rates) -> Option<f64>) -> Option<String> {
    let ours = rates.iter().find(|rate| rate.0.is_ours()).and_then(pick)?;
    let (peer, best) = rates
        .iter()
        .filter(|rate| !rate.0.is_ours())
        .filter_map(|rate| Some((rate.0, pick(rate)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(format!(
        "**{:.2}x** ({} against {}'s {})",
        ours / best,
        thousands(ours),
        peer.name(),
        thousands(best)
    ))
}

/// Medians of one benchmark, per read of the whole stream, in seconds.
#[derive(Clone, Copy)]
struct Figures {
    wall: f64,
    cpu: f64,
    /// The server thread's CPU time over the client's wall time.
    server_busy: f64,
}

/// `1234567.8` as `1,234,568`.
fn thousands(value: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // positive, rounded
    let digits = (value.round() as u64).to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
