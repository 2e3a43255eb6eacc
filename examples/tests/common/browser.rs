//! Headless Chromium, driven over the Chrome DevTools protocol: Debian's `chromium`
//! (`scripts/test` installs it), or the binary `CHROMIUM` names.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use ssekit_testing::Get;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long the browser may take to start, load the page or show what it should.
pub const BROWSER_PATIENCE: Duration = Duration::from_secs(30);

/// Waits until `done`, at most [`BROWSER_PATIENCE`].
pub async fn wait_until(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + BROWSER_PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A headless Chromium with a fresh profile, killed (and its profile removed) on drop.
pub struct Browser {
    process: Child,
    profile: PathBuf,
    debugging_port: u16,
}

impl Browser {
    pub async fn launch(url: &str) -> Self {
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            Path::new(&binary).exists(),
            "no browser at {binary}: install Debian's chromium (scripts/test does) or set CHROMIUM"
        );
        let profile = std::env::temp_dir().join(format!(
            "talk-browser-test-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        let process = Command::new(&binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-quic",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {binary}: {error}"));
        let mut browser = Self {
            process,
            profile,
            debugging_port: 0,
        };
        // Chromium writes the port it chose into the profile.
        let port_file = browser.profile.join("DevToolsActivePort");
        wait_until(
            || {
                std::fs::read_to_string(&port_file)
                    .ok()
                    .and_then(|text| text.lines().next()?.parse::<u16>().ok())
                    .map(|port| browser.debugging_port = port)
                    .is_some()
            },
            "Chromium announces its debugging port",
        )
        .await;
        browser
    }

    /// The tab showing `url`.
    pub async fn page(&self, url: &str) -> Page {
        let address = ([127, 0, 0, 1], self.debugging_port).into();
        let deadline = Instant::now() + BROWSER_PATIENCE;
        let websocket_url = loop {
            let response = Get::plain("/json/list").send(address).await;
            let status = response.status;
            let targets = response.text().await;
            let targets: Value = serde_json::from_str(&targets)
                .unwrap_or_else(|error| panic!("{status}: {error}: {targets:?}"));
            let page = targets
                .as_array()
                .unwrap()
                .iter()
                .find(|target| target["type"] == "page" && target["url"].as_str() == Some(url));
            if let Some(page) = page {
                break page["webSocketDebuggerUrl"].as_str().unwrap().to_string();
            }
            assert!(Instant::now() < deadline, "the browser never opened {url}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let (socket, _) = tokio_tungstenite::connect_async(websocket_url)
            .await
            .unwrap();
        Page { socket, next_id: 1 }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// One tab, spoken to over its DevTools websocket.
pub struct Page {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Page {
    /// Calls a DevTools method and returns its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let command = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(WsMessage::text(command.to_string()))
            .await
            .unwrap();
        let reply = tokio::time::timeout(BROWSER_PATIENCE, async {
            loop {
                let message = self
                    .socket
                    .next()
                    .await
                    .expect("the browser answers")
                    .unwrap();
                let Ok(text) = message.to_text() else {
                    continue;
                };
                let reply: Value = serde_json::from_str(text).unwrap();
                // Skip the events the browser sends on its own.
                if reply["id"] == id {
                    return reply;
                }
            }
        })
        .await
        .expect("the browser answers in time");
        assert!(reply.get("error").is_none(), "{method} failed: {reply}");
        reply["result"].clone()
    }

    /// Evaluates JavaScript in the page and returns its value.
    pub async fn evaluate(&mut self, expression: &str) -> Value {
        let params = json!({ "expression": expression, "returnByValue": true });
        let result = self.call("Runtime.evaluate", params).await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// The text of the page's content area, one line per line shown.
    pub async fn content_text(&mut self) -> String {
        // Empty until the page has loaded.
        let expression = "document.getElementById('content')?.innerText ?? ''";
        let text = self.evaluate(expression).await;
        text.as_str().unwrap_or_default().trim().to_string()
    }

    pub async fn wait_for_text(&mut self, mut done: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + BROWSER_PATIENCE;
        loop {
            let text = self.content_text().await;
            if done(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed it; it shows:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn save_screenshot(&mut self, path: &Path) {
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}
