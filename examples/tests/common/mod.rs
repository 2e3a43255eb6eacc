//! What the tests of the example binaries share.
#![allow(dead_code)] // Each test file uses its own part.

pub mod browser;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Starts `command` (a server that prints the URL it serves on, `http://ADDRESS/`, in its
/// first line); returns the process and that address. What it prints afterwards goes
/// nowhere, so that a full pipe never blocks it.
pub fn spawn_server(command: &mut Command) -> (Child, SocketAddr) {
    let (child, address, mut stdout) = spawn_and_read_url(command);
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (child, address)
}

/// Like [`spawn_server`], and keeps the lines the server prints after its first, as they
/// come.
pub fn spawn_server_keeping_output(
    command: &mut Command,
) -> (Child, SocketAddr, Arc<Mutex<Vec<String>>>) {
    let (child, address, stdout) = spawn_and_read_url(command);
    let output = Arc::new(Mutex::new(Vec::new()));
    let lines = Arc::clone(&output);
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let Ok(line) = line else { return };
            lines.lock().unwrap().push(line);
        }
    });
    (child, address, output)
}

/// Starts `command` and reads the address from its first line.
fn spawn_and_read_url(command: &mut Command) -> (Child, SocketAddr, BufReader<ChildStdout>) {
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).unwrap();
    let address = first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no URL in {first_line:?}"))
        .parse()
        .unwrap();
    (child, address, stdout)
}

/// A `talk` binary on a free port, killed when dropped. It logs its clients (as the binary
/// always does), which tells how many streams it serves.
pub struct TalkProcess {
    child: Child,
    address: SocketAddr,
    output: Arc<Mutex<Vec<String>>>,
}

impl TalkProcess {
    /// Starts `talk --port 0` with `args` and waits for its URL.
    pub fn start(args: &[&str]) -> Self {
        let mut talk = Command::new(env!("CARGO_BIN_EXE_talk"));
        talk.args(["--port", "0"]).args(args);
        let (child, address, output) = spawn_server_keeping_output(&mut talk);
        Self {
            child,
            address,
            output,
        }
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How many event streams it serves, from the last `a client is listening (N open)` or
    /// `a client left (N open)` it printed; 0 before either.
    pub fn open_streams(&self) -> usize {
        let output = self.output.lock().unwrap();
        output
            .iter()
            .rev()
            .find(|line| line.starts_with("a client "))
            .and_then(|line| line.split('(').nth(1)?.split(' ').next()?.parse().ok())
            .unwrap_or(0)
    }

    /// Sends it `signal` (`KILL`, `TERM`, ...).
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
        assert!(
            sent.unwrap().success(),
            "kill -{signal} {}",
            self.child.id()
        );
    }

    /// Waits for it to exit, at most `patience`.
    pub fn wait_for_exit(&mut self, patience: Duration) -> ExitStatus {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "talk at {} still runs after {patience:?}",
                self.address
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for TalkProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
