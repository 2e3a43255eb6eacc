//! Decoders side by side on identical bytes: ours (sans-IO, and through the `Stream`
//! adapter), the peers, and for context what the machine does with the same bytes (a raw
//! `memchr2` scan, `memchr2_iter` over every line ending, a plain copy).
//!
//! `cargo bench -p ssekit-core --bench decode`; `-- --test` runs each once on small corpora.

mod common;

use std::hint::black_box;

use bytes::Bytes;
use common::corpus::{self, Corpus, Delivery, Scale};
use common::peers::{self, DecodeFn};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn decoders(c: &mut Criterion) {
    let scale = Scale::from_args();
    for corpus in corpus::all(scale) {
        for delivery in Delivery::ALL {
            let chunks = delivery.cut(&corpus.bytes);
            let mut group =
                c.benchmark_group(format!("decode/{}/{}", corpus.name, delivery.name()));
            group.throughput(Throughput::Bytes(corpus.bytes.len() as u64));
            scale.configure(&mut group);
            for (name, decode) in peers::decoders() {
                // Checked when the benchmark runs, once: a filtered run checks only what it
                // times (and a profile of one decoder holds no other).
                let mut checked = false;
                group.bench_function(name, |b| {
                    if !checked {
                        report_miscount(name, decode, &corpus, &chunks);
                        checked = true;
                    }
                    b.iter(|| decode(black_box(&chunks)));
                });
            }
            for (name, baseline) in BASELINES {
                group.bench_function(name, |b| b.iter(|| baseline(black_box(&chunks))));
            }
            group.finish();
        }
    }
}

/// A peer that delivers other events or data than the spec says is a finding: say so. For
/// our own decoder it is a bug, and the run (the CI smoke run too) stops.
fn report_miscount(name: &str, decode: DecodeFn, corpus: &Corpus, chunks: &[Bytes]) {
    let got = decode(chunks);
    let expected = (corpus.events, corpus.data_bytes);
    if got != expected {
        let finding = format!(
            "finding: {name} on {} ({} chunks): {got:?} (events, data bytes), spec says {expected:?}",
            corpus.name,
            chunks.len()
        );
        assert!(!name.starts_with("ssekit-core"), "{finding}");
        eprintln!("{finding}");
    }
}

/// A pass over the chunks that counts something, so the work cannot be optimized away.
type Baseline = fn(&[Bytes]) -> usize;

/// What the machine does with the same chunks, for scale.
const BASELINES: [(&str, Baseline); 3] = [
    ("baseline/memchr2-scan", |chunks| {
        // Two bytes the corpora never hold: a pure scan of every byte.
        chunks
            .iter()
            .filter_map(|chunk| memchr::memchr2(0, 1, chunk))
            .count()
    }),
    ("baseline/memchr2_iter-line-endings", |chunks| {
        chunks
            .iter()
            .map(|chunk| memchr::memchr2_iter(b'\r', b'\n', chunk).count())
            .sum()
    }),
    ("baseline/copy", |chunks| {
        let mut copy = Vec::with_capacity(64 * 1024);
        let mut total = 0;
        for chunk in chunks {
            copy.clear();
            copy.extend_from_slice(chunk);
            total += copy.len();
        }
        total
    }),
];

criterion_group!(benches, decoders);
criterion_main!(benches);
