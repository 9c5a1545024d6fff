//! Every style in one place. Colour is never the only signal: status bands carry words and
//! focus carries a marker, so `NO_COLOR` (which drops every colour here) loses nothing.

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};

use crate::expiry::Status;

pub struct Theme {
    colour: bool,
}

static THEME: OnceLock<Theme> = OnceLock::new();

/// The theme for this run (`NO_COLOR` set and non-empty turns colours off).
pub fn theme() -> &'static Theme {
    THEME.get_or_init(|| Theme {
        colour: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    })
}

impl Theme {
    fn fg(&self, c: Color) -> Style {
        if self.colour {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn label(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn muted(&self) -> Style {
        self.fg(Color::DarkGray)
    }
    pub fn disabled(&self) -> Style {
        self.fg(Color::DarkGray).add_modifier(Modifier::DIM)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn header_row(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn tab_active(&self) -> Style {
        self.fg(Color::Cyan)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    pub fn focused(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }
    pub fn button(&self) -> Style {
        Style::new()
    }
    pub fn danger(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red)
    }
    pub fn border(&self) -> Style {
        self.fg(Color::Gray)
    }
    pub fn dialog_border(&self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn danger_border(&self) -> Style {
        self.fg(Color::Red)
    }
    pub fn secret(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
    pub fn input(&self) -> Style {
        Style::new().add_modifier(Modifier::UNDERLINED)
    }
    pub fn cursor(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn status(&self, s: Status) -> Style {
        match s {
            Status::Expired => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Status::Within7 => self.fg(Color::Red),
            Status::Within30 => self.fg(Color::Yellow),
            Status::Within90 => self.fg(Color::LightYellow),
            Status::Ok => self.fg(Color::Green),
        }
    }
}
