//! Reads a whole event stream on standard input and writes, as JSON Lines, what a client sees:
//!
//! - `{"event": TYPE, "data": DATA, "id": LAST_EVENT_ID}` for each delivered event;
//! - `{"retry": MILLISECONDS}` for each `retry` field taken, in stream order;
//! - `{"last_event_id": ID}` last: the id a client would send when it reconnects.
//!
//! ```text
//! cargo run -q -p ssekit-core --example decode [--max-line-len BYTES] [--max-event-size BYTES] < stream
//! ```
//!
//! No byte sequence is an error, so it exits 0 on any input. The spec sets no limits, so
//! neither does this program unless a flag asks: a limit that trips is reported on standard
//! error, with exit status 1. This output is a contract that outside tools rely on (see
//! `SPEC.md`): keep it stable.

use std::error::Error;
use std::io::{self, BufWriter, ErrorKind, Read, Write};
use std::process::ExitCode;

use ssekit_core::{Decoded, Decoder, Limits};

const USAGE: &str = "usage: decode [--max-line-len BYTES] [--max-event-size BYTES] < stream";

/// How much standard input is read, and pushed to the decoder, at a time.
const CHUNK_LEN: usize = 64 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let limits = match limits_from_args(&args) {
        Ok(limits) => limits,
        Err(message) => {
            eprintln!("decode: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let output = BufWriter::new(io::stdout().lock());
    match run(io::stdin().lock(), output, limits) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("decode: {error}");
            ExitCode::FAILURE
        }
    }
}

fn limits_from_args(args: &[String]) -> Result<Limits, String> {
    let mut limits = Limits::unlimited();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bytes: usize = value
            .parse()
            .map_err(|_| format!("{flag}: not a byte count: {value}"))?;
        limits = match flag.as_str() {
            "--max-line-len" => limits.max_line_len(bytes),
            "--max-event-size" => limits.max_event_size(bytes),
            _ => return Err(format!("unknown flag {flag}")),
        };
    }
    Ok(limits)
}

fn run(mut input: impl Read, mut output: impl Write, limits: Limits) -> Result<(), Box<dyn Error>> {
    let mut decoder = Decoder::with_limits(limits);
    let mut chunk = vec![0; CHUNK_LEN];
    loop {
        let read = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(format!("reading standard input: {error}").into()),
        };
        decoder.push(&chunk[..read]);
        write_decoded(&mut decoder, &mut output)?;
    }
    decoder.finish();
    write_decoded(&mut decoder, &mut output)?;
    output.write_all(b"{\"last_event_id\":")?;
    write_json_string(&mut output, decoder.last_event_id())?;
    output.write_all(b"}\n")?;
    output.flush()?;
    Ok(())
}

fn write_decoded(decoder: &mut Decoder, output: &mut impl Write) -> Result<(), Box<dyn Error>> {
    while let Some(decoded) = decoder.next_decoded()? {
        match decoded {
            Decoded::Message(message) => {
                output.write_all(b"{\"event\":")?;
                write_json_string(output, message.event_type())?;
                output.write_all(b",\"data\":")?;
                write_json_string(output, message.data())?;
                output.write_all(b",\"id\":")?;
                write_json_string(output, message.last_event_id())?;
                output.write_all(b"}\n")?;
            }
            Decoded::Retry(retry) => writeln!(output, "{{\"retry\":{}}}", retry.as_millis())?,
            // Comments are not asked for; other items may come in later versions.
            _ => {}
        }
    }
    Ok(())
}

/// Writes `text` as a JSON string: quotes, backslashes and control characters escaped,
/// everything else as UTF-8.
fn write_json_string(output: &mut impl Write, text: &str) -> io::Result<()> {
    output.write_all(b"\"")?;
    let mut plain_start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let escaped: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..0x20 => b"",
            _ => continue,
        };
        output.write_all(&text.as_bytes()[plain_start..index])?;
        if escaped.is_empty() {
            write!(output, "\\u{byte:04x}")?;
        } else {
            output.write_all(escaped)?;
        }
        plain_start = index + 1;
    }
    output.write_all(&text.as_bytes()[plain_start..])?;
    output.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_with(input: &[u8], limits: Limits) -> Result<String, String> {
        let mut output = Vec::new();
        run(input, &mut output, limits).map_err(|error| error.to_string())?;
        Ok(String::from_utf8(output).unwrap())
    }

    fn decode(input: &[u8]) -> String {
        decode_with(input, Limits::unlimited()).unwrap()
    }

    #[test]
    fn spec_example() {
        assert_eq!(
            decode(b"id: 7\nevent: tick\ndata: a\ndata: b\n\nretry: 250\n\n"),
            "{\"event\":\"tick\",\"data\":\"a\\nb\",\"id\":\"7\"}\n\
             {\"retry\":250}\n\
             {\"last_event_id\":\"7\"}\n"
        );
    }

    #[test]
    fn empty_input_gives_only_the_last_event_id() {
        assert_eq!(decode(b""), "{\"last_event_id\":\"\"}\n");
    }

    #[test]
    fn default_type_is_message_and_id_starts_empty() {
        assert_eq!(
            decode(b"data: x\n\n"),
            "{\"event\":\"message\",\"data\":\"x\",\"id\":\"\"}\n{\"last_event_id\":\"\"}\n"
        );
    }

    #[test]
    fn control_characters_quotes_and_invalid_utf8_are_escaped_or_replaced() {
        assert_eq!(
            decode(b"data: \"q\" \\ \t \x01 \xff \xc3\xa9\r\n\r\n"),
            "{\"event\":\"message\",\"data\":\"\\\"q\\\" \\\\ \\t \\u0001 \u{fffd} \u{e9}\",\"id\":\"\"}\n\
             {\"last_event_id\":\"\"}\n"
        );
    }

    #[test]
    fn unterminated_event_is_dropped_but_the_id_of_earlier_ones_stays() {
        assert_eq!(
            decode(b"id: 1\n\nid: 2\ndata: lost"),
            "{\"last_event_id\":\"1\"}\n"
        );
    }

    #[test]
    fn a_tripped_limit_is_an_error() {
        let error = decode_with(b"data: 123456789\n\n", Limits::unlimited().max_line_len(8));
        assert_eq!(error, Err("line exceeds 8 bytes".to_string()));
    }

    #[test]
    fn flags_set_limits() {
        let args = ["--max-line-len", "10", "--max-event-size", "20"].map(String::from);
        let limits = limits_from_args(&args).unwrap();
        assert_eq!((limits.max_line_len, limits.max_event_size), (10, 20));
        assert!(limits_from_args(&["--max-line-len".to_string()]).is_err());
        assert!(limits_from_args(&["--bogus".to_string(), "1".to_string()]).is_err());
        assert!(limits_from_args(&["--max-line-len".to_string(), "-1".to_string()]).is_err());
    }
}
