//! One test per rule of `shared/SPEC.md`, named after the rule. Every decoding case is fed
//! whole, cut at every offset (and every pair of offsets), and byte by byte, and checked
//! against the oracle as well.

mod common;

use bytes::BytesMut;
use common::{assert_decodes, assert_decodes_to, comment, data, message, retry};
use ssekit_core::{Decoded, Decoder, Event, Field, FieldError, Limits};

// ## Wire format: UTF-8

#[test]
fn utf8_leading_bom_is_dropped() {
    assert_decodes(b"\xEF\xBB\xBFdata: x\n\n", &[data("x")]);
}

#[test]
fn utf8_bom_is_dropped_only_once() {
    // The second BOM is part of the first line's field name, so the field is unknown.
    assert_decodes(
        b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n",
        &[data("y")],
    );
}

#[test]
fn utf8_bom_is_dropped_only_at_the_start() {
    assert_decodes(b"data: \xEF\xBB\xBFx\n\n", &[data("\u{FEFF}x")]);
    assert_decodes(b"\n\xEF\xBB\xBFdata: x\n\n", &[]);
}

#[test]
fn utf8_partial_bom_at_the_start_is_text() {
    assert_decodes(b"\xEF\xBBdata: x\n\n", &[]);
    assert_decodes(b"\xEF\xBB\n\ndata: x\n\n", &[data("x")]);
}

#[test]
fn utf8_invalid_sequences_become_replacement_characters() {
    assert_decodes(b"data: a\xFFb\n\n", &[data("a\u{FFFD}b")]);
    // Overlong encodings and surrogates: one U+FFFD per maximal invalid subpart.
    assert_decodes(b"data: \xC0\x80\n\n", &[data("\u{FFFD}\u{FFFD}")]);
    assert_decodes(
        b"data: \xED\xA0\x80\n\n",
        &[data("\u{FFFD}\u{FFFD}\u{FFFD}")],
    );
    // A sequence cut short by the line ending is invalid.
    assert_decodes(b"data: \xE2\x82\n\n", &[data("\u{FFFD}")]);
    assert_decodes(
        b"event: \xF0\x9F\ndata: x\n\n",
        &[message("\u{FFFD}", "x", "")],
    );
}

#[test]
fn utf8_sequence_split_across_chunks_is_decoded_once_complete() {
    // assert_decodes cuts inside every multi-byte character.
    assert_decodes("data: é€😀\n\n".as_bytes(), &[data("é€😀")]);
    assert_decodes(
        "id: ж\ndata: x\n\n".as_bytes(),
        &[message("message", "x", "ж")],
    );
}

// ## Wire format: line endings

#[test]
fn lines_end_with_crlf_lf_or_cr() {
    assert_decodes(
        b"data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\n\r",
        &[data("a"), data("b"), data("c"), data("d")],
    );
}

#[test]
fn cr_at_chunk_end_then_lf_is_one_line_ending() {
    assert_decodes(b"data: a\r\ndata: b\r\n\r\n", &[data("a\nb")]);
}

#[test]
fn lf_then_cr_is_two_line_endings() {
    assert_decodes(b"data: a\n\rdata: b\n\n", &[data("a"), data("b")]);
}

// ## Wire format: kinds of line

#[test]
fn empty_line_dispatches_the_pending_event() {
    assert_decodes(b"data: a\n\n\n\ndata: b\n\n", &[data("a"), data("b")]);
}

#[test]
fn comment_line_is_ignored() {
    assert_decodes(
        b": hello\ndata: a\n:\n\n",
        &[comment(" hello"), comment(""), data("a")],
    );
    let (items, _) = common::decode_cut(b": hello\ndata: a\n\n", &[], false);
    assert_eq!(items, [data("a")]);
}

#[test]
fn field_name_is_before_the_first_colon_and_value_after_it() {
    assert_decodes(b"data: a: b:c\n\n", &[data("a: b:c")]);
}

#[test]
fn field_value_loses_at_most_one_leading_space() {
    assert_decodes(b"data:no space\n\n", &[data("no space")]);
    assert_decodes(b"data:  two\n\n", &[data(" two")]);
    assert_decodes(b"data:\tx\n\n", &[data("\tx")]);
    assert_decodes(b"data: \n\n", &[data("")]);
}

#[test]
fn line_without_colon_is_a_field_with_empty_value() {
    assert_decodes(b"data\n\n", &[data("")]);
    assert_decodes(b"data\ndata\n\n", &[data("\n")]);
    assert_decodes(b"id\ndata\n\n", &[data("")]);
}

// ## Wire format: fields

#[test]
fn field_names_are_case_sensitive() {
    assert_decodes(b"Data: x\n\nDATA: y\n\nEvent: t\ndata: z\n\n", &[data("z")]);
}

#[test]
fn unknown_fields_are_ignored() {
    assert_decodes(b"foo: bar\ndata: x\ndata : y\n\n", &[data("x")]);
}

#[test]
fn event_field_sets_the_event_type() {
    assert_decodes(b"event: a\nevent: b\ndata: x\n\n", &[message("b", "x", "")]);
}

#[test]
fn data_field_appends_value_and_lf() {
    assert_decodes(b"data: a\ndata:\ndata: b\n\n", &[data("a\n\nb")]);
}

#[test]
fn id_field_sets_the_last_event_id_buffer() {
    assert_decodes_to(
        b"id: 1\ndata: a\n\ndata: b\n\n",
        &[message("message", "a", "1"), message("message", "b", "1")],
        "1",
    );
}

#[test]
fn id_field_with_null_is_ignored() {
    assert_decodes_to(
        b"id: 1\n\nid: a\0b\ndata: x\n\n",
        &[message("message", "x", "1")],
        "1",
    );
}

#[test]
fn id_field_empty_resets_the_last_event_id() {
    assert_decodes_to(
        b"id: 1\ndata: a\n\nid\ndata: b\n\n",
        &[message("message", "a", "1"), data("b")],
        "",
    );
}

#[test]
fn retry_field_with_ascii_digits_sets_the_reconnection_time() {
    assert_decodes(b"retry: 1500\nretry:0\n", &[retry(1500), retry(0)]);
    let mut decoder = Decoder::new();
    decoder.push(b"retry: 1500\n");
    assert_eq!(decoder.next_decoded(), Ok(Some(retry(1500))));
    assert_eq!(decoder.reconnection_time().unwrap().as_millis(), 1500);
}

#[test]
fn retry_field_with_anything_but_digits_is_ignored() {
    assert_decodes(
        "retry: +5\nretry: -5\nretry: 1.5\nretry: 1e3\nretry:  5\nretry: 5 \nretry\nretry:\nretry: ５\n"
            .as_bytes(),
        &[],
    );
}

#[test]
fn retry_field_too_large_for_u64_milliseconds_is_ignored() {
    assert_decodes(b"retry: 18446744073709551616\n", &[]);
    assert_decodes(b"retry: 18446744073709551615\n", &[retry(u64::MAX)]);
}

#[test]
fn retry_field_takes_effect_at_once_without_dispatch() {
    // No blank line follows: the retry still counts, the event does not.
    assert_decodes(b"data: x\nretry: 7\n", &[retry(7)]);
}

// ## Dispatch

#[test]
fn dispatch_sets_the_last_event_id_even_without_data() {
    assert_decodes_to(b"id: 5\n\n", &[], "5");
}

#[test]
fn dispatch_with_empty_data_buffer_clears_the_event_type() {
    assert_decodes(b"event: a\n\ndata: x\n\n", &[data("x")]);
}

#[test]
fn dispatch_drops_one_trailing_lf() {
    assert_decodes(b"data: a\ndata:\n\n", &[data("a\n")]);
}

#[test]
fn dispatch_type_is_message_when_unset_or_empty() {
    assert_decodes(b"event:\ndata: x\n\n", &[data("x")]);
    assert_decodes(b"event: message\ndata: x\n\n", &[data("x")]);
}

#[test]
fn dispatch_clears_data_and_type_but_keeps_the_id() {
    assert_decodes_to(
        b"event: a\nid: 9\ndata: 1\n\ndata: 2\n\n",
        &[message("a", "1", "9"), message("message", "2", "9")],
        "9",
    );
}

// ## End of stream

#[test]
fn end_of_stream_drops_an_event_without_its_blank_line() {
    assert_decodes_to(b"data: a\n", &[], "");
    assert_decodes_to(
        b"id: 1\ndata: a\n\nid: 2\ndata: b",
        &[message("message", "a", "1")],
        "1",
    );
}

#[test]
fn end_of_stream_drops_an_unterminated_line() {
    assert_decodes(b"retry: 5", &[]);
}

#[test]
fn end_of_stream_after_cr_counts_the_cr_as_a_line_ending() {
    assert_decodes(b"data: a\r\r", &[data("a")]);
}

// ## The decode example's case

#[test]
fn spec_example_stream() {
    assert_decodes_to(
        b"id: 7\nevent: tick\ndata: a\ndata: b\n\nretry: 250\n\n",
        &[message("tick", "a\nb", "7"), retry(250)],
        "7",
    );
}

// ## What an encoder owes the decoder

fn round_trip(event: &Event) -> Vec<Decoded> {
    common::decode_cut(&event.to_bytes(), &[], true).0
}

#[test]
fn encoder_data_line_breaks_each_start_a_data_line() {
    let event = Event::new("a\rb\nc\r\nd\r\n");
    assert_eq!(
        event.to_bytes(),
        "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n"
    );
    assert_eq!(round_trip(&event), [data("a\nb\nc\nd\n")]);
}

#[test]
fn encoder_data_starting_with_a_space_survives() {
    assert_eq!(
        round_trip(&Event::new("  two spaces")),
        [data("  two spaces")]
    );
    assert_eq!(round_trip(&Event::new("a\n b")), [data("a\n b")]);
}

#[test]
fn encoder_empty_data_is_delivered() {
    assert_eq!(round_trip(&Event::new("")), [data("")]);
}

#[test]
fn encoder_non_ascii_text_survives() {
    let text = "żółw 🐢 \u{2028} \u{FEFF} \u{0}";
    assert_eq!(round_trip(&Event::new(text)), [data(text)]);
}

#[test]
fn encoder_refuses_line_breaks_in_event_type_and_id() {
    for bad in ["a\rb", "a\nb", "a\r\nb", "\n"] {
        let event_type = FieldError::LineBreak {
            field: Field::EventType,
        };
        assert_eq!(Event::new("x").with_event_type(bad), Err(event_type));
        let id = FieldError::LineBreak { field: Field::Id };
        assert_eq!(Event::new("x").with_id(bad), Err(id));
    }
}

#[test]
fn encoder_refuses_null_in_id() {
    assert_eq!(Event::new("x").with_id("\0"), Err(FieldError::NullInId));
}

#[test]
fn encoder_multi_line_comment_becomes_several_comment_lines() {
    let event = Event::new("x").with_comment("one\r\ntwo\rthree");
    assert_eq!(
        round_trip(&event),
        [comment("one"), comment("two"), comment("three"), data("x")]
    );
}

#[test]
fn encoder_event_always_has_a_data_line() {
    let event = Event::new("")
        .with_id("1")
        .unwrap()
        .with_event_type("t")
        .unwrap();
    assert_eq!(round_trip(&event), [message("t", "", "1")]);
}

#[test]
fn encoder_reuses_the_callers_buffer() {
    let mut buf = BytesMut::with_capacity(1024);
    Event::new("one").encode_into(&mut buf);
    let first = buf.split().freeze();
    Event::new("two").encode_into(&mut buf);
    assert_eq!(
        (&first[..], &buf[..]),
        (&b"data: one\n\n"[..], &b"data: two\n\n"[..])
    );
}

// ## Decoder limits (SPEC: "every buffer the decoder keeps has a configurable limit")

#[test]
fn limits_default_to_megabytes() {
    let limits = Limits::default();
    assert_eq!(limits.max_line_len, 8 << 20);
    assert_eq!(limits.max_event_size, 16 << 20);
}
