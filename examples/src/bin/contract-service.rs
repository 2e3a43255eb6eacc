//! `contract-service`: the test service of `CLIENT.md`, for conformance harnesses that drive
//! `ssekit-client` over HTTP.
//!
//! ```text
//! cargo run -p examples --bin contract-service -- [--port N]
//! ```
//!
//! It serves on 127.0.0.1 (port 8000 by default, 0 for any free one), prints the URL it
//! serves on, and runs until `DELETE /`, SIGINT or SIGTERM.

use std::process::ExitCode;

use examples::cli;
use examples::contract::{self, Streams};
use examples::signal::interrupted_or_terminated;

const USAGE: &str = "usage: contract-service [--port N]
  --port N   port to listen on, on 127.0.0.1 (default 8000; 0 for any free port)";

fn port(args: impl IntoIterator<Item = String>) -> Result<Option<u16>, String> {
    let mut port = 8000;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value.parse().map_err(|_| format!("not a port: {value}"))?;
            }
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(Some(port))
}

#[tokio::main]
async fn main() -> ExitCode {
    let port = match cli::options_or_exit("contract-service", USAGE, port(std::env::args().skip(1)))
    {
        Ok(port) => port,
        Err(code) => return code,
    };
    let (listener, address) = match cli::listen_on_loopback("contract-service", port).await {
        Ok(listening) => listening,
        Err(code) => return code,
    };
    println!("contract-service is serving on http://{address}/");
    let (streams, quit) = Streams::new();
    let stop = async {
        tokio::select! {
            _ = quit => {}
            () = interrupted_or_terminated() => {}
        }
    };
    match axum::serve(listener, contract::router(streams))
        .with_graceful_shutdown(stop)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("contract-service: {error}");
            ExitCode::FAILURE
        }
    }
}
