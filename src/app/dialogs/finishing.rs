//! "Finishing…": shown while a quit waits for Graph's answer to an add in flight (a few
//! seconds), and then for the read-back that settles what exists. It holds no keys of its own:
//! a second quit (Ctrl-C, a signal) quits at once, and the journal keeps the add for the next
//! run to check.

use chrono::{DateTime, Utc};

use crate::keymap::{Command, Context};

use super::{Cx, Outcome, Room};

#[derive(Debug)]
pub struct Finishing {
    /// When the quit began (the view counts the seconds).
    pub since: DateTime<Utc>,
    /// An add is in flight (else a deletion or a registration).
    pub adding: bool,
}

impl Room for Finishing {
    fn context(&self) -> Context {
        Context::Finishing
    }

    /// Help describes what is under it.
    fn help_context(&self) -> Option<Context> {
        None
    }

    fn command(&mut self, _c: Command, _cx: &mut Cx<'_>) -> Outcome {
        Outcome::stay()
    }
}
