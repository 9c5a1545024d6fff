//! Writing to stdout and stderr outside the terminal UI, safe against closed pipes: the only
//! place that writes to them (`print!`/`eprint!` are denied by the lints, because they panic
//! when a reader went away: `azsecrets apps list | head -0`).
//!
//! stdout carries results: a failed write is returned, so a command can stop (a reader that
//! stopped early is [`is_closed_pipe`]). stderr carries messages: a failed write is dropped,
//! because there is no one left to tell, and the command's exit code still says how it ended.
//! Text from the tenant must be cleaned ([`crate::sanitize`]) before it comes here; the
//! `*_clean` helpers clean whole lines as a last net.

use std::io::{self, Write};

/// Write `bytes` to stdout and flush.
pub fn out(bytes: &[u8]) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(bytes)?;
    o.flush()
}

/// Write `line` and a line feed to stdout.
pub fn out_line(line: &str) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(line.as_bytes())?;
    o.write_all(b"\n")?;
    o.flush()
}

/// Write `text` to stderr, as is; a closed or failing stderr is ignored.
pub fn err(text: &str) {
    let mut e = io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.flush();
}

/// Write `line` and a line feed to stderr; a closed or failing stderr is ignored.
pub fn err_line(line: &str) {
    let mut e = io::stderr().lock();
    let _ = e.write_all(line.as_bytes());
    let _ = e.write_all(b"\n");
    let _ = e.flush();
}

/// [`err_line`] after [`crate::sanitize::clean_lines`]: for messages that carry tenant text.
pub fn err_line_clean(line: &str) {
    err_line(&crate::sanitize::clean_lines(line));
}

/// True when a write failed because the reader is gone (`| head`, a closed terminal).
pub fn is_closed_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}
