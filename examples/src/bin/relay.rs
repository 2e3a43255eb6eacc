//! `relay`: the hub as a black box, with the contract of `SPEC.md`.
//!
//! ```text
//! cargo run -p examples --bin relay -- [--port N] [--retain N] [--redis URL]
//! ```
//!
//! With `--redis`, its topics live in that Redis: every instance given the same URL serves
//! the same events, and a client resumes on any of them.
//!
//! It serves on 127.0.0.1 (port 8081 by default, 0 for any free one), prints the URL it
//! serves on, and runs until SIGINT or SIGTERM: then every open stream writes a `retry:`
//! hint and ends, and the process exits 0.

use std::process::ExitCode;

use examples::cli;
use examples::relay::{self, DEFAULT_RETAINED_EVENTS};
use examples::signal::interrupted_or_terminated;
use ssekit_axum::ShutdownLayer;
use ssekit_core::Shutdown;
use ssekit_hub::Hub;
use ssekit_redis::{RedisBackend, RedisConfig};

const USAGE: &str = "usage: relay [--port N] [--retain N] [--redis URL]
  --port N      port to listen on, on 127.0.0.1 (default 8081; 0 for any free port)
  --retain N    events each topic retains for reconnecting clients (default 1000)
  --redis URL   share topics through this Redis (redis://host:port/db) with other instances";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    port: u16,
    retain: usize,
    redis: Option<String>,
}

/// Reads the flags; `Ok(None)` asks for the usage text.
fn options(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: 8081,
        retain: DEFAULT_RETAINED_EVENTS,
        redis: None,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let port = value()?;
                options.port = port.parse().map_err(|_| format!("not a port: {port}"))?;
            }
            "--retain" => {
                let retain = value()?;
                options.retain = retain
                    .parse()
                    .map_err(|_| format!("not a number of events: {retain}"))?;
            }
            "--redis" => options.redis = Some(value()?),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(Some(options))
}

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = options(std::env::args().skip(1));
    let options = match cli::options_or_exit("relay", USAGE, parsed) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let (listener, address) = match cli::listen_on_loopback("relay", options.port).await {
        Ok(listening) => listening,
        Err(code) => return code,
    };
    let config = relay::config(options.retain);
    let (router, backend) = match &options.redis {
        None => (
            relay::router(Hub::with_config(config)),
            "in memory".to_owned(),
        ),
        Some(url) => {
            let redis = RedisConfig::new(url.as_str()).hub(config);
            match RedisBackend::connect(redis).await {
                Ok(backend) => (
                    relay::router(Hub::with_backend(backend)),
                    format!("on Redis at {url}"),
                ),
                Err(error) => {
                    eprintln!("relay: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    println!(
        "relay is serving on http://{address}/ ({backend}, {} events retained per topic)",
        options.retain
    );
    let shutdown = Shutdown::new(interrupted_or_terminated());
    let app = router.layer(ShutdownLayer::new(shutdown.clone()));
    match axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("relay: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, String> {
        options(args.iter().map(ToString::to_string))
    }

    #[test]
    fn defaults_and_flags() {
        let defaults = Options {
            port: 8081,
            retain: DEFAULT_RETAINED_EVENTS,
            redis: None,
        };
        assert_eq!(parse(&[]), Ok(Some(defaults)));
        let set = parse(&[
            "--port",
            "0",
            "--retain",
            "5",
            "--redis",
            "redis://127.0.0.1:7/",
        ]);
        let set = set.unwrap().unwrap();
        assert_eq!((set.port, set.retain), (0, 5));
        assert_eq!(set.redis.as_deref(), Some("redis://127.0.0.1:7/"));
        assert_eq!(parse(&["--help"]), Ok(None));
    }

    #[test]
    fn bad_values_are_refused() {
        for args in [
            &["--port", "70000"][..],
            &["--port"],
            &["--retain", "-1"],
            &["--redis"],
            &["--verbose"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }
}
