//! One shutdown signal for every event-stream response of a router.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum_core::body::Body;
use axum_core::response::Response;
use http::{Request, header};
use pin_project_lite::pin_project;
use ssekit_core::{Shutdown, headers};
use tower_layer::Layer;
use tower_service::Service;

/// A tower layer that ends every event-stream response of the service it wraps (an axum
/// `Router`, say) at a [`Shutdown`]: when the signal completes, each open stream writes the
/// shutdown's last frame (a `retry:` hint by default) and ends, so that the server's graceful
/// shutdown completes instead of waiting for its clients.
///
/// It touches only responses whose `Content-Type` is `text/event-stream`, and wraps their
/// body as it is: this crate's [`Sse`](crate::Sse), and any other body whose frames are
/// whole events (the last frame goes between two body frames). Give the same `Shutdown` to
/// the server, so that it stops accepting at the same moment.
///
/// # Example
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use futures_util::stream;
/// use ssekit_axum::{Event, Shutdown, ShutdownLayer, Sse};
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let shutdown = Shutdown::new(async {
///         let _ = tokio::signal::ctrl_c().await;
///     });
///     let app = Router::new()
///         .route("/events", get(|| async { Sse::new(stream::pending::<Event>()) }))
///         .layer(ShutdownLayer::new(shutdown.clone()));
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
///     axum::serve(listener, app).with_graceful_shutdown(shutdown).await
/// }
/// ```
#[derive(Clone, Debug)]
pub struct ShutdownLayer {
    shutdown: Shutdown,
}

impl ShutdownLayer {
    /// A layer that ends event streams at `shutdown`.
    ///
    /// # Example
    ///
    /// ```
    /// use ssekit_axum::{Shutdown, ShutdownLayer};
    ///
    /// let layer = ShutdownLayer::new(Shutdown::new(std::future::pending()));
    /// let _app: axum::Router = axum::Router::new().layer(layer);
    /// ```
    pub fn new(shutdown: Shutdown) -> Self {
        Self { shutdown }
    }
}

impl<S> Layer<S> for ShutdownLayer {
    type Service = ShutdownService<S>;

    fn layer(&self, inner: S) -> ShutdownService<S> {
        ShutdownService {
            inner,
            shutdown: self.shutdown.clone(),
        }
    }
}

/// The service [`ShutdownLayer`] makes: `S`, with its event-stream responses ending at the
/// shutdown.
///
/// # Example
///
/// ```
/// use tower_layer::Layer;
/// use ssekit_axum::{Shutdown, ShutdownLayer, ShutdownService};
///
/// let router = axum::Router::new();
/// let _service: ShutdownService<axum::Router> =
///     ShutdownLayer::new(Shutdown::new(std::future::pending())).layer(router);
/// ```
#[derive(Clone, Debug)]
pub struct ShutdownService<S> {
    inner: S,
    shutdown: Shutdown,
}

impl<S, B> Service<Request<B>> for ShutdownService<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ShutdownFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ShutdownFuture {
            response: self.inner.call(request),
            shutdown: Some(self.shutdown.clone()),
        }
    }
}

pin_project! {
    /// The response future of [`ShutdownService`].
    #[derive(Debug)]
    pub struct ShutdownFuture<F> {
        #[pin]
        response: F,
        shutdown: Option<Shutdown>,
    }
}

impl<F, E> Future for ShutdownFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.response.poll(cx))?;
        let shutdown = this.shutdown.take().expect("polled after completion");
        Poll::Ready(Ok(ending_at(response, &shutdown)))
    }
}

/// `response`, whose body ends at `shutdown` if it is an event stream.
fn ending_at(response: Response, shutdown: &Shutdown) -> Response {
    let is_event_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| headers::is_event_stream(value.as_bytes()));
    if !is_event_stream {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = Body::from_stream(shutdown.wrap(body.into_data_stream()));
    Response::from_parts(parts, body)
}
