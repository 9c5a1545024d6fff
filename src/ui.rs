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
            return;
        }
        for dialog in &self.dialogs {
            dialogs::render(self, dialog, body, buf);
        }
        toasts::render(self, body, buf);
        footer::render(self, foot, buf);
    }
}
