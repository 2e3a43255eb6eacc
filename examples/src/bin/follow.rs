//! `follow`: a long-lived follower of an event stream on `ssekit-client`, which keeps its
//! resume id in a file, so that when it is restarted it goes on after the last event it
//! printed (at least once: never a gap).
//!
//! ```text
//! cargo run -p examples --bin follow -- --resume-file talk.id http://127.0.0.1:8080/talk
//! ```
//!
//! Each event is printed as one line, `<id> <event type> <data>` (data lines joined by
//! `\n` escaped as `\\n`); what the client does along the way (opened, errors, waits) goes
//! to standard error. It runs until SIGINT or SIGTERM, or until the server stops it (a
//! `204`, a `4xx`: exit code 1).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use ssekit_client::{BoxError, EventSource, Item, ResumeStore, Session, Url};

const USAGE: &str = "usage: follow [--resume-file PATH] [--read-timeout-ms N] URL
  --resume-file PATH    where the last event id is kept between runs (default follow.id)
  --read-timeout-ms N   reconnect when nothing arrives for N ms (default 45000; 0: never)";

struct Options {
    url: Url,
    resume_file: PathBuf,
    read_timeout: Option<Duration>,
}

fn options(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut url = None;
    let mut resume_file = PathBuf::from("follow.id");
    let mut read_timeout = Some(Duration::from_secs(45));
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--resume-file" => {
                resume_file = args.next().ok_or("--resume-file needs a value")?.into();
            }
            "--read-timeout-ms" => {
                let value = args.next().ok_or("--read-timeout-ms needs a value")?;
                let ms: u64 = value
                    .parse()
                    .map_err(|_| format!("not a number: {value}"))?;
                read_timeout = (ms > 0).then(|| Duration::from_millis(ms));
            }
            flag if flag.starts_with("--") => return Err(format!("unknown argument {flag}")),
            _ if url.is_none() => {
                url = Some(Url::parse(&arg).map_err(|error| format!("{arg}: {error}"))?);
            }
            _ => return Err("one URL only".into()),
        }
    }
    Ok(Some(Options {
        url: url.ok_or("a URL is required")?,
        resume_file,
        read_timeout,
    }))
}

/// The resume id in a file: written to a temporary file beside it, then renamed over it,
/// so that a crash mid-write leaves the old id, never half of one.
struct ResumeFile {
    path: PathBuf,
}

impl ResumeStore for ResumeFile {
    fn load(&self) -> BoxFuture<'static, Result<Option<String>, BoxError>> {
        let path = self.path.clone();
        Box::pin(async move {
            match tokio::fs::read_to_string(&path).await {
                Ok(id) => Ok(Some(id)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(format!("{}: {error}", path.display()).into()),
            }
        })
    }

    fn store(&self, id: String) -> BoxFuture<'static, Result<(), BoxError>> {
        let path = self.path.clone();
        Box::pin(async move {
            let mut partial = path.clone().into_os_string();
            partial.push(".partial");
            tokio::fs::write(&partial, id).await?;
            tokio::fs::rename(&partial, &path).await?;
            Ok(())
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options =
        match examples::cli::options_or_exit("follow", USAGE, options(std::env::args().skip(1))) {
            Ok(options) => options,
            Err(code) => return code,
        };
    let mut events = EventSource::new(Session::new(options.url)).resume_store(ResumeFile {
        path: options.resume_file,
    });
    if let Some(timeout) = options.read_timeout {
        events = events.read_timeout(timeout);
    }
    let follow = async {
        let mut out = std::io::stdout().lock();
        while let Some(item) = events.next().await {
            match item {
                Item::Event(message) => {
                    let data = message.data().replace('\n', "\\n");
                    let _ = writeln!(
                        out,
                        "{} {} {data}",
                        message.last_event_id(),
                        message.event_type()
                    );
                    let _ = out.flush();
                }
                Item::Open { url, attempt, .. } => {
                    eprintln!("follow: open {url} (attempt {attempt})");
                }
                Item::Error(error) => eprintln!("follow: {error}"),
                Item::Retrying {
                    attempt,
                    delay,
                    cause,
                } => {
                    eprintln!(
                        "follow: attempt {attempt} in {delay:?} ({})",
                        cause.as_str()
                    );
                }
                Item::Stopped(stop) => {
                    eprintln!("follow: stopped: {}", stop.reason.as_str());
                    return ExitCode::FAILURE;
                }
                _ => {}
            }
        }
        ExitCode::FAILURE
    };
    tokio::select! {
        code = follow => code,
        () = examples::signal::interrupted_or_terminated() => ExitCode::SUCCESS,
    }
}
