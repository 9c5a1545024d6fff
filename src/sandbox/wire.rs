//! What Graph accepts on the wire that the HTTP stack under the sandbox refuses: a request
//! target with raw `"` in its query (`$search="displayName:web"`, as Graph's own docs write
//! it). The `http` crate rejects `"` in a query before any route runs, so each connection's
//! request lines are rewritten (`"` → `%22`, which is the same query once decoded) as they
//! arrive. Only request lines are touched: headers pass as they are, bodies are skipped by
//! their `Content-Length`, and a chunked body ends the rewriting for that connection.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Longer header lines are left to the HTTP stack to refuse.
const MAX_LINE: usize = 64 * 1024;

/// A listener whose connections get their request lines mended.
pub struct QuoteListener(pub TcpListener);

impl axum::serve::Listener for QuoteListener {
    type Io = QuoteIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((s, a)) => return (QuoteIo::new(s), a),
                // As axum does: a failed accept (too many files) waits and tries again.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// In a request's head: the request line when `first`, then header lines.
    Head {
        first: bool,
    },
    Body {
        remaining: u64,
    },
    /// Bytes pass untouched from here on.
    Through,
}

/// The request-line rewriter over a TCP stream.
pub struct QuoteIo {
    inner: TcpStream,
    state: State,
    line: Vec<u8>,
    content_length: u64,
    chunked: bool,
    /// Rewritten bytes not yet handed to the reader.
    out: Vec<u8>,
    at: usize,
}

impl QuoteIo {
    fn new(inner: TcpStream) -> Self {
        Self {
            inner,
            state: State::Head { first: true },
            line: Vec::new(),
            content_length: 0,
            chunked: false,
            out: Vec::new(),
            at: 0,
        }
    }

    /// Feed raw bytes; rewritten bytes go to `out`.
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.state {
                State::Through => {
                    self.out.extend_from_slice(bytes);
                    return;
                }
                State::Body { remaining } => {
                    let n = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    self.out.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    let left = remaining - n as u64;
                    self.state = if left == 0 {
                        State::Head { first: true }
                    } else {
                        State::Body { remaining: left }
                    };
                }
                State::Head { first } => {
                    let Some(nl) = bytes.iter().position(|b| *b == b'\n') else {
                        self.line.extend_from_slice(bytes);
                        if self.line.len() > MAX_LINE {
                            self.out.append(&mut self.line);
                            self.state = State::Through;
                        }
                        return;
                    };
                    self.line.extend_from_slice(&bytes[..=nl]);
                    bytes = &bytes[nl + 1..];
                    let line = std::mem::take(&mut self.line);
                    self.end_line(first, &line);
                }
            }
        }
    }

    fn end_line(&mut self, first: bool, line: &[u8]) {
        let content = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        if first {
            // Blank lines before a request are allowed; they do not start it.
            if content.is_empty() {
                self.out.extend_from_slice(line);
                return;
            }
            self.out.extend_from_slice(&mend_request_line(line));
            self.content_length = 0;
            self.chunked = false;
            self.state = State::Head { first: false };
            return;
        }
        self.out.extend_from_slice(line);
        if content.is_empty() {
            self.state = if self.chunked {
                State::Through
            } else if self.content_length > 0 {
                State::Body {
                    remaining: self.content_length,
                }
            } else {
                State::Head { first: true }
            };
            return;
        }
        let text = String::from_utf8_lossy(content);
        if let Some((name, value)) = text.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-length") {
                self.content_length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
            {
                self.chunked = true;
            }
        }
    }
}

/// `"` in the request target (between the method and the version) becomes `%22`.
fn mend_request_line(line: &[u8]) -> Vec<u8> {
    let first = line.iter().position(|b| *b == b' ');
    let last = line.iter().rposition(|b| *b == b' ');
    match (first, last) {
        (Some(f), Some(l)) if f < l => {
            let mut out = Vec::with_capacity(line.len() + 16);
            out.extend_from_slice(&line[..=f]);
            for b in &line[f + 1..l] {
                if *b == b'"' {
                    out.extend_from_slice(b"%22");
                } else {
                    out.push(*b);
                }
            }
            out.extend_from_slice(&line[l..]);
            out
        }
        _ => line.to_vec(),
    }
}

impl AsyncRead for QuoteIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.at < this.out.len() {
                let n = (this.out.len() - this.at).min(buf.remaining());
                buf.put_slice(&this.out[this.at..this.at + n]);
                this.at += n;
                if this.at == this.out.len() {
                    this.out.clear();
                    this.at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            let mut raw = [0u8; 8192];
            let mut rb = ReadBuf::new(&mut raw);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) => {
                    let got = rb.filled();
                    if got.is_empty() {
                        // End of stream: whatever half line is left goes as it is.
                        let rest = std::mem::take(&mut this.line);
                        if rest.is_empty() {
                            return Poll::Ready(Ok(()));
                        }
                        this.out.extend_from_slice(&rest);
                        continue;
                    }
                    let got = got.to_vec();
                    this.feed(&got);
                }
                other => return other,
            }
        }
    }
}

impl AsyncWrite for QuoteIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_are_mended_and_nothing_else() {
        assert_eq!(
            mend_request_line(b"GET /v1.0/applications?$search=\"displayName:a b\" HTTP/1.1\r\n"),
            b"GET /v1.0/applications?$search=%22displayName:a b%22 HTTP/1.1\r\n".to_vec()
        );
        assert_eq!(mend_request_line(b"nonsense\r\n"), b"nonsense\r\n".to_vec());
    }
}
