//! A TCP proxy between the backend and Redis that breaks connections on purpose: it resets
//! them, stops forwarding while keeping them open (half-open), or drops Redis's replies.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does with the bytes it gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Passes them on.
    Forward,
    /// Holds them, both ways, with every socket open: a connection that went silent.
    Silent,
    /// Passes requests on and drops Redis's replies.
    DropReplies,
}

pub struct Proxy {
    port: u16,
    mode: watch::Sender<Mode>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    connections_made: Arc<AtomicUsize>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// A proxy on a free loopback port to Redis on `upstream`.
    pub async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (mode, _) = watch::channel(Mode::Forward);
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let connections_made = Arc::new(AtomicUsize::new(0));
        let accept = tokio::spawn({
            let mode = mode.clone();
            let connections = Arc::clone(&connections);
            let counter = Arc::clone(&connections_made);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        continue;
                    };
                    counter.fetch_add(1, Ordering::SeqCst);
                    let task = tokio::spawn(pipe(client, server, mode.subscribe()));
                    connections.lock().unwrap().push(task);
                }
            }
        });
        Self {
            port,
            mode,
            connections,
            connections_made,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Closes every connection it carries now, both sides.
    pub fn reset(&self) {
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// How many connections it has carried.
    pub fn connections_made(&self) -> usize {
        self.connections_made.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.reset();
    }
}

async fn pipe(client: TcpStream, server: TcpStream, mode: watch::Receiver<Mode>) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let requests = copy(client_read, server_write, mode.clone(), false);
    let replies = copy(server_read, client_write, mode, true);
    tokio::select! {
        () = requests => {}
        () = replies => {}
    }
}

async fn copy(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
    replies: bool,
) {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        // Hold while silent: nothing read, nothing written, the sockets open.
        while *mode.borrow_and_update() == Mode::Silent {
            if mode.changed().await.is_err() {
                return;
            }
        }
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        };
        let Ok(read @ 1..) = read else {
            return;
        };
        if replies && *mode.borrow() == Mode::DropReplies {
            continue;
        }
        if *mode.borrow() == Mode::Silent {
            // Became silent while reading: the bytes wait with the rest.
            while *mode.borrow_and_update() == Mode::Silent {
                if mode.changed().await.is_err() {
                    return;
                }
            }
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
