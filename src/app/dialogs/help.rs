//! The `?` overlay. It has no state: it describes the context below it, from the live key map.

use crate::keymap::{Command, Context};

use super::{Cx, Outcome, Room};

#[derive(Debug, Default)]
pub struct Help;

impl Room for Help {
    fn context(&self) -> Context {
        Context::Help
    }

    /// Help describes what is under it, never itself.
    fn help_context(&self) -> Option<Context> {
        None
    }

    fn command(&mut self, c: Command, _cx: &mut Cx<'_>) -> Outcome {
        match c {
            Command::Back => Outcome::close(),
            _ => Outcome::stay(),
        }
    }
}
