//! What the example servers' command lines share: reading the options, and listening on
//! loopback, each failure said in one line on standard error.

use std::net::SocketAddr;
use std::process::ExitCode;

use tokio::net::TcpListener;

/// The options `parsed` holds, or the exit code to return: 0 after printing `usage` when
/// they asked for it (`Ok(None)`), 2 after printing the error and `usage`.
///
/// # Errors
///
/// The exit code, when the program should stop here.
pub fn options_or_exit<T>(
    program: &str,
    usage: &str,
    parsed: Result<Option<T>, String>,
) -> Result<T, ExitCode> {
    match parsed {
        Ok(Some(options)) => Ok(options),
        Ok(None) => {
            println!("{usage}");
            Err(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("{program}: {message}\n{usage}");
            Err(ExitCode::from(2))
        }
    }
}

/// A listener on 127.0.0.1:`port` (any free port for 0), and the address it got.
///
/// # Errors
///
/// Exit code 1, after saying on standard error why it cannot listen.
pub async fn listen_on_loopback(
    program: &str,
    port: u16,
) -> Result<(TcpListener, SocketAddr), ExitCode> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    match TcpListener::bind(address).await {
        Ok(listener) => {
            let address = listener.local_addr().unwrap_or(address);
            Ok((listener, address))
        }
        Err(error) => {
            eprintln!("{program}: cannot listen on {address}: {error}");
            Err(ExitCode::FAILURE)
        }
    }
}
