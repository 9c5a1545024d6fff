//! Reveal once: the new secret's details, the value (masked until shown), what the dialog is
//! asking, the hand-off status, each destination's answer and the sign-in check (with its
//! countdown), and its keys. The value and the Secret ID are never cut: they wrap inside the
//! dialog, and on a terminal too small to show them whole the dialog says how large it must be
//! (every key still does what it says, every close still asks). A destination form opens over
//! the dialog ([`forms`]).

mod forms;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, CloseFocus, QUIT_AGAIN, Reveal, RevealMode, SignInCheck, Tone};
use crate::destination::words;
use crate::keymap::{Command, Context, key_for, keys_said};

use super::super::text::{self, wrap};
use super::super::theme::theme;
use super::{button, error_lines, frame};

/// The widest the dialog grows.
const MAX_W: u16 = 76;
/// The width of the labels ("Secret ID    ").
const LABEL: usize = 13;
/// The narrowest dialog azsecrets asks for: the value (40 characters) fits on a line of its own.
const MIN_W: u16 = 44;
/// Graph's secrets are 40 characters; room is kept for one even while it is masked, so showing
/// it never needs more room than the dialog has.
const VALUE_ROOM: usize = 40;

const TITLE: &str = "Client secret created — copy it now";

/// A group of lines and how readily it is left out when the terminal is short (0: never);
/// a block with a `short` form is shortened to it instead of being left out.
struct Block<'a> {
    drop_rank: u8,
    lines: Vec<Line<'a>>,
    short: Option<Vec<Line<'a>>>,
}

fn block(drop_rank: u8, lines: Vec<Line<'_>>) -> Block<'_> {
    Block {
        drop_rank,
        lines,
        short: None,
    }
}

pub fn render(app: &App, r: &Reveal, area: Rect, buf: &mut Buffer) {
    // A destination form takes the dialog's place until it is sent or cancelled.
    if forms::render(app, r, area, buf) {
        return;
    }
    let w = MAX_W.min(area.width);
    let inner_w = usize::from(w.saturating_sub(4));
    let inner_h = usize::from(area.height.saturating_sub(2));
    let mut blocks = blocks(app, r, inner_w);
    // Keep room for the value whether or not it is shown, so `v` never outgrows the dialog.
    let reserve = value_lines(r, inner_w, true).saturating_sub(value_lines(r, inner_w, r.shown));
    // Leave out what can go, most expendable first, until it fits.
    while lines_in(&blocks) + reserve > inner_h {
        let Some(rank) = blocks.iter().map(|b| b.drop_rank).max().filter(|r| *r > 0) else {
            break;
        };
        if let Some(at) = blocks.iter().rposition(|b| b.drop_rank == rank) {
            match blocks[at].short.take() {
                Some(short) => {
                    blocks[at].lines = short;
                    blocks[at].drop_rank = 0;
                }
                None => {
                    blocks.remove(at);
                }
            }
        }
    }
    if inner_w < usize::from(MIN_W - 4) || lines_in(&blocks) + reserve > inner_h {
        too_small(app, r, area, buf);
    } else {
        let lines: Vec<Line> = blocks.into_iter().flat_map(|b| b.lines).collect();
        let h = lines.len() as u16 + 2;
        let inner = frame(area, w, h, TITLE, theme().dialog_border(), buf);
        Paragraph::new(lines).render(inner, buf);
    }
}

fn lines_in(blocks: &[Block<'_>]) -> usize {
    blocks.iter().map(|b| b.lines.len()).sum()
}

/// How many lines the value takes at `inner_w` (shown, or masked).
fn value_lines(r: &Reveal, inner_w: usize, shown: bool) -> usize {
    if !shown {
        return 1;
    }
    let len = r.value.expose().chars().count().max(VALUE_ROOM);
    if LABEL + len <= inner_w {
        1
    } else {
        1 + len.div_ceil(inner_w.max(1))
    }
}

/// `s` cut into pieces of at most `width` characters, borrowed (the value is never copied
/// into a `String` of ours).
fn pieces(s: &str, width: usize) -> Vec<&str> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut start = 0;
    let mut count = 0;
    for (i, _) in s.char_indices() {
        if count == width {
            out.push(&s[start..i]);
            start = i;
            count = 0;
        }
        count += 1;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// A labelled value that is never cut: on the label's line when it fits, else on lines of
/// its own below the label.
fn whole<'a>(label: &str, value: &'a str, style: Style, inner_w: usize) -> Vec<Line<'a>> {
    let t = theme();
    let label = Span::styled(format!("{label:<LABEL$}"), t.muted());
    if LABEL + value.chars().count() <= inner_w {
        return vec![Line::from(vec![label, Span::styled(value, style)])];
    }
    let mut out = vec![Line::from(label)];
    out.extend(
        pieces(value, inner_w)
            .into_iter()
            .map(|p| Line::from(Span::styled(p, style))),
    );
    out
}

fn styled(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, width)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, style)))
        .collect()
}

fn blocks<'a>(app: &'a App, r: &'a Reveal, inner_w: usize) -> Vec<Block<'a>> {
    let t = theme();
    let keys_of = |c: Command| key_for(Context::Reveal, c);
    let show = keys_of(Command::ToggleReveal);
    // Names and descriptions come from the tenant and may be very long: at most three lines,
    // the last ending in "…" when cut (the ids and the value are never cut).
    let kv = |k: &str, v: String| {
        let width = inner_w.saturating_sub(LABEL).max(1);
        let mut wrapped = wrap(&v, width);
        if wrapped.len() > 3 {
            wrapped.truncate(3);
            if let Some(last) = wrapped.last_mut() {
                *last = text::short(&format!("{last} …"), width);
                if !last.ends_with('…') {
                    last.push('…');
                }
            }
        }
        let mut out = Vec::new();
        for (i, l) in wrapped.into_iter().enumerate() {
            let head = if i == 0 { k } else { "" };
            out.push(Line::from(vec![
                Span::styled(format!("{head:<LABEL$}"), t.muted()),
                Span::raw(l),
            ]));
        }
        out
    };
    let mut b = vec![
        Block {
            drop_rank: 2,
            lines: styled(
                "Copy the value now: it is shown only here, once, and Graph never returns it again.",
                inner_w,
                t.warning(),
            ),
            short: Some(styled("Shown once: copy it now.", inner_w, t.warning())),
        },
        block(6, vec![Line::from("")]),
        block(
            3,
            kv("App", crate::sanitize::name(Some(&r.app_name)).into_owned()),
        ),
        block(
            3,
            kv(
                "Description",
                r.secret.description().map_or_else(
                    || "(none)".into(),
                    |d| crate::sanitize::clean(&d).into_owned(),
                ),
            ),
        ),
        block(
            3,
            kv("Expires", text::expires(r.secret.end_date_time, app.now)),
        ),
        block(
            0,
            whole(
                "Secret ID",
                r.secret.key_id.as_str(),
                Style::default(),
                inner_w,
            ),
        ),
        block(4, {
            let note = "(the Secret ID is not the value)";
            if LABEL + note.len() <= inner_w {
                vec![Line::from(Span::styled(
                    format!("{:<LABEL$}{note}", ""),
                    t.muted(),
                ))]
            } else {
                styled(note, inner_w, t.muted())
            }
        }),
    ];
    // The only place the value is ever drawn, and only after `v`. Borrowed, not copied into
    // a String: the buffer cells are the only other copy, and they are overwritten on close.
    let value = if r.shown {
        let mut lines = whole("Value", r.value.expose(), t.secret(), inner_w);
        let hint = format!("  ({show} hides)");
        if let [only] = lines.as_mut_slice() {
            if only.width() + hint.len() <= inner_w {
                only.spans.push(Span::styled(hint, t.muted()));
            }
        } else if let Some(first) = lines.first_mut() {
            first
                .spans
                .push(Span::styled(format!("({show} hides)"), t.muted()));
        }
        lines
    } else {
        let masked = format!("{}   (press {show} to show)", r.value.masked());
        if LABEL + masked.chars().count() <= inner_w {
            vec![Line::from(vec![
                Span::styled(format!("{:<LABEL$}", "Value"), t.muted()),
                Span::styled(masked, t.label()),
            ])]
        } else {
            kv("Value", masked)
                .into_iter()
                .map(|mut l| {
                    for s in l.spans.iter_mut().skip(1) {
                        s.style = t.label();
                    }
                    l
                })
                .collect()
        }
    };
    b.push(block(0, value));
    b.push(block(5, vec![Line::from("")]));
    b.push(block(0, mode_lines(app, r, inner_w)));
    b.push(block(0, answer_lines(app, r, inner_w)));
    b.push(block(0, status_lines(app, r, inner_w)));
    if matches!(r.mode, RevealMode::Normal) && r.deleting.is_none() {
        b.push(block(7, key_lines(r, inner_w)));
    }
    b
}

/// What the dialog is asking, if anything.
fn mode_lines<'a>(app: &App, r: &Reveal, inner_w: usize) -> Vec<Line<'a>> {
    let t = theme();
    let mut lines = Vec::new();
    match &r.mode {
        RevealMode::Normal => {}
        RevealMode::KeyVault(_) | RevealMode::GitHub(_) | RevealMode::Exec(_) => {}
        RevealMode::WritePath(input) => {
            let mut l = vec![Span::styled("Write .env to ", t.label())];
            l.extend(text::field(input, inner_w.saturating_sub(14), true, "").spans);
            lines.push(Line::from(l));
        }
        RevealMode::ConfirmReplace {
            path,
            client_id,
            tenant_id,
        } => {
            let ask = |c: Command| keys_said(Context::RevealConfirmReplace, c);
            let mut text = format!("{} is not this app's file.", path.display());
            if let Some(other) = client_id {
                let name = app
                    .all
                    .rows
                    .iter()
                    .find(|a| a.app_id.as_str().eq_ignore_ascii_case(other))
                    .map_or_else(
                        || "an app not in the list".to_owned(),
                        |a| a.display_name.to_string(),
                    );
                text.push_str(&format!(
                    " Its AZURE_CLIENT_ID is {other} ({name}), not {} ({}).",
                    r.app_id, r.app_name
                ));
            }
            if let Some(other) = tenant_id {
                let ours = app.tenant_id().map_or("this tenant", |t| t.as_str());
                text.push_str(&format!(" Its AZURE_TENANT_ID is {other}, not {ours}."));
            }
            text.push_str(&format!(
                " Replace them with this app's? {} replaces, {} keeps the file.",
                ask(Command::ConfirmYes),
                ask(Command::Back)
            ));
            lines.extend(styled(&text, inner_w, t.danger()));
        }
        RevealMode::ConfirmClose { focus, quitting } => {
            let ask = |c: Command| keys_said(Context::RevealConfirmClose, c);
            let text = format!(
                "Nobody holds this value: it was never copied (or the copy was not confirmed) nor written, and it can never be shown again. Delete the secret again ({}), or keep it ({}) if you saved the value yourself. {} goes back.",
                ask(Command::DeleteSecret),
                ask(Command::KeepSecret),
                ask(Command::Back)
            );
            lines.extend(styled(&text, inner_w, t.danger()));
            if *quitting {
                let again = format!(
                    "Quitting: press {} again within {} s to quit now and leave the secret in the tenant.",
                    key_for(Context::Global, Command::Quit),
                    QUIT_AGAIN.num_seconds()
                );
                lines.extend(styled(&again, inner_w, t.warning()));
            }
            if let Some(e) = &r.delete_error {
                lines.extend(error_lines(e, inner_w));
            }
            if r.deleting.is_some() {
                lines.push(Line::from(Span::styled(
                    format!("{} Deleting the secret again…", app.spinner_frame()),
                    t.muted(),
                )));
            } else {
                lines.push(Line::from(vec![
                    button("Delete it", *focus == CloseFocus::Delete),
                    Span::raw("  "),
                    button("Keep it", *focus == CloseFocus::Keep),
                ]));
            }
        }
    }
    lines
}

/// What a command printed, shown at most this many lines per destination.
const OUTPUT_LINES: usize = 4;

/// Each destination's answer, a hand-off in flight, and the sign-in check. Everything that
/// came from a vault, gh or a command is cleaned; nothing is cut: long lines wrap.
fn answer_lines<'a>(app: &App, r: &Reveal, inner_w: usize) -> Vec<Line<'a>> {
    let t = theme();
    let clean = |s: &str| crate::sanitize::clean(s).into_owned();
    let mut lines = Vec::new();
    for s in &r.sent {
        let (mark, style) = if s.ok {
            ("✓", t.ok())
        } else {
            ("✗", t.error())
        };
        // A success says where the value is now; a failure names where it did not go.
        let said = if s.ok {
            format!("{mark} {}", clean(&capitalized(&s.answer)))
        } else {
            format!("{mark} {}: {}", clean(&s.destination), clean(&s.answer))
        };
        lines.extend(styled(&said, inner_w, style));
        if let Some(w) = &s.warning {
            lines.extend(styled(&format!("  {}", clean(w)), inner_w, t.warning()));
        }
        for o in s.output.iter().take(OUTPUT_LINES) {
            lines.extend(styled(&format!("  │ {}", clean(o)), inner_w, t.muted()));
        }
        if s.output.len() > OUTPUT_LINES {
            lines.extend(styled(
                &format!(
                    "  │ … and {} more line(s) of output, not shown",
                    s.output.len() - OUTPUT_LINES
                ),
                inner_w,
                t.muted(),
            ));
        }
        if let Some(a) = &s.advice {
            lines.extend(styled(&format!("  {a}"), inner_w, t.label()));
        }
    }
    if let Some(s) = &r.sending {
        lines.extend(styled(
            &format!("{} Sending to {}…", app.spinner_frame(), clean(&s.what)),
            inner_w,
            t.muted(),
        ));
    }
    let stop = keys_said(Context::Reveal, Command::Back);
    match &r.check {
        SignInCheck::NotRun | SignInCheck::Stopped => {}
        SignInCheck::Running {
            started,
            attempt,
            waiting,
            then_rotate,
            ..
        } => {
            let before = if *then_rotate {
                "Before the old secret can be deleted: checking"
            } else {
                "Checking"
            };
            let text = match waiting {
                Some(w) => {
                    let left = (w.next_at - app.now).num_seconds().max(0).unsigned_abs();
                    let so_far = (app.now - *started).num_seconds().max(0).unsigned_abs();
                    format!(
                        "{} {before} that it signs in: attempt {} refused ({}); next try in {} ({} so far). {stop} stops.",
                        app.spinner_frame(),
                        w.attempt,
                        words::waiting_reason(w.code),
                        words::seconds(std::time::Duration::from_secs(left)),
                        words::seconds(std::time::Duration::from_secs(so_far)),
                    )
                }
                None => format!(
                    "{} {before} that it signs in (attempt {})… {stop} stops.",
                    app.spinner_frame(),
                    (*attempt).max(1)
                ),
            };
            lines.extend(styled(&text, inner_w, t.warning()));
        }
        SignInCheck::SignsIn { seconds, attempts } => lines.extend(styled(
            &format!(
                "The new secret {} ({attempts} attempt{}).",
                SignInCheck::success_words(*seconds, *attempts),
                if *attempts == 1 { "" } else { "s" }
            ),
            inner_w,
            t.ok(),
        )),
        SignInCheck::Failed { what, advice } => {
            lines.extend(styled(&format!("✗ {}", clean(what)), inner_w, t.error()));
            lines.extend(styled(advice, inner_w, t.label()));
        }
    }
    lines
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The hand-off's status: ✓ only for a copy or file that is known to have arrived.
fn status_lines<'a>(app: &App, r: &Reveal, inner_w: usize) -> Vec<Line<'a>> {
    let t = theme();
    if r.pending.is_some() {
        return vec![Line::from(Span::styled(
            format!("{} Working…", app.spinner_frame()),
            t.muted(),
        ))];
    }
    let Some(s) = &r.status else {
        return Vec::new();
    };
    let (prefix, style) = match (s.tone, r.unconfirmed.is_some()) {
        (Tone::Failed, _) => ("Error: ", t.error()),
        (Tone::Note, _) => ("", t.muted()),
        (Tone::Done, true) => ("", t.warning()),
        (Tone::Done, false) => ("✓ ", t.ok()),
    };
    styled(&format!("{prefix}{}", s.text), inner_w, style)
}

fn key_lines<'a>(r: &Reveal, inner_w: usize) -> Vec<Line<'a>> {
    let t = theme();
    let keys_of = |c: Command| key_for(Context::Reveal, c);
    let mut entries = vec![
        (
            keys_of(Command::ToggleReveal),
            if r.shown { "hide" } else { "show" },
        ),
        (keys_of(Command::CopyValue), "copy value"),
        (keys_of(Command::CopyEnvBlock), "copy env block"),
        (keys_of(Command::WriteEnvFile), "write .env"),
        (keys_of(Command::SendToKeyVault), "key vault"),
        (keys_of(Command::SendToGitHub), "GitHub"),
        (keys_of(Command::SendToCommand), "command"),
        (keys_of(Command::TestSignIn), "test sign-in"),
    ];
    if r.unconfirmed.is_some() {
        entries.push((keys_of(Command::ConfirmPaste), "paste worked"));
    }
    entries.push((keys_of(Command::Back), "close"));
    let mut lines: Vec<Line> = Vec::new();
    let mut line: Vec<Span> = Vec::new();
    let mut used = 0;
    for (k, label) in entries {
        let width = k.chars().count() + 1 + label.len() + 2;
        if used + width > inner_w && !line.is_empty() {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        line.push(Span::styled(k.to_owned(), t.key()));
        line.push(Span::raw(format!(" {label}  ")));
        used += width;
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

/// The smallest terminal that shows the dialog's essentials whole, as "W×H".
fn needed(app: &App, r: &Reveal) -> (u16, u16) {
    let inner_w = usize::from(MIN_W - 4);
    let essential: usize = blocks(app, r, inner_w)
        .iter()
        .map(|b| match (&b.short, b.drop_rank) {
            (Some(short), _) => short.len(),
            (None, 0) => b.lines.len(),
            (None, _) => 0,
        })
        .sum();
    let reserve = value_lines(r, inner_w, true).saturating_sub(value_lines(r, inner_w, r.shown));
    // Borders, and the footer row below the dialog area.
    (MIN_W, (essential + reserve + 3) as u16)
}

/// Too small to show the value whole: say how large the terminal must be, and what the dialog
/// is asking, if anything (its keys still work; closing still asks).
fn too_small(app: &App, r: &Reveal, area: Rect, buf: &mut Buffer) {
    let t = theme();
    let (w, h) = needed(app, r);
    let inner_w = usize::from(area.width.saturating_sub(4)).max(1);
    let enlarge = styled(
        &format!("Too small to show the secret whole: enlarge the terminal to at least {w}×{h}."),
        inner_w,
        t.warning(),
    );
    let ask = |c: Command| keys_said(Context::RevealConfirmClose, c);
    let question = match &r.mode {
        RevealMode::ConfirmClose { .. } if r.deleting.is_some() => {
            Some("Deleting the secret again…".to_owned())
        }
        RevealMode::ConfirmClose { .. } => Some(format!(
            "Nobody holds the value: delete the secret ({}), keep it ({}), or go back ({})?",
            ask(Command::DeleteSecret),
            ask(Command::KeepSecret),
            ask(Command::Back)
        )),
        RevealMode::ConfirmReplace { .. } => Some(format!(
            "The .env file is another app's: {} replaces its values, {} keeps it.",
            keys_said(Context::RevealConfirmReplace, Command::ConfirmYes),
            keys_said(Context::RevealConfirmReplace, Command::Back)
        )),
        _ => None,
    };
    // What the dialog asks comes first: on the smallest screens it must still be read.
    let mut lines = question.map_or_else(Vec::new, |q| styled(&q, inner_w, t.danger()));
    lines.extend(enlarge);
    let h = lines.len() as u16 + 2;
    let inner = frame(
        area,
        area.width,
        h,
        "Client secret created",
        t.dialog_border(),
        buf,
    );
    Paragraph::new(lines).render(inner, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_borrow_and_cover_the_whole_text() {
        let v = "Fk3~FAKEfakeFAKEfakeFAKEfakeFAKEfake0000";
        let p = pieces(v, 16);
        assert_eq!(p, vec!["Fk3~FAKEfakeFAKE", "fakeFAKEfakeFAKE", "fake0000"]);
        assert_eq!(p.concat(), v);
        assert_eq!(pieces("", 5), Vec::<&str>::new());
        assert_eq!(pieces("abc", 0), vec!["a", "b", "c"]);
    }
}
