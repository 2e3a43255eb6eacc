//! The signals a server stops at.

use tokio::signal::unix::{SignalKind, signal};

/// Completes at the first SIGINT (Ctrl-C) or SIGTERM (what `kill`, systemd and container
/// runtimes send); never, where neither handler can be installed (run until killed).
pub async fn interrupted_or_terminated() {
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = terminate => {}
        () = interrupt => {}
    }
}
