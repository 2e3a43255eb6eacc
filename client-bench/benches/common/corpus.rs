//! The streams the server sends, generated with fixed seeds, and how big they are.

use std::fmt::Write as _;

use bytes::Bytes;

/// How big the streams are: full size for measurements, small for the CI smoke run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Full,
    Smoke,
}

impl Scale {
    /// Smoke when criterion runs in test mode: `cargo bench -- --test`, or `cargo test
    /// --benches` (which passes no `--bench`).
    pub fn from_args() -> Self {
        let test_mode = std::env::args().any(|arg| arg == "--test");
        let benching = std::env::args().any(|arg| arg == "--bench");
        if test_mode || !benching {
            Self::Smoke
        } else {
            Self::Full
        }
    }
}

/// A small, fixed-seed generator (xorshift64*): the same bytes on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % bound as u64).expect("below a usize")
    }
}

/// One long `text/event-stream` body, encoded once, and what a client must get from it.
pub struct Stream {
    /// `small` or `64KiB`: the benchmark group's name.
    pub name: &'static str,
    /// The body, cut into the frames the server writes (slices of one buffer).
    pub frames: Vec<Bytes>,
    pub body_bytes: usize,
    /// Events a spec-exact client delivers, and the bytes of their data.
    pub events: usize,
    pub data_bytes: usize,
}

/// The server writes the body in frames of this size (HTTP/1.1 chunks), cut wherever they
/// fall, as a busy server's batches do: lines and events straddle frames.
pub const FRAME: usize = 16 * 1024;

const WORDS: [&str; 16] = [
    "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", " and", " then", "token",
    "stream", "ing", ",", ".",
];

/// Small events, as an LLM streams its tokens: an `id` and one `data` line of JSON,
/// about 110 bytes each (200,000 of them, 22 MB).
pub fn small(scale: Scale) -> Stream {
    let events = match scale {
        Scale::Full => 200_000,
        Scale::Smoke => 1_000,
    };
    let mut rng = Rng(0xC1);
    let mut text = String::new();
    let mut data_bytes = 0;
    for n in 0..events {
        let data = format!(
            r#"{{"id":"chatcmpl-7","object":"chat.completion.chunk","choices":[{{"delta":{{"content":"{}"}}}}]}}"#,
            WORDS[rng.below(WORDS.len())]
        );
        data_bytes += data.len();
        write!(text, "id: {n}\ndata: {data}\n\n").expect("writing to a String");
    }
    stream("small", text, events, data_bytes)
}

/// Large events, as a tool result carrying an image: an `id` and one `data` line of
/// 64 KiB exactly (JSON around base64, on one line as JSON keeps it), 256 of them (16 MiB).
pub fn large(scale: Scale) -> Stream {
    const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const DATA: usize = 64 * 1024;
    let events = match scale {
        Scale::Full => 256,
        Scale::Smoke => 8,
    };
    let mut rng = Rng(0xC2);
    let mut text = String::new();
    for n in 0..events {
        let head = r#"{"type":"image","media_type":"image/png","data":""#;
        let tail = r#""}"#;
        write!(text, "id: {n}\ndata: {head}").expect("writing to a String");
        text.extend((0..DATA - head.len() - tail.len()).map(|_| char::from(BASE64[rng.below(64)])));
        text.push_str(tail);
        text.push_str("\n\n");
    }
    stream("64KiB", text, events, events * DATA)
}

fn stream(name: &'static str, text: String, events: usize, data_bytes: usize) -> Stream {
    let body = Bytes::from(text);
    let frames = (0..body.len())
        .step_by(FRAME)
        .map(|start| body.slice(start..(start + FRAME).min(body.len())))
        .collect();
    Stream {
        name,
        frames,
        body_bytes: body.len(),
        events,
        data_bytes,
    }
}
