//! OSC 52: the exact bytes sent to the terminal, tmux wrapping, when Auto picks it, and that
//! the value travels only inside the sequence (base64), never in the report or an error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azsecrets::handoff::ClipboardMode;
use azsecrets::handoff::{Clipboard, CopyMethod, EnvBlock, HandoffError};
use azsecrets::secret::SecretValue;
use base64::Engine as _;

mod tmux_support;

const SECRET: &str = "Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().expect("lock").clone()
    }
}

/// A clipboard with a known environment: no display, no SSH, no tmux unless set after.
fn clipboard(choice: ClipboardMode) -> (Clipboard, Captured) {
    // A holder that cannot exist: if anything tried the native path, it would fail loudly.
    let mut cb = Clipboard::with_holder(
        choice,
        Duration::from_secs(45),
        "/nonexistent/azsecrets".into(),
    );
    for key in [
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "SSH_TTY",
        "SSH_CONNECTION",
        "TMUX",
    ] {
        cb.set_env(key, None);
    }
    cb.set_pid_file(None);
    let out = Captured::default();
    cb.set_terminal(Box::new(out.clone()));
    (cb, out)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn forced_osc52_writes_exactly_one_sequence_with_the_base64_value() {
    let (mut cb, out) = clipboard(ClipboardMode::Osc52);
    let report = cb
        .copy_secret(&SecretValue::new(SECRET.into()))
        .expect("osc52 copy");
    let expected = format!("\x1b]52;c;{}\x07", b64(SECRET));
    assert_eq!(out.bytes(), expected.as_bytes());
    assert!(
        !contains(&out.bytes(), SECRET.as_bytes()),
        "the raw value reached the terminal"
    );
    assert_eq!(report.method, CopyMethod::Osc52);
    assert_eq!(report.clears_at, None);
    // Nothing can confirm it outside tmux: said so, and not counted as confirmed.
    assert!(!report.confirmed);
    assert!(
        report
            .status
            .contains("unconfirmed: paste it somewhere to check"),
        "{}",
        report.status
    );
    assert!(
        report.status.contains("not cleared automatically"),
        "{}",
        report.status
    );
    // Nothing else carries the value: not the report, not its Debug form.
    assert!(!format!("{report:?}").contains(SECRET));
    assert!(!format!("{report:?}").contains(&b64(SECRET)));
    assert_eq!(cb.holder_pid(), None);
}

/// Inside tmux the form follows what tmux was asked: its default (`set-clipboard external`,
/// passthrough off) drops both forms, so nothing is sent and the error says how to enable it.
#[test]
fn inside_tmux_by_default_nothing_is_sent_and_the_fix_is_named() {
    let Some(tmux) = tmux_support::Tmux::start(80, 24) else {
        return;
    };
    let (mut cb, out) = clipboard(ClipboardMode::Osc52);
    cb.set_env("TMUX", Some(tmux.tmux_env().as_ref()));
    match cb.copy_secret(&SecretValue::new(SECRET.into())) {
        Err(HandoffError::NoClipboard { reason }) => {
            assert!(reason.contains("tmux drops it"), "{reason}");
            assert!(reason.contains("tmux set -g set-clipboard on"), "{reason}");
        }
        other => panic!("expected tmux's refusal, got {other:?}"),
    }
    assert!(out.bytes().is_empty(), "nothing may reach the terminal");
}

/// With only `allow-passthrough` on, the wrapped form goes to the outer terminal: unconfirmed.
#[test]
fn inside_tmux_with_passthrough_the_sequence_is_wrapped_and_unconfirmed() {
    let Some(tmux) = tmux_support::Tmux::start(80, 24) else {
        return;
    };
    tmux.set("allow-passthrough", "on");
    let (mut cb, out) = clipboard(ClipboardMode::Osc52);
    cb.set_env("TMUX", Some(tmux.tmux_env().as_ref()));
    let report = cb
        .copy_secret(&SecretValue::new(SECRET.into()))
        .expect("osc52 copy");
    let expected = format!("\x1bPtmux;\x1b\x1b]52;c;{}\x07\x1b\\", b64(SECRET));
    assert_eq!(out.bytes(), expected.as_bytes());
    assert!(!report.confirmed);
    assert!(report.status.contains("unconfirmed"), "{}", report.status);
}

/// With `set-clipboard on`, plain OSC 52 is sent and confirmed by reading tmux's newest buffer
/// back: confirmed only when it holds exactly the value.
#[test]
fn inside_tmux_with_set_clipboard_on_the_copy_is_read_back() {
    let Some(tmux) = tmux_support::Tmux::start(80, 24) else {
        return;
    };
    tmux.set("set-clipboard", "on");
    let (mut cb, out) = clipboard(ClipboardMode::Osc52);
    cb.set_env("TMUX", Some(tmux.tmux_env().as_ref()));
    // The captured "terminal" is not tmux, so tmux's buffer holds something else: unconfirmed.
    tmux.set_buffer("something copied earlier");
    let report = cb
        .copy_secret(&SecretValue::new(SECRET.into()))
        .expect("osc52 copy");
    assert_eq!(
        out.bytes(),
        format!("\x1b]52;c;{}\x07", b64(SECRET)).as_bytes(),
        "plain OSC 52, which tmux keeps"
    );
    assert!(
        !report.confirmed,
        "a different buffer is not a confirmation"
    );
    // When tmux's buffer holds the value (as after tmux took the sequence), it is confirmed.
    tmux.set_buffer(SECRET);
    let report = cb
        .copy_secret(&SecretValue::new(SECRET.into()))
        .expect("osc52 copy");
    assert!(report.confirmed);
    assert!(report.status.contains("tmux"), "{}", report.status);
    assert!(!format!("{report:?}").contains(SECRET));
}

#[test]
fn auto_uses_osc52_over_ssh_even_with_a_display() {
    let (mut cb, out) = clipboard(ClipboardMode::Auto);
    cb.set_env("DISPLAY", Some(":0".as_ref()));
    cb.set_env(
        "SSH_CONNECTION",
        Some("10.0.0.2 50000 10.0.0.1 22".as_ref()),
    );
    let report = cb
        .copy_secret(&SecretValue::new(SECRET.into()))
        .expect("copy");
    assert_eq!(report.method, CopyMethod::Osc52);
    assert_eq!(
        out.bytes(),
        format!("\x1b]52;c;{}\x07", b64(SECRET)).as_bytes()
    );

    let (mut cb, out) = clipboard(ClipboardMode::Auto);
    cb.set_env("SSH_TTY", Some("/dev/pts/3".as_ref()));
    cb.set_env("WAYLAND_DISPLAY", Some("wayland-0".as_ref()));
    assert_eq!(
        cb.copy_text("an-app-id").expect("copy").method,
        CopyMethod::Osc52
    );
    assert_eq!(
        out.bytes(),
        format!("\x1b]52;c;{}\x07", b64("an-app-id")).as_bytes()
    );
}

#[test]
fn auto_uses_osc52_without_a_display() {
    let (mut cb, out) = clipboard(ClipboardMode::Auto);
    let report = cb
        .copy_secret(&SecretValue::new(SECRET.into()))
        .expect("copy");
    assert_eq!(report.method, CopyMethod::Osc52);
    assert!(!out.bytes().is_empty());
}

#[test]
fn auto_falls_back_to_osc52_when_the_holder_fails() {
    // DISPLAY is set, but the holder cannot even start: the terminal still gets the value.
    let (mut cb, out) = clipboard(ClipboardMode::Auto);
    cb.set_env("DISPLAY", Some(":0".as_ref()));
    let report = cb
        .copy_secret(&SecretValue::new(SECRET.into()))
        .expect("copy");
    assert_eq!(report.method, CopyMethod::Osc52);
    assert_eq!(
        out.bytes(),
        format!("\x1b]52;c;{}\x07", b64(SECRET)).as_bytes()
    );
}

#[test]
fn env_block_over_osc52_decodes_to_the_three_lines() {
    let (mut cb, out) = clipboard(ClipboardMode::Osc52);
    let secret = SecretValue::new(SECRET.into());
    let block = EnvBlock {
        client_id: "11111111-2222-3333-4444-555555555555",
        tenant_id: "66666666-7777-8888-9999-000000000000",
        secret: &secret,
    };
    cb.copy_env_block(&block).expect("copy");
    let bytes = out.bytes();
    let payload = bytes
        .strip_prefix(b"\x1b]52;c;")
        .and_then(|b| b.strip_suffix(b"\x07"))
        .expect("one OSC 52 sequence");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .expect("base64");
    assert_eq!(
        String::from_utf8(decoded).expect("utf-8"),
        format!(
            "AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555\n\
             AZURE_TENANT_ID=66666666-7777-8888-9999-000000000000\n\
             AZURE_CLIENT_SECRET={SECRET}\n"
        )
    );
    assert_eq!(
        block.render().as_str(),
        format!(
            "AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555\n\
         AZURE_TENANT_ID=66666666-7777-8888-9999-000000000000\n\
         AZURE_CLIENT_SECRET={SECRET}\n"
        )
    );
}

#[test]
fn none_refuses_and_names_the_cause() {
    let (mut cb, out) = clipboard(ClipboardMode::None);
    match cb.copy_secret(&SecretValue::new(SECRET.into())) {
        Err(HandoffError::NoClipboard { reason }) => {
            assert!(reason.contains("turned off"), "{reason}");
            // The front-ends word the advice (the TUI with its keys, the CLI with its flags).
            assert!(!reason.contains("`v`"), "{reason}");
            assert!(!reason.contains(SECRET));
        }
        other => panic!("expected NoClipboard, got {other:?}"),
    }
    assert!(out.bytes().is_empty(), "nothing may reach the terminal");
}

#[test]
fn native_is_never_silently_replaced_by_osc52() {
    // Forced native with a display whose holder cannot start: an error, not a terminal write.
    let (mut cb, out) = clipboard(ClipboardMode::Native);
    cb.set_env("DISPLAY", Some(":0".as_ref()));
    let err = cb
        .copy_secret(&SecretValue::new(SECRET.into()))
        .expect_err("no holder");
    assert!(matches!(err, HandoffError::NoClipboard { .. }), "{err:?}");
    assert!(!err.to_string().contains(SECRET));
    assert!(out.bytes().is_empty());
}
