//! What tmux does with an application's OSC 52 (measured on tmux 3.3a): with `set-clipboard
//! on` a plain OSC 52 becomes a tmux paste buffer (and goes on to the outer terminal); with the
//! default `external` it is dropped; the `ESC P tmux; … ESC \` passthrough form is forwarded
//! only when `allow-passthrough` is on. So azsecrets asks the tmux it runs in, sends the form
//! that gets through, and, when tmux keeps a buffer, reads it back to confirm the copy.

use std::ffi::OsString;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use secrecy::zeroize::Zeroizing;

/// tmux's `set-clipboard` and `allow-passthrough` options, as the running server reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TmuxOptions {
    /// `on`, `external` or `off`.
    pub set_clipboard: String,
    /// `allow-passthrough` is `on` (or `all`).
    pub passthrough: bool,
}

impl TmuxOptions {
    /// The `display -p '#{set-clipboard}|#{allow-passthrough}'` answer (`external|0`).
    pub fn parse(answer: &str) -> Option<Self> {
        let (clip, pass) = answer.trim().split_once('|')?;
        let clip = clip.trim();
        if clip.is_empty() {
            return None;
        }
        let pass = pass.trim();
        Some(Self {
            set_clipboard: clip.to_owned(),
            passthrough: matches!(pass, "1" | "on" | "all"),
        })
    }
}

/// A `tmux` command aimed at the server `$TMUX` names (the one azsecrets runs in).
fn tmux(tmux_env: &OsString) -> Command {
    let mut cmd = Command::new("tmux");
    cmd.env("TMUX", tmux_env)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Ask the tmux server azsecrets runs in how it treats OSC 52.
pub fn options(tmux_env: &OsString) -> Result<TmuxOptions, String> {
    let out = tmux(tmux_env)
        .args(["display", "-p", "#{set-clipboard}|#{allow-passthrough}"])
        .output()
        .map_err(|e| format!("could not run tmux to ask how it treats copies: {e}"))?;
    if !out.status.success() {
        return Err("tmux did not say how it treats copies".into());
    }
    TmuxOptions::parse(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| "tmux gave an answer azsecrets cannot read".into())
}

/// Whether tmux's newest paste buffer holds exactly the text whose base64 is `b64` (what the
/// OSC 52 carried). tmux parses the terminal's input on its own schedule, so this looks a few
/// times over about a second. The buffer is read into wiped memory.
pub fn buffer_holds(tmux_env: &OsString, b64: &[u8]) -> bool {
    let deadline = Instant::now() + Duration::from_millis(1500);
    loop {
        if newest_buffer_b64(tmux_env).is_some_and(|got| got.as_bytes() == b64) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(60));
    }
}

fn newest_buffer_b64(tmux_env: &OsString) -> Option<Zeroizing<String>> {
    let mut child = tmux(tmux_env)
        .args(["save-buffer", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    // A buffer is what some program copied: it may be another secret. Read it into a wiped
    // buffer sized up front, and compare its base64 (the sequence holds base64 too).
    let mut raw = Zeroizing::new(Vec::with_capacity(64 * 1024));
    let read = stdout
        .by_ref()
        .take(64 * 1024 - 1)
        .read_to_end(&mut raw)
        .is_ok();
    drop(stdout);
    let ok = child.wait().is_ok_and(|s| s.success());
    if !read || !ok {
        return None;
    }
    let len = base64::encoded_len(raw.len(), true)?;
    let mut b64 = Zeroizing::new(String::with_capacity(len));
    base64::engine::general_purpose::STANDARD.encode_string(raw.as_slice(), &mut b64);
    Some(b64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_read_from_the_display_answer() {
        assert_eq!(
            TmuxOptions::parse("external|0\n"),
            Some(TmuxOptions {
                set_clipboard: "external".into(),
                passthrough: false
            })
        );
        assert_eq!(
            TmuxOptions::parse("on|1"),
            Some(TmuxOptions {
                set_clipboard: "on".into(),
                passthrough: true
            })
        );
        assert!(TmuxOptions::parse("off|all").is_some_and(|o| o.passthrough));
        assert_eq!(TmuxOptions::parse("nonsense"), None);
        assert_eq!(TmuxOptions::parse("|1"), None);
    }
}
