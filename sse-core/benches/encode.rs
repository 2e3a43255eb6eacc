//! Encoders side by side on the same events: ours (straight into a reused buffer, and
//! through `encode_stream`) and the peers' response bodies. Each builds its own event type
//! from the same strings and hands each body frame it writes to a sink, which counts its
//! bytes and lets it go, as a server writes a frame to its socket; nothing is gathered into
//! one body in the timed loop. Before timing, what each writes is gathered, decoded back with
//! our decoder and compared with the input (a mismatch is reported as a finding).
//!
//! `cargo bench -p ssekit-core --bench encode`; `-- --test` runs each once on few events.

mod common;

use std::hint::black_box;

use common::corpus::{Rng, Scale};
use common::peers::{self, EncodeFn, Input, Inputs};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ssekit_core::{Decoded, Decoder, Limits};

/// (1) Small events: an id, a type and a short line of data, a million times; one in eight
/// data values starts with a space, which a correct encoder must keep.
fn small_events(count: usize) -> Inputs {
    let mut rng = Rng::new(0xE1);
    (0..count)
        .map(|n| Input {
            id: n.to_string(),
            event_type: format!("update-{}", rng.below(4)),
            data: format!(
                r#"{}{{"seq":{n},"value":{}}}"#,
                if n % 8 == 0 { " " } else { "" },
                rng.next() % 1000
            ),
        })
        .collect()
}

/// (2) 8 KiB of data in 64-byte lines, ten thousand times.
fn multi_line_events(count: usize) -> Inputs {
    let mut rng = Rng::new(0xE2);
    (0..count)
        .map(|n| {
            let lines: Vec<String> = (0..128)
                .map(|_| {
                    (0..63)
                        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz"[rng.below(26)]))
                        .collect()
                })
                .collect();
            Input {
                id: n.to_string(),
                event_type: "chunk".to_string(),
                data: lines.join("\n"),
            }
        })
        .collect()
}

fn encoders(c: &mut Criterion) {
    let scale = Scale::from_args();
    let (small, multi) = match scale {
        Scale::Full => (1_000_000, 10_000),
        Scale::Smoke => (1_000, 10),
    };
    for (name, inputs) in [
        ("small", small_events(small)),
        ("8KiB-multi-line", multi_line_events(multi)),
    ] {
        let mut group = c.benchmark_group(format!("encode/{name}"));
        group.throughput(Throughput::Elements(inputs.len() as u64));
        scale.configure(&mut group);
        for (encoder, encode) in peers::encoders() {
            report_mismatch(encoder, encode, &inputs);
            group.bench_function(encoder, |b| {
                b.iter(|| {
                    let mut written = 0;
                    encode(black_box(&inputs), &mut |frame| {
                        written += black_box(frame).len();
                    });
                    written
                });
            });
        }
        group.bench_function("floor/copy", |b| {
            b.iter(|| copy_floor(black_box(&inputs)));
        });
        group.finish();
    }
}

/// For scale, the least any encoder does: each event's id, type and data copied once into a
/// reused buffer and handed on, with no line splitting and no field names. Not an encoder
/// (multi-line data would not decode back), so not checked.
fn copy_floor(inputs: &[Input]) -> usize {
    let mut buf = Vec::new();
    let mut written = 0;
    for input in inputs {
        buf.extend_from_slice(input.id.as_bytes());
        buf.extend_from_slice(input.event_type.as_bytes());
        buf.extend_from_slice(input.data.as_bytes());
        written += black_box(&buf).len();
        buf.clear();
    }
    written
}

/// What an encoder writes must decode back to its input: say so when it does not (and stop,
/// when the encoder is ours).
fn report_mismatch(name: &str, encode: EncodeFn, inputs: &Inputs) {
    let mut bytes = Vec::new();
    encode(inputs, &mut |frame| bytes.extend_from_slice(frame));
    let mut decoder = Decoder::with_limits(Limits::unlimited());
    decoder.push(&bytes);
    decoder.finish();
    let mut messages = Vec::new();
    while let Some(item) = decoder.next_decoded().unwrap() {
        if let Decoded::Message(message) = item {
            messages.push(message);
        }
    }
    let same = messages.len() == inputs.len()
        && messages.iter().zip(inputs.iter()).all(|(message, input)| {
            message.data() == input.data
                && message.event_type() == input.event_type
                && message.last_event_id() == input.id
        });
    if !same {
        let first_difference = messages
            .iter()
            .zip(inputs.iter())
            .find(|(message, input)| message.data() != input.data)
            .map(|(message, input)| format!("{:?} for {:?}", message.data(), input.data));
        let finding = format!(
            "finding: {name}: {} events decoded back for {} sent; first data difference: {first_difference:?}",
            messages.len(),
            inputs.len()
        );
        assert!(!name.starts_with("ssekit-core"), "{finding}");
        eprintln!("{finding}");
    }
}

criterion_group!(benches, encoders);
criterion_main!(benches);
