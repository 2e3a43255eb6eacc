//! The rules of [`answer`], served by warp through `ssekit-warp`.

use std::convert::Infallible;

use warp::Filter;
use warp::filters::path::FullPath;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::{Answer, PAGE, Talk, answer};

/// Requests that ask for an event stream, then everything else; any method.
pub fn routes(talk: Talk) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone {
    let stream_talk = talk.clone();
    let streams = ssekit_warp::accepts_event_stream()
        .and(warp::path::full())
        .and(ssekit_warp::last_event_id())
        .map(move |path: FullPath, last_event_id: Option<String>| {
            respond(&stream_talk, path.as_str(), true, last_event_id.as_deref())
        });
    let others =
        warp::path::full().map(move |path: FullPath| respond(&talk, path.as_str(), false, None));
    streams.or(others).unify()
}

fn respond(talk: &Talk, path: &str, accepts: bool, last_event_id: Option<&str>) -> Response {
    match answer(path, accepts) {
        Answer::EventStream => {
            let sse = ssekit_warp::Sse::from_frames(talk.events(last_event_id));
            match talk.keep_alive.clone() {
                Some(keep_alive) => sse.keep_alive(keep_alive).into_response(),
                None => sse.without_keep_alive().into_response(),
            }
        }
        Answer::NotFound => StatusCode::NOT_FOUND.into_response(),
        Answer::Page => warp::reply::html(PAGE).into_response(),
    }
}
