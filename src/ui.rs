//! Views: draw `&App`, nothing else (no write into the model). One file per screen, one per
//! dialog under `ui/dialogs/`; the theme lives in `ui/theme.rs`; tables build only the rows
//! that are visible, from a copy of the model's scroll state.

mod app_screen;
mod apps;
mod dialogs;
mod footer;
mod sign_in;
pub mod text;
pub mod theme;
mod toasts;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Clear, Widget};

use crate::app::{App, Dialog, Screen};

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Clear.render(area, buf);
        let [body, foot] = area.layout(&Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(1),
        ]));
        match self.screen {
            Screen::Apps => apps::render(self, body, buf),
            Screen::App => app_screen::render(self, body, buf),
        }
        if let Some(prompt) = &self.sign_in.prompt {
            // Sign-in covers the screen and its dialogs; only its own help goes on top.
            sign_in::render(self, prompt, body, buf);
            if matches!(self.dialogs.last(), Some(Dialog::Help(_))) {
                dialogs::help::render(self, body, buf);
            }
            toasts::render(self, body, buf);
            footer::render(self, foot, buf);
            last_net(area, buf);
            return;
        }
        for dialog in &self.dialogs {
            dialogs::render(self, dialog, body, buf);
        }
        toasts::render(self, body, buf);
        footer::render(self, foot, buf);
        last_net(area, buf);
    }
}

/// The views clean every tenant string (placeholders show what was there); this is the net
/// under them: no cell leaves with a control, bidi or invisible character in it, whatever a
/// view forgot. Cheap: almost every cell is one ASCII character.
fn last_net(area: Rect, buf: &mut Buffer) {
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let Some(cell) = buf.cell_mut((x, y)) else {
                continue;
            };
            // One byte is ASCII: ratatui itself never writes a control into a cell.
            if cell.symbol().len() == 1 {
                continue;
            }
            if let std::borrow::Cow::Owned(clean) = crate::sanitize::strip(cell.symbol()) {
                let clean = if clean.is_empty() {
                    " ".to_owned()
                } else {
                    clean
                };
                cell.set_symbol(&clean);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::app::{App, Settings};
    use crate::auth::SourceKind;
    use crate::keymap::{Command, Context, test_rebind};

    fn screen(app: &App) -> String {
        let mut t = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
        t.draw(|f| f.render_widget(app, f.area())).expect("draw");
        t.backend().to_string()
    }

    /// The hints on screen name keys from the key map: rebind one and the words follow.
    #[test]
    fn drawn_hints_follow_the_key_map() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).single();
        let settings = Settings {
            read_only: false,
            source: SourceKind::Sandbox,
        };
        let app = App::new(settings, now.expect("valid date"));
        assert!(screen(&app).contains("Press / to filter by name or id"));
        let rebound = test_rebind::with(Context::Apps, Command::StartFilter, "F6", || screen(&app));
        assert!(
            rebound.contains("Press F6 to filter by name or id"),
            "{rebound}"
        );
    }
}
