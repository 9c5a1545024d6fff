//! Shared by the hostile-data tests: where the hostile tenant is, and the check that a byte
//! stream meant for a terminal carries nothing that could drive it. The list of forbidden
//! characters is written out here on its own, not taken from `azsecrets::sanitize`, so the
//! tests do not trust the code they test.
#![allow(dead_code)]

use std::path::PathBuf;

/// `tests/fixtures/hostile-tenant.json`.
pub fn hostile_tenant() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile-tenant.json")
}

/// The hostile tenant's app with hostile secrets, certificate and federated credential.
pub const SECRETS_APP: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
/// Its write-protected app (deletes answer 403 with the tenant's hostile error text).
pub const PROTECTED_APP: &str = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff";
/// The principal with everything, and the one that may not read the tenant.
pub const AUTOMATION: (&str, &str) = (
    "cccccccc-dddd-4eee-8fff-000000000001",
    "Hst8Q~hostile-automation.not-a-real-key.x",
);
pub const READER: (&str, &str) = (
    "cccccccc-dddd-4eee-8fff-000000000002",
    "Hrd8Q~hostile-reader.not-a-real-key.abcde",
);
pub const TENANT_ID: &str = "7e0c9a52-3f1d-4b6e-8a27-c5d4e3f2a190";

/// Pictographs a zero-width joiner may join (emoji sequences), and what may precede it.
fn pictographic(c: char) -> bool {
    matches!(c as u32, 0x2190..=0x21FF | 0x2300..=0x23FF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x1F000..=0x1FAFF)
}

/// Why `c` (between `prev` and `next`) must not reach a terminal, or `None`. Line feeds are
/// allowed: they end lines. Everything that starts an escape sequence, moves the cursor,
/// reorders text or hides a difference is not.
pub fn forbidden(prev: Option<char>, c: char, next: Option<char>) -> Option<&'static str> {
    let cp = c as u32;
    Some(match cp {
        0x0A => return None,
        // A pty turns "\n" into "\r\n"; a CR before anything else rewrites the line.
        0x0D if next == Some('\n') => return None,
        0x1B => "ESC",
        0x00..=0x1F => "a C0 control",
        0x7F => "DEL",
        0x80..=0x9F => "a C1 control",
        0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 => "a bidi control",
        0x200D if prev.is_some_and(pictographic) && next.is_some_and(pictographic) => return None,
        0x200B..=0x200D | 0x2060..=0x2064 | 0xFEFF | 0x00AD | 0x3164 | 0x115F | 0x1160 => {
            "an invisible character"
        }
        0x2028 | 0x2029 => "a line or paragraph separator",
        0xE0020..=0xE007F
            if prev.is_some_and(|p| {
                p as u32 == 0x1F3F4 || (0xE0020..=0xE007E).contains(&(p as u32))
            }) =>
        {
            return None;
        }
        0xE0000..=0xE007F => "a tag character",
        _ => return None,
    })
}

/// Panics with the place and the reason when `bytes` (as a terminal would get them) hold a
/// forbidden character.
pub fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        if let Some(why) = forbidden(prev, c, chars.get(i + 1).copied()) {
            let from = i.saturating_sub(30);
            let around: String = chars[from..(i + 30).min(chars.len())].iter().collect();
            panic!(
                "{what}: {why} (U+{:04X}) at character {i}, around {around:?}",
                c as u32
            );
        }
    }
}

/// The same check for a terminal UI's raw output, which legitimately holds its own CSI
/// sequences (cursor moves, colours, the alternate screen): those are allowed, nothing else.
/// Returns the text with the UI's sequences removed, for further checks.
pub fn assert_tui_output_safe(what: &str, bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let chars: Vec<char> = text.chars().collect();
    let mut rest = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\u{1b}' {
            // Only CSI: ESC [ parameters intermediates final. No OSC, DCS, APC, PM, SOS.
            assert_eq!(
                chars.get(i + 1),
                Some(&'['),
                "{what}: an escape sequence that is not CSI at {i}: {:?}",
                chars[i..(i + 20).min(chars.len())]
                    .iter()
                    .collect::<String>()
            );
            let mut j = i + 2;
            while j < chars.len() && !(('\u{40}'..='\u{7e}').contains(&chars[j])) {
                j += 1;
            }
            let seq: String = chars[i..=j.min(chars.len() - 1)].iter().collect();
            assert!(
                !seq.ends_with('n'),
                "{what}: a device status query {seq:?} (the terminal would type an answer)"
            );
            i = j + 1;
            continue;
        }
        if c == '\r' {
            // ratatui ends lines its own way; a bare CR is how a line rewrite starts.
            rest.push(c);
            i += 1;
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        if let Some(why) = forbidden(prev, c, chars.get(i + 1).copied()) {
            let from = i.saturating_sub(30);
            let around: String = chars[from..(i + 30).min(chars.len())].iter().collect();
            panic!(
                "{what}: {why} (U+{:04X}) at character {i}, around {around:?}",
                c as u32
            );
        }
        rest.push(c);
        i += 1;
    }
    rest
}
