//! The `/talk` page in a real browser: headless Chromium, driven over the Chrome DevTools
//! protocol, loads the page from a running server, shows the events, and stops listening
//! when its button is clicked; the server sees the connection close.
//!
//! Needs Debian's `chromium` (`scripts/test` installs it); `CHROMIUM` names another binary.
//! With `TALK_SCREENSHOT=path.png`, it saves what the page showed after the click.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::browser::{Browser, wait_until};
use examples::talk::{self, Framework, Talk};
use ssekit_core::Shutdown;
use ssekit_testing::RedisServer;
use tokio::net::TcpListener;

/// The events' interval: short, so that several arrive quickly.
const INTERVAL: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_events_and_stops_listening_in_a_real_browser() {
    let started = Instant::now();
    for framework in [Framework::Axum, Framework::Warp] {
        check_page(framework, Talk::new(INTERVAL)).await;
    }
    println!("browser test took {:.1} s", started.elapsed().as_secs_f64());
}

/// Two servers on one Redis: the page works against either, and both show one sequence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_works_against_either_of_two_instances_on_one_redis() {
    let redis = RedisServer::start();
    let first = Talk::on_redis(INTERVAL, &redis.url()).await.unwrap();
    let second = Talk::on_redis(INTERVAL, &redis.url()).await.unwrap();
    check_page(Framework::Axum, first.clone()).await;
    check_page(Framework::Warp, second.clone()).await;
    assert!(first.stats().published + second.stats().published >= 4);
}

async fn check_page(framework: Framework, talk: Talk) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = talk::url(listener.local_addr().unwrap());
    let never = Shutdown::new(std::future::pending());
    tokio::spawn(talk::serve(listener, framework, talk.clone(), never));

    let browser = Browser::launch(&url).await;
    let mut page = browser.page(&url).await;

    let text = page
        .wait_for_text(|text| text.matches("new server event ").count() >= 2)
        .await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0], "Connections to the server established..",
        "{text}"
    );
    assert!(lines[1..].iter().all(|line| is_event_line(line)), "{text}");
    assert_eq!(talk.open_streams(), 1, "{framework:?}: the page listens");

    page.evaluate("document.getElementById('stopButton').click()")
        .await;
    let text = page
        .wait_for_text(|text| text.ends_with("Listening to server events stopped.."))
        .await;
    wait_until(
        || talk.open_streams() == 0,
        "the server sees the page stop listening",
    )
    .await;
    // No event arrives once the source is closed.
    tokio::time::sleep(INTERVAL * 2).await;
    assert_eq!(
        page.content_text().await,
        text,
        "{framework:?}: nothing after the stop"
    );

    if let Some(path) = std::env::var_os("TALK_SCREENSHOT") {
        let mut path = PathBuf::from(path);
        path.set_extension(format!("{framework:?}.png").to_lowercase());
        page.save_screenshot(&path).await;
        println!(
            "{framework:?}: screenshot in {}; the page showed:\n{text}",
            path.display()
        );
    }
}

/// `new server event 7:05:09 PM`, as the original's page shows it.
fn is_event_line(line: &str) -> bool {
    line.strip_prefix("new server event ")
        .is_some_and(|time| time.ends_with(" AM") || time.ends_with(" PM"))
}
