//! The decoder's memory limits: a clear error, bounded memory, and recovery afterwards.

mod common;

use common::data;
use ssekit_core::{DecodeError, Decoded, Decoder, Limits};

/// Pulls everything the decoder has, errors included.
fn pull_all(decoder: &mut Decoder) -> Vec<Result<Decoded, DecodeError>> {
    let mut items = Vec::new();
    loop {
        match decoder.next_decoded() {
            Ok(None) => return items,
            Ok(Some(item)) => items.push(Ok(item)),
            Err(error) => items.push(Err(error)),
        }
    }
}

fn decode_with(limits: Limits, input: &[u8]) -> Vec<Result<Decoded, DecodeError>> {
    let mut decoder = Decoder::with_limits(limits);
    decoder.push(input);
    decoder.finish();
    pull_all(&mut decoder)
}

const LINE_TOO_LONG: DecodeError = DecodeError::LineTooLong { limit: 10 };

#[test]
fn overlong_data_line_drops_its_event_and_decoding_resumes_after_it() {
    let limits = Limits::new().max_line_len(10);
    let input = b"data: a\ndata: 0123456789\ndata: b\n\ndata: next\n\n";
    assert_eq!(
        decode_with(limits, input),
        [Err(LINE_TOO_LONG), Ok(data("next"))]
    );
}

#[test]
fn overlong_comment_or_unknown_field_costs_only_itself() {
    let limits = Limits::new().max_line_len(10);
    let input = b"data: a\n: a long comment\nunknown: long value\ndata: b\n\n";
    assert_eq!(
        decode_with(limits, input),
        [Err(LINE_TOO_LONG), Err(LINE_TOO_LONG), Ok(data("a\nb"))]
    );
}

#[test]
fn overlong_id_line_keeps_the_previous_id() {
    let limits = Limits::new().max_line_len(10);
    let mut decoder = Decoder::with_limits(limits);
    decoder.push(b"id: 1\n\nid: 0123456789\ndata: lost\n\ndata: x\n\n");
    let items = pull_all(&mut decoder);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], Err(LINE_TOO_LONG));
    assert_eq!(decoder.last_event_id(), "1");
}

#[test]
fn line_limit_counts_the_line_without_its_ending() {
    let limits = Limits::new().max_line_len(7);
    assert_eq!(decode_with(limits, b"data: x\r\n\r\n"), [Ok(data("x"))]);
}

#[test]
fn error_for_a_partial_line_comes_as_soon_as_it_outgrows_the_limit() {
    let mut decoder = Decoder::with_limits(Limits::new().max_line_len(10));
    decoder.push(b"data: 0123");
    assert_eq!(decoder.next_decoded(), Ok(None));
    decoder.push(b"4");
    assert_eq!(decoder.next_decoded(), Err(LINE_TOO_LONG));
    assert_eq!(decoder.buffered_len(), 0);
    decoder.push(b"56789\n\ndata: ok\n\n");
    assert_eq!(pull_all(&mut decoder), [Ok(data("ok"))]);
}

#[test]
fn event_too_large_drops_the_event_and_decoding_resumes_after_it() {
    let limits = Limits::new().max_event_size(8);
    // "abc\n" + "defg\n" is 9 bytes of data.
    let input = b"data: abc\ndata: defg\ndata: more\n\ndata: 1234567\n\n";
    assert_eq!(
        decode_with(limits, input),
        [
            Err(DecodeError::EventTooLarge { limit: 8 }),
            Ok(data("1234567"))
        ]
    );
}

#[test]
fn retry_and_comments_still_count_while_an_event_is_dropped() {
    let limits = Limits::new().max_event_size(4);
    let mut decoder = Decoder::with_limits(limits);
    decoder.set_emit_comments(true);
    decoder.push(b"data: abcd\n:ping\nretry: 9\ndata: x\n\n");
    let items = pull_all(&mut decoder);
    assert_eq!(
        items,
        [
            Err(DecodeError::EventTooLarge { limit: 4 }),
            Ok(Decoded::Comment("ping".into())),
            Ok(common::retry(9)),
        ]
    );
}

#[test]
fn a_long_line_without_breaks_in_chunks_keeps_memory_under_the_limit() {
    const LIMIT: usize = 1 << 20;
    const CHUNK: usize = 64 << 10;
    let mut decoder = Decoder::with_limits(Limits::new().max_line_len(LIMIT));
    let chunk = vec![b'x'; CHUNK];
    decoder.push(b"data: ");
    let mut errors = 0;
    // 64 MiB, 64 times the limit.
    for _ in 0..1024 {
        decoder.push(&chunk);
        for item in pull_all(&mut decoder) {
            assert_eq!(item, Err(DecodeError::LineTooLong { limit: LIMIT }));
            errors += 1;
        }
        assert!(decoder.buffered_len() <= LIMIT + CHUNK);
    }
    assert_eq!(errors, 1, "one error per overlong line");
    decoder.push(b"\n\ndata: after\n\n");
    assert_eq!(pull_all(&mut decoder), [Ok(data("after"))]);
}

#[test]
fn a_long_line_arriving_byte_by_byte_is_scanned_once() {
    // Rescanning the line from its start on every push would take about 10^12 steps here and
    // never finish; scanning each byte once takes milliseconds.
    const LEN: usize = 2 << 20;
    let mut decoder = Decoder::with_limits(Limits::unlimited());
    decoder.push(b"data: ");
    for _ in 0..LEN {
        decoder.push(b"y");
        assert_eq!(decoder.next_decoded(), Ok(None));
    }
    decoder.push(b"\n\n");
    let Ok(Some(Decoded::Message(message))) = decoder.next_decoded() else {
        panic!("the event must arrive");
    };
    assert_eq!(message.data().len(), LEN);
}

#[test]
fn buffered_len_counts_input_and_the_event_being_built() {
    let mut decoder = Decoder::new();
    decoder.push(b"event: t\nid: 12\ndata: abc\nda");
    assert_eq!(pull_all(&mut decoder), []);
    // "t" + "12" + "abc\n" gathered, "da" waiting.
    assert_eq!(decoder.buffered_len(), 1 + 2 + 4 + 2);
    decoder.push(b"ta: d\n\n");
    assert_eq!(pull_all(&mut decoder).len(), 1);
    assert_eq!(decoder.buffered_len(), 0);
}

#[test]
fn a_bom_arriving_in_pieces_does_not_count_toward_the_line_limit() {
    let mut decoder = Decoder::with_limits(Limits::new().max_line_len(1));
    for byte in b"\xEF\xBB\xBF:\n" {
        decoder.push([*byte]);
        assert_eq!(decoder.next_decoded(), Ok(None));
    }
}

#[test]
fn a_bom_still_arriving_is_held_whatever_the_limits() {
    // Found by the `limits` fuzz target: two bytes of a possible BOM wait for the third, even
    // with zero limits, and count in buffered_len.
    let mut decoder = Decoder::with_limits(Limits::new().max_line_len(0).max_event_size(0));
    decoder.push(b"\xEF");
    decoder.push(b"\xBB");
    assert_eq!(decoder.next_decoded(), Ok(None));
    assert_eq!(decoder.buffered_len(), 2);
    decoder.push(b"L");
    assert_eq!(
        decoder.next_decoded(),
        Err(DecodeError::LineTooLong { limit: 0 })
    );
    assert_eq!(decoder.buffered_len(), 0);
}
