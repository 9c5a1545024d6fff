//! Quitting never lies. Ctrl-C, `q` and the signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) all
//! come here as one request:
//!
//! - an add (or a deletion, a registration) in flight: "Finishing…" while the runner gives an
//!   add a few seconds to be answered and then settles what exists; the quit goes on once
//!   nothing is in flight;
//! - a value nobody holds on screen: its dialog asks exactly as closing it would (delete it
//!   again, keep it, or go back, which cancels the quit);
//! - otherwise the run ends.
//!
//! A second request within [`QUIT_AGAIN`] of the question (or any while finishing) quits at
//! once; the summary then names what was left and how to delete it, and the journal keeps it
//! for the next start.

use chrono::{DateTime, Duration, Utc};

use super::App;
use super::dialogs::{Dialog, Finishing, InFlight};
use super::effect::Effect;

/// A second quit within this long of the question forces the quit.
pub const QUIT_AGAIN: Duration = Duration::seconds(2);

/// Finishing never takes longer than this (the add settles within its own bounds; this is a
/// last guard).
const FINISH_LIMIT: Duration = Duration::seconds(45);

/// Where a quit stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Quitting {
    #[default]
    No,
    /// A dialog asks about a value nobody holds; the quit goes on once it is answered.
    Asked { at: DateTime<Utc> },
    /// Waiting for writes in flight.
    Finishing { since: DateTime<Utc> },
}

impl App {
    /// Ctrl-C, `q` where it quits, or a signal.
    pub(super) fn request_quit(&mut self) -> Vec<Effect> {
        match self.quitting {
            Quitting::Asked { at } if self.now - at <= QUIT_AGAIN => {
                self.force_quit();
                return Vec::new();
            }
            Quitting::Finishing { .. } => {
                self.force_quit();
                return Vec::new();
            }
            _ => {}
        }
        self.advance_quit(true)
    }

    /// Quit now, whatever is open: what an add in flight leaves unsettled goes into the
    /// summary (a secret nobody holds is there already, with the command that deletes it).
    pub(super) fn force_quit(&mut self) {
        tracing::info!("quit forced");
        let unsettled: Vec<_> = self
            .dialogs
            .iter()
            .filter_map(|d| d.room().unsettled_by_quit())
            .collect();
        self.summary.unsettled.extend(unsettled);
        self.should_quit = true;
    }

    /// After any change while quitting: go on, keep waiting, or (the user went back) stop.
    pub(super) fn advance_quit(&mut self, asked_now: bool) -> Vec<Effect> {
        if self.should_quit {
            return Vec::new();
        }
        if let Quitting::Finishing { since } = self.quitting
            && self.now - since > FINISH_LIMIT
        {
            self.force_quit();
            return Vec::new();
        }
        let flights: Vec<InFlight> = self
            .dialogs
            .iter()
            .map(|d| d.room().in_flight())
            .filter(|f| *f != InFlight::None)
            .collect();
        if !flights.is_empty() {
            if matches!(self.quitting, Quitting::Finishing { .. }) {
                return Vec::new();
            }
            self.quitting = Quitting::Finishing { since: self.now };
            let adding = flights.iter().any(|f| matches!(f, InFlight::Add(_)));
            self.dialogs.push(
                Finishing {
                    since: self.now,
                    adding,
                }
                .into(),
            );
            return flights
                .into_iter()
                .filter_map(|f| match f {
                    InFlight::Add(request) => Some(Effect::InterruptAdd { request }),
                    _ => None,
                })
                .collect();
        }
        let was_finishing = matches!(self.quitting, Quitting::Finishing { .. });
        self.dialogs.retain(|d| !matches!(d, Dialog::Finishing(_)));
        let holder = self
            .dialogs
            .iter_mut()
            .rev()
            .find(|d| d.room().holds_unsaved_value());
        if let Some(d) = holder {
            if asked_now || was_finishing {
                d.room_mut().ask_to_close(true);
                self.quitting = Quitting::Asked { at: self.now };
            } else if !d.room().asking_to_close() {
                // The user went back to the value: no quit any more.
                tracing::info!("quit cancelled");
                self.quitting = Quitting::No;
            }
            return Vec::new();
        }
        self.should_quit = true;
        Vec::new()
    }
}
