//! The server-to-client half of WebSocket framing (RFC 6455 section 5.2): unmasked frames,
//! read as the bytes arrive, enough for a load client to count messages.

/// Collects frames from the bytes a server sends.
#[derive(Debug, Default)]
pub struct FrameReader {
    pending: Vec<u8>,
    closed: bool,
}

/// The close frame's opcode.
const CLOSE: u8 = 0x8;

impl FrameReader {
    /// Appends `bytes` and calls `message` with the payload of each whole data frame. Returns
    /// `false` once a close frame arrives.
    ///
    /// # Errors
    ///
    /// A masked frame (servers never mask) or a length that does not fit in memory.
    pub fn feed(&mut self, bytes: &[u8], mut message: impl FnMut(&[u8])) -> Result<bool, String> {
        self.pending.extend_from_slice(bytes);
        let mut at = 0;
        while let Some((header_len, payload_len)) = frame_lengths(&self.pending[at..])? {
            let end = at + header_len + payload_len;
            if end > self.pending.len() {
                break;
            }
            let opcode = self.pending[at] & 0x0f;
            if opcode == CLOSE {
                self.closed = true;
            } else if opcode != 0x9 && opcode != 0xa {
                message(&self.pending[at + header_len..end]);
            }
            at = end;
        }
        self.pending.drain(..at);
        Ok(!self.closed)
    }
}

/// The header's and the payload's lengths of the frame that starts `bytes`, once the header
/// is whole.
fn frame_lengths(bytes: &[u8]) -> Result<Option<(usize, usize)>, String> {
    let [_, second, ..] = bytes else {
        return Ok(None);
    };
    if second & 0x80 != 0 {
        return Err("a server frame is masked".into());
    }
    let (header_len, payload_len) = match second & 0x7f {
        126 => match bytes.get(2..4) {
            Some(len) => (4, u64::from(u16::from_be_bytes([len[0], len[1]]))),
            None => return Ok(None),
        },
        127 => match bytes.get(2..10) {
            Some(len) => (10, u64::from_be_bytes(len.try_into().unwrap_or([0xff; 8]))),
            None => return Ok(None),
        },
        short => (2, u64::from(short)),
    };
    let payload_len = usize::try_from(payload_len).map_err(|_| "frame too long")?;
    Ok(Some((header_len, payload_len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![0x80 | opcode];
        match payload.len() {
            len @ 0..126 => frame.push(u8::try_from(len).unwrap()),
            len @ 126..65536 => {
                frame.push(126);
                frame.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
            }
            len => {
                frame.push(127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(payload);
        frame
    }

    #[test]
    fn messages_of_every_length_class_across_any_split() {
        let long = vec![b'x'; 70_000];
        let medium = vec![b'y'; 300];
        let mut wire = frame(1, b"hi");
        wire.extend(frame(0x9, b"ping"));
        wire.extend(frame(2, &medium));
        wire.extend(frame(1, &long));
        wire.extend(frame(CLOSE, b""));
        for split in [0, 1, 3, 5, 9, 400, 70_000, wire.len()] {
            let mut reader = FrameReader::default();
            let mut lengths = Vec::new();
            let open = reader.feed(&wire[..split], |payload| lengths.push(payload.len()));
            assert_eq!(open, Ok(split < wire.len()), "{split}");
            let open = reader.feed(&wire[split..], |payload| lengths.push(payload.len()));
            assert_eq!(open, Ok(false));
            assert_eq!(lengths, [2, 300, 70_000], "{split}");
        }
    }
}
