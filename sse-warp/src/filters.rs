//! Filters for the request side of an event stream.

use std::convert::Infallible;

use ssekit_core::headers;
use warp::http::HeaderValue;
use warp::{Filter, Rejection};

/// Extracts the id a reconnecting client sent in `Last-Event-ID`, so that the handler can
/// resume after it. `None` when the header is absent, and also when it holds no valid id (not
/// UTF-8, or holding CR, LF or U+0000): this filter never rejects.
///
/// # Example
///
/// ```
/// use warp::Filter;
///
/// let route = ssekit_warp::last_event_id()
///     .map(|last_event_id: Option<String>| format!("resuming after {last_event_id:?}"));
/// # let _ = route;
/// ```
pub fn last_event_id()
-> impl Filter<Extract = (Option<String>,), Error = Infallible> + Clone + Send + Sync + 'static {
    warp::header::value(headers::LAST_EVENT_ID)
        .map(|value: HeaderValue| headers::last_event_id(value.as_bytes()).map(str::to_owned))
        .or(warp::any().map(|| None))
        .unify()
}

/// Lets through only requests whose `Accept` asks for `text/event-stream`, as a browser's
/// `EventSource` does; others are rejected with `not_found`, so that an `or` can serve them
/// something else (a page, say), and an unmatched one gets `404`.
///
/// # Example
///
/// ```
/// use warp::Filter;
///
/// let stream = ssekit_warp::accepts_event_stream().map(|| "an event stream would go here");
/// let page = warp::any().map(|| warp::reply::html("<p>open me with EventSource</p>"));
/// let talk = warp::path("talk").and(stream.or(page));
/// # let _ = talk;
/// ```
pub fn accepts_event_stream()
-> impl Filter<Extract = (), Error = Rejection> + Clone + Send + Sync + 'static {
    warp::header::value("accept")
        .map(|accept: HeaderValue| headers::accepts_event_stream(accept.as_bytes()))
        .or(warp::any().map(|| false))
        .unify()
        .and_then(|accepted: bool| async move {
            if accepted {
                Ok(())
            } else {
                Err(warp::reject::not_found())
            }
        })
        .untuple_one()
}
