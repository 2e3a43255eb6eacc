//! The server: hyper 1's HTTP/1.1 connection on 127.0.0.1, on a thread and a current-thread
//! runtime of its own, writing pre-encoded bodies as fast as the socket takes them.
//!
//! - `/small` and `/64KiB`: the whole stream, in 16 KiB frames (chunked: no length, as
//!   an event stream has none), then the end of the body.
//! - `/idle`: the head and one comment, then nothing, for as long as the client holds on.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

use super::corpus::Stream;
use super::measure::thread_cpu;

/// The running server (it runs until the process ends).
pub struct Server {
    pub addr: SocketAddr,
    /// The server thread's CPU time in nanoseconds, as of the last frame it wrote.
    cpu_nanos: Arc<AtomicU64>,
}

impl Server {
    /// Serves `streams` under `/{name}`, and `/idle`.
    pub fn start(streams: &[&Stream]) -> Self {
        let mut routes: HashMap<String, Arc<[Bytes]>> = streams
            .iter()
            .map(|stream| (format!("/{}", stream.name), stream.frames.clone().into()))
            .collect();
        routes.insert(
            "/idle".to_owned(),
            Arc::new([Bytes::from_static(b": idle\n\n")]),
        );
        let routes = Arc::new(routes);
        let cpu_nanos = Arc::new(AtomicU64::new(0));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let cpu = cpu_nanos.clone();
        std::thread::Builder::new()
            .name("sse-server".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                runtime.block_on(serve(routes, cpu, addr_tx));
            })
            .expect("a server thread");
        let addr = addr_rx.recv().expect("the server's address");
        Self { addr, cpu_nanos }
    }

    /// The server thread's CPU time so far (up to its last frame written).
    pub fn cpu(&self) -> Duration {
        Duration::from_nanos(self.cpu_nanos.load(Ordering::Relaxed))
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }
}

async fn serve(
    routes: Arc<HashMap<String, Arc<[Bytes]>>>,
    cpu: Arc<AtomicU64>,
    addr_tx: std::sync::mpsc::Sender<SocketAddr>,
) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("a port on 127.0.0.1");
    // Room for a thousand idle clients connecting at once.
    let listener = socket.listen(4096).expect("listen");
    addr_tx
        .send(listener.local_addr().expect("the bound address"))
        .expect("the bench waits for the address");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let routes = routes.clone();
        let cpu = cpu.clone();
        let service = service_fn(move |request: Request<Incoming>| {
            let response = match routes.get(request.uri().path()) {
                Some(frames) => Response::builder()
                    .header("content-type", "text/event-stream")
                    .header("cache-control", "no-cache")
                    .body(ServerBody {
                        frames: frames.clone(),
                        next: 0,
                        hold: request.uri().path() == "/idle",
                        cpu: cpu.clone(),
                    }),
                None => Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(ServerBody {
                        frames: Arc::new([]),
                        next: 0,
                        hold: false,
                        cpu: cpu.clone(),
                    }),
            };
            std::future::ready(Ok::<_, Infallible>(response.expect("a valid response")))
        });
        tokio::spawn(async move {
            // A client that goes away mid-stream is the usual end here, not an error.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A body of ready frames (clones of the same `Bytes`), then the end or, held, nothing more.
struct ServerBody {
    frames: Arc<[Bytes]>,
    next: usize,
    hold: bool,
    cpu: Arc<AtomicU64>,
}

impl Body for ServerBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let nanos = u64::try_from(thread_cpu().as_nanos()).unwrap_or(u64::MAX);
        this.cpu.store(nanos, Ordering::Relaxed);
        if let Some(frame) = this.frames.get(this.next) {
            this.next += 1;
            return Poll::Ready(Some(Ok(Frame::data(frame.clone()))));
        }
        if this.hold {
            // Held open: no waker kept, nothing more will come; the connection ends when
            // the client closes it.
            return Poll::Pending;
        }
        Poll::Ready(None)
    }
}
