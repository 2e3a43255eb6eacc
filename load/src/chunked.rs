//! HTTP/1.1 chunked transfer coding, undone as the bytes arrive: what an event-stream response
//! body looks like on the wire when the server does not know its length.

/// Where the reader is in the chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the hexadecimal size of the next chunk (and any extension) up to its LF.
    Size { size: usize, digits_done: bool },
    /// Inside a chunk: this many bytes of data still to come.
    Data(usize),
    /// After a chunk's data: its CR LF.
    DataEnd,
    /// After the last (empty) chunk.
    Done,
}

/// Turns a chunked body back into its data, however the bytes are split.
#[derive(Debug)]
pub struct Dechunker {
    state: State,
}

impl Default for Dechunker {
    fn default() -> Self {
        Self {
            state: State::Size {
                size: 0,
                digits_done: false,
            },
        }
    }
}

impl Dechunker {
    /// Calls `data` with each run of body data in `bytes`, in order. Returns `Err` on bytes
    /// that are not chunked coding, and `Ok(false)` once the last chunk has been read.
    ///
    /// # Errors
    ///
    /// A size that is not hexadecimal or overflows.
    pub fn feed(&mut self, mut bytes: &[u8], mut data: impl FnMut(&[u8])) -> Result<bool, String> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Size { size, digits_done } => {
                    let byte = bytes[0];
                    bytes = &bytes[1..];
                    match (byte, *digits_done) {
                        (b'\n', _) => {
                            self.state = if *size == 0 {
                                State::Done
                            } else {
                                State::Data(*size)
                            };
                        }
                        (b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F', false) => {
                            let digit = char::from(byte).to_digit(16).unwrap_or(0) as usize;
                            *size = size
                                .checked_mul(16)
                                .and_then(|size| size.checked_add(digit))
                                .ok_or("chunk size overflows")?;
                        }
                        (b'\r' | b';', _) | (_, true) => *digits_done = true,
                        (other, false) => {
                            return Err(format!("bad chunk size byte {other:#x}"));
                        }
                    }
                }
                State::Data(left) => {
                    let take = (*left).min(bytes.len());
                    data(&bytes[..take]);
                    bytes = &bytes[take..];
                    *left -= take;
                    if *left == 0 {
                        self.state = State::DataEnd;
                    }
                }
                State::DataEnd => {
                    let byte = bytes[0];
                    bytes = &bytes[1..];
                    if byte == b'\n' {
                        self.state = State::Size {
                            size: 0,
                            digits_done: false,
                        };
                    }
                }
                State::Done => return Ok(false),
            }
        }
        Ok(self.state != State::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_split_gives_the_data_back() {
        let wire = b"5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
        for split in 0..=wire.len() {
            let mut dechunker = Dechunker::default();
            let mut out = Vec::new();
            let open = dechunker.feed(&wire[..split], |data| out.extend_from_slice(data));
            // The last chunk is read once its size line is.
            let last_chunk_read = split >= wire.len() - 2;
            assert_eq!(open, Ok(!last_chunk_read), "{split}");
            let open = dechunker.feed(&wire[split..], |data| out.extend_from_slice(data));
            assert_eq!(open, Ok(false), "{split}");
            assert_eq!(out, b"helloabcdefghijklmnopqrstuvwxyz", "{split}");
        }
    }

    #[test]
    fn junk_is_an_error() {
        assert!(Dechunker::default().feed(b"zz\r\n", |_| {}).is_err());
    }
}
