//! `llm-chat`: an LLM-style consumer of `ssekit-client`. It POSTs a chat request with a JSON
//! body to an OpenAI-style streaming endpoint and prints the answer's text as it arrives.
//!
//! ```text
//! cargo run -p examples --bin llm-chat -- --url http://127.0.0.1:8000/v1/chat/completions "Say hello"
//! ```
//!
//! The stream is finite: it ends at `data: [DONE]`, and the POST is never sent twice (an
//! answer cut short is an error, exit code 1, not a second bill). Each event's data is a
//! JSON chunk whose `choices[0].delta.content` holds the next piece of text. An API key in
//! `$LLM_API_KEY` goes out as `Authorization: Bearer`.

use std::io::Write;
use std::process::ExitCode;

use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue, Method, header};
use serde_json::{Value, json};
use ssekit_client::{EventSource, Item, Session, Stopped, Terminal, Url};

const USAGE: &str = "usage: llm-chat --url URL [--model NAME] PROMPT
  --url URL     the streaming chat endpoint (POST, OpenAI-style chunks, ends at [DONE])
  --model NAME  the model to ask (default \"default\")
  $LLM_API_KEY  sent as Authorization: Bearer, when set";

struct Options {
    url: Url,
    model: String,
    prompt: String,
}

fn options(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let (mut url, mut model, mut prompt) = (None, "default".to_owned(), None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--url" => {
                let value = args.next().ok_or("--url needs a value")?;
                url = Some(Url::parse(&value).map_err(|error| format!("--url {value}: {error}"))?);
            }
            "--model" => model = args.next().ok_or("--model needs a value")?,
            flag if flag.starts_with("--") => return Err(format!("unknown argument {flag}")),
            _ if prompt.is_none() => prompt = Some(arg),
            _ => return Err("one prompt only (quote it)".into()),
        }
    }
    Ok(Some(Options {
        url: url.ok_or("--url is required")?,
        model,
        prompt: prompt.ok_or("a prompt is required")?,
    }))
}

/// The request: a POST with a JSON body, finite, ending at `[DONE]`.
fn session(options: &Options) -> Result<Session, String> {
    let body = json!({
        "model": options.model,
        "stream": true,
        "messages": [{"role": "user", "content": options.prompt}],
    });
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(key) = std::env::var("LLM_API_KEY") {
        let value = HeaderValue::try_from(format!("Bearer {key}"))
            .map_err(|_| "$LLM_API_KEY is not a valid header value")?;
        headers.insert(header::AUTHORIZATION, value);
    }
    Ok(Session::new(options.url.clone())
        .request(Method::POST, body.to_string())
        .headers(headers)
        .finite(Some(Terminal::Data("[DONE]".into()))))
}

/// The piece of text a chunk carries, if any.
fn delta(chunk: &Value) -> Option<&str> {
    chunk.pointer("/choices/0/delta/content")?.as_str()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match examples::cli::options_or_exit(
        "llm-chat",
        USAGE,
        options(std::env::args().skip(1)),
    ) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let session = match session(&options) {
        Ok(session) => session,
        Err(message) => {
            eprintln!("llm-chat: {message}");
            return ExitCode::from(2);
        }
    };
    let mut answer = EventSource::new(session);
    let mut out = std::io::stdout().lock();
    while let Some(item) = answer.next().await {
        match item {
            Item::Event(message) => match message.json::<Value>() {
                Ok(chunk) => {
                    if let Some(text) = delta(&chunk) {
                        let _ = write!(out, "{text}");
                        let _ = out.flush();
                    }
                }
                Err(error) => eprintln!(
                    "llm-chat: a chunk that is not JSON ({error}): {}",
                    message.data()
                ),
            },
            Item::Error(error) => eprintln!("llm-chat: {error}"),
            Item::Retrying { attempt, delay, .. } => {
                eprintln!("llm-chat: attempt {attempt} in {delay:?}");
            }
            Item::Stopped(stop) => {
                let _ = writeln!(out);
                if matches!(stop.reason, Stopped::Finished) {
                    return ExitCode::SUCCESS;
                }
                eprint!("llm-chat: stopped: {}", stop.reason.as_str());
                if let Some(response) = stop.response {
                    eprint!(
                        " ({}: {})",
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    );
                }
                eprintln!();
                return ExitCode::FAILURE;
            }
            _ => {}
        }
    }
    ExitCode::FAILURE
}
