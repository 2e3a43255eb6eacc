//! The benchmark corpora, generated deterministically (fixed seeds), and the two ways of
//! delivering them: 16 KiB chunks, and random 1 to 64 byte chunks.

use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;

/// A small, fixed-seed generator: the corpora are the same bytes on every run and machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// xorshift64*.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % bound as u64).unwrap()
    }
}

const WORDS: [&str; 16] = [
    "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", " and", " then", "token",
    "stream", "ing", ",", ".",
];

/// One benchmark corpus.
pub struct Corpus {
    pub name: &'static str,
    pub bytes: Bytes,
    /// Events a spec-exact decoder delivers, and the bytes of their data.
    pub events: usize,
    pub data_bytes: usize,
}

/// How big the corpora are: full size for measurements, small for the CI smoke run.
#[derive(Clone, Copy)]
pub enum Scale {
    Full,
    Smoke,
}

impl Scale {
    /// Ten samples over about three seconds per benchmark at full scale: each iteration
    /// decodes a whole corpus, so that is plenty, and the suite stays within minutes.
    pub fn configure(self, group: &mut BenchmarkGroup<'_, WallTime>) {
        if matches!(self, Self::Full) {
            group
                .sample_size(10)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(3));
        }
    }

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

    fn count(self, full: usize) -> usize {
        match self {
            Self::Full => full,
            Self::Smoke => (full / 1000).max(4),
        }
    }
}

/// (A) An LLM token stream: 200k small JSON events, LF endings.
pub fn llm_tokens(scale: Scale) -> Corpus {
    let mut rng = Rng::new(0xA);
    let mut text = String::new();
    let mut data_bytes = 0;
    let events = scale.count(200_000);
    for _ in 0..events {
        let data = format!(
            r#"{{"id":"chatcmpl-1","choices":[{{"delta":{{"content":"{}"}}}}]}}"#,
            WORDS[rng.below(WORDS.len())]
        );
        data_bytes += data.len();
        text.push_str("data: ");
        text.push_str(&data);
        text.push_str("\n\n");
    }
    corpus("A llm-tokens", text, events, data_bytes)
}

/// (B) Large: 48 events, each one data line of 64 to 256 KiB (a tool result or an image
/// from an LLM API, base64).
pub fn large(scale: Scale) -> Corpus {
    const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = Rng::new(0xB);
    let events = match scale {
        Scale::Full => 48,
        Scale::Smoke => 4,
    };
    let mut text = String::new();
    let mut data_bytes = 0;
    for _ in 0..events {
        let len = 64 * 1024 + rng.below(192 * 1024 + 1);
        text.push_str("data: ");
        text.extend((0..len).map(|_| char::from(BASE64[rng.below(64)])));
        text.push_str("\n\n");
        data_bytes += len;
    }
    corpus("B large", text, events, data_bytes)
}

/// (C) Mixed fields with CRLF endings: `id`, `event`, 3 to 5 `data` lines (some starting
/// with a space), and an occasional comment.
pub fn mixed_crlf(scale: Scale) -> Corpus {
    let mut rng = Rng::new(0xC);
    let events = scale.count(100_000);
    let mut text = String::new();
    let mut data_bytes = 0;
    for n in 0..events {
        if rng.below(8) == 0 {
            text.push_str(": keep-alive\r\n");
        }
        let kind = rng.below(4);
        writeln!(text, "id: {n}\r\nevent: update-{kind}\r").expect("writing to a String");
        let lines = 3 + rng.below(3);
        for line in 0..lines {
            let mut value = String::new();
            if rng.below(3) == 0 {
                value.push(' ');
            }
            for _ in 0..2 + rng.below(6) {
                value.push_str(WORDS[rng.below(WORDS.len())]);
            }
            data_bytes += value.len() + usize::from(line > 0);
            text.push_str("data: ");
            text.push_str(&value);
            text.push_str("\r\n");
        }
        text.push_str("\r\n");
    }
    corpus("C mixed-crlf", text, events, data_bytes)
}

/// (D) Tiny: `data: x` and a blank line, a million times.
pub fn tiny(scale: Scale) -> Corpus {
    let events = scale.count(1_000_000);
    corpus("D tiny", "data: x\n\n".repeat(events), events, events)
}

fn corpus(name: &'static str, text: String, events: usize, data_bytes: usize) -> Corpus {
    Corpus {
        name,
        bytes: Bytes::from(text),
        events,
        data_bytes,
    }
}

pub fn all(scale: Scale) -> Vec<Corpus> {
    vec![
        llm_tokens(scale),
        large(scale),
        mixed_crlf(scale),
        tiny(scale),
    ]
}

/// How a corpus reaches the decoder.
#[derive(Clone, Copy, Debug)]
pub enum Delivery {
    /// 16 KiB chunks, as a network read loop delivers them.
    Chunks16K,
    /// Random chunks of 1 to 64 bytes (fixed seed): the worst a network can do.
    Random1To64,
}

impl Delivery {
    pub const ALL: [Self; 2] = [Self::Chunks16K, Self::Random1To64];

    pub fn name(self) -> &'static str {
        match self {
            Self::Chunks16K => "16KiB",
            Self::Random1To64 => "1-64B",
        }
    }

    /// The corpus cut into chunks (slices of the same memory, not copies).
    pub fn cut(self, bytes: &Bytes) -> Vec<Bytes> {
        let mut rng = Rng::new(0x5EED);
        let mut chunks = Vec::new();
        let mut start = 0;
        while start < bytes.len() {
            let len = match self {
                Self::Chunks16K => 16 * 1024,
                Self::Random1To64 => 1 + rng.below(64),
            };
            let end = (start + len).min(bytes.len());
            chunks.push(bytes.slice(start..end));
            start = end;
        }
        chunks
    }
}
