//! OSC 52: ask the terminal emulator (possibly at the other end of SSH) to set its clipboard.
//! The terminal never confirms, and nothing can reliably clear it later, so callers say so
//! (inside tmux, `tmux.rs` can confirm what tmux kept).

use std::io::{IsTerminal, Write};

use base64::Engine as _;
use secrecy::zeroize::Zeroizing;

use super::HandoffError;

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;

/// `ESC ] 52 ; c ; <base64> BEL`; inside tmux wrapped in a DCS passthrough
/// (`ESC P tmux ; … ESC \` with every ESC of the payload doubled) so tmux forwards it to the
/// outer terminal. Built in a zeroizing buffer: base64 is not secrecy.
pub fn sequence(text: &str, tmux: bool) -> Zeroizing<Vec<u8>> {
    let b64_len = base64::encoded_len(text.len(), true).unwrap_or(0);
    // Exact capacities: a reallocation would leave an unwiped copy of the encoded value.
    let mut b64 = Zeroizing::new(String::with_capacity(b64_len));
    base64::engine::general_purpose::STANDARD.encode_string(text.as_bytes(), &mut b64);

    let inner_len = b64.len() + 8; // ESC ] 5 2 ; c ; … BEL
    let mut out = Zeroizing::new(Vec::with_capacity(inner_len + 12));
    if tmux {
        out.extend_from_slice(b"\x1bPtmux;");
        // The payload's only ESC is its first byte; tmux wants it doubled.
        out.extend_from_slice(&[ESC, ESC]);
    } else {
        out.push(ESC);
    }
    out.extend_from_slice(b"]52;c;");
    out.extend_from_slice(b64.as_bytes());
    out.push(BEL);
    if tmux {
        out.extend_from_slice(&[ESC, b'\\']);
    }
    out
}

/// The base64 a sequence carries (between `;c;` and BEL).
pub(super) fn payload(seq: &[u8]) -> Option<&[u8]> {
    let start = memchr::memmem::find(seq, b"]52;c;")? + 6;
    let len = memchr::memchr(BEL, seq.get(start..)?)?;
    seq.get(start..start + len)
}

/// Write to the controlling terminal (`/dev/tty`), else to stdout when it is a terminal. Never
/// to a pipe or file: there the sequence would only leak the (base64) value.
pub(super) fn write_to_terminal(seq: &[u8]) -> Result<(), HandoffError> {
    #[cfg(unix)]
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        return tty
            .write_all(seq)
            .and_then(|()| tty.flush())
            .map_err(|e| HandoffError::Copy(format!("could not write to the terminal: {e}")));
    }
    let mut stdout = std::io::stdout().lock();
    if stdout.is_terminal() {
        return stdout
            .write_all(seq)
            .and_then(|()| stdout.flush())
            .map_err(|e| HandoffError::Copy(format!("could not write to the terminal: {e}")));
    }
    Err(HandoffError::NoClipboard {
        reason: "no display and no terminal to send OSC 52 to".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_tmux_sequences() {
        // base64("hello") = aGVsbG8=
        assert_eq!(
            sequence("hello", false).as_slice(),
            b"\x1b]52;c;aGVsbG8=\x07"
        );
        assert_eq!(
            sequence("hello", true).as_slice(),
            b"\x1bPtmux;\x1b\x1b]52;c;aGVsbG8=\x07\x1b\\"
        );
        assert_eq!(payload(&sequence("hello", true)), Some(&b"aGVsbG8="[..]));
        assert_eq!(payload(&sequence("hello", false)), Some(&b"aGVsbG8="[..]));
        assert_eq!(payload(b"junk"), None);
    }
}
