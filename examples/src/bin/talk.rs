//! `talk`: the `/talk` server of the original document, on this library.
//!
//! ```text
//! cargo run -p examples --bin talk -- [--port N] [--interval-ms N] [--keep-alive-ms N]
//!     [--framework axum|warp] [--redis URL]
//! ```
//!
//! With `--redis`, the events go through that Redis: every instance given the same URL
//! serves the same sequence, and a page resumes on any of them.
//!
//! `--keep-alive-ms N` sends a comment on a stream that has been quiet for N ms (15000 by
//! default, under the 60 s after which nginx cuts a silent stream); 0 sends none.
//!
//! `--port` falls back to `$PORT`, then 8080; `--interval-ms` to `$TALK_INTERVAL_MS`, then
//! 5000. It listens on 127.0.0.1, prints the URL to open, and shuts down gracefully on
//! Ctrl-C (SIGINT) or SIGTERM: each event stream sends a `retry:` hint and ends, then the
//! server waits for their connections to close and exits 0.

use std::process::ExitCode;
use std::time::Duration;

use examples::cli;
use examples::signal::interrupted_or_terminated;
use examples::talk::{self, Framework, Talk};
use ssekit_core::Shutdown;

const USAGE: &str = "usage: talk [--port N] [--interval-ms N] [--keep-alive-ms N] [--framework axum|warp] [--redis URL]
  --port N          port to listen on, on 127.0.0.1 (default: $PORT, or 8080)
  --interval-ms N   time between events (default: $TALK_INTERVAL_MS, or 5000)
  --keep-alive-ms N a comment on a stream quiet for N ms, so that proxies keep it; 0: none (default: 15000)
  --framework F     axum or warp: the same server through either adapter (default: axum)
  --redis URL       share the events through this Redis (redis://host:port/db) with other instances";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    port: u16,
    interval: Duration,
    /// `None`: no keep-alive comments.
    keep_alive: Option<Duration>,
    framework: Framework,
    redis: Option<String>,
}

/// Reads the flags, then the environment (through `env`), then the defaults. `Ok(None)`
/// asks for the usage text.
fn options(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Options>, String> {
    let mut port = env("PORT");
    let mut interval = env("TALK_INTERVAL_MS");
    let mut keep_alive = None;
    let mut framework = None;
    let mut redis = None;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => &mut port,
            "--interval-ms" => &mut interval,
            "--keep-alive-ms" => &mut keep_alive,
            "--framework" => &mut framework,
            "--redis" => &mut redis,
            _ => return Err(format!("unknown argument {flag}")),
        };
        *slot = Some(args.next().ok_or_else(|| format!("{flag} needs a value"))?);
    }
    let port = port.map_or(Ok(8080), |port| {
        port.parse::<u16>()
            .map_err(|_| format!("not a port number: {port}"))
    })?;
    let interval_ms = interval.map_or(Ok(5000), |ms| match ms.parse::<u64>() {
        Ok(ms) if ms > 0 => Ok(ms),
        _ => Err(format!("not a positive number of milliseconds: {ms}")),
    })?;
    let keep_alive = match keep_alive.as_deref().map(str::parse::<u64>) {
        None => Some(ssekit_core::DEFAULT_KEEP_ALIVE_INTERVAL),
        Some(Ok(0)) => None,
        Some(Ok(ms)) => Some(Duration::from_millis(ms)),
        Some(Err(_)) => {
            let value = keep_alive.unwrap_or_default();
            return Err(format!("not a number of milliseconds: {value}"));
        }
    };
    let framework = match framework.as_deref() {
        None | Some("axum") => Framework::Axum,
        Some("warp") => Framework::Warp,
        Some(other) => return Err(format!("unknown framework {other}: axum or warp")),
    };
    Ok(Some(Options {
        port,
        interval: Duration::from_millis(interval_ms),
        keep_alive,
        framework,
        redis,
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = options(std::env::args().skip(1), |name| std::env::var(name).ok());
    let options = match cli::options_or_exit("talk", USAGE, parsed) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let (listener, address) = match cli::listen_on_loopback("talk", options.port).await {
        Ok(listening) => listening,
        Err(code) => return code,
    };
    let talk = match &options.redis {
        None => Talk::new(options.interval),
        Some(url) => match Talk::on_redis(options.interval, url).await {
            Ok(talk) => talk,
            Err(error) => {
                eprintln!("talk: {error}");
                return ExitCode::FAILURE;
            }
        },
    };
    let talk = talk.keep_alive(options.keep_alive);
    let shared = options.redis.as_ref().map_or_else(String::new, |url| {
        format!(", shared through Redis at {url}")
    });
    let keep_alive = talk.keep_alive_interval().map_or_else(
        || "no keep-alive".to_string(),
        |interval| format!("keep-alive after {} ms", interval.as_millis()),
    );
    println!(
        "talk is serving through {:?}, an event every {} ms, {keep_alive}{shared}: open {}",
        options.framework,
        options.interval.as_millis(),
        talk::url(address)
    );
    let shutdown = Shutdown::new(async {
        interrupted_or_terminated().await;
        println!("shutting down: ending the event streams");
    });
    let talk = talk.logging();
    match talk::serve(listener, options.framework, talk, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("talk: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Option<Options>, String> {
        let args = args.iter().map(ToString::to_string);
        options(args, |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn defaults() {
        let expected = Options {
            port: 8080,
            interval: Duration::from_secs(5),
            keep_alive: Some(Duration::from_secs(15)),
            framework: Framework::Axum,
            redis: None,
        };
        assert_eq!(parse(&[], &[]), Ok(Some(expected)));
    }

    #[test]
    fn flags_win_over_the_environment() {
        let env = [("PORT", "9000"), ("TALK_INTERVAL_MS", "250")];
        let from_env = parse(&[], &env).unwrap().unwrap();
        assert_eq!((from_env.port, from_env.interval.as_millis()), (9000, 250));
        let args = [
            "--port",
            "9001",
            "--interval-ms",
            "100",
            "--framework",
            "warp",
            "--redis",
            "redis://127.0.0.1:7/",
            "--keep-alive-ms",
            "1000",
        ];
        let from_flags = parse(&args, &env).unwrap().unwrap();
        assert_eq!(from_flags.keep_alive, Some(Duration::from_secs(1)));
        assert_eq!(from_flags.port, 9001);
        assert_eq!(from_flags.interval, Duration::from_millis(100));
        assert_eq!(from_flags.framework, Framework::Warp);
        assert_eq!(from_flags.redis.as_deref(), Some("redis://127.0.0.1:7/"));
    }

    #[test]
    fn keep_alive_zero_turns_it_off() {
        let options = parse(&["--keep-alive-ms", "0"], &[]).unwrap().unwrap();
        assert_eq!(options.keep_alive, None);
    }

    #[test]
    fn bad_values_are_refused() {
        for args in [
            &["--port", "70000"][..],
            &["--port"],
            &["--interval-ms", "0"],
            &["--interval-ms", "soon"],
            &["--keep-alive-ms", "-1"],
            &["--keep-alive-ms"],
            &["--framework", "rocket"],
            &["--verbose"],
        ] {
            assert!(parse(args, &[]).is_err(), "{args:?}");
        }
        assert!(parse(&[], &[("PORT", "x")]).is_err());
    }

    #[test]
    fn help() {
        assert_eq!(parse(&["--help"], &[]), Ok(None));
    }
}
