//! The rules of [`answer`], served by axum through `ssekit-axum`.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use ssekit_axum::{AcceptsEventStream, LastEventId, Sse};

use super::{Answer, PAGE, Talk, answer};

/// Every method and path goes to one handler, as in the original.
pub fn router(talk: Talk) -> Router {
    Router::new().fallback(respond).with_state(talk)
}

async fn respond(
    State(talk): State<Talk>,
    uri: Uri,
    accepts: Option<AcceptsEventStream>,
    LastEventId(last_event_id): LastEventId,
) -> Response {
    match answer(uri.path(), accepts.is_some()) {
        Answer::EventStream => {
            let sse = Sse::from_frames(talk.events(last_event_id.as_deref()));
            match talk.keep_alive.clone() {
                Some(keep_alive) => sse.keep_alive(keep_alive).into_response(),
                None => sse.without_keep_alive().into_response(),
            }
        }
        Answer::NotFound => StatusCode::NOT_FOUND.into_response(),
        Answer::Page => Html(PAGE).into_response(),
    }
}
