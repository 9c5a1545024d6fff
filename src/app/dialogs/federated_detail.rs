//! One federated credential shown whole: name, issuer, subject, audiences, description and
//! id, wrapped, never cut (the table has to cut them). Read-only; Esc closes.

use crate::graph::FederatedCredential;
use crate::keymap::{Command, Context};

use super::{Cx, Outcome, Room};

#[derive(Debug)]
pub struct FederatedDetail {
    pub app_name: String,
    pub credential: FederatedCredential,
    /// First line shown, when the text is taller than the screen.
    pub scroll: usize,
}

impl FederatedDetail {
    pub fn new(app_name: String, credential: FederatedCredential) -> Self {
        Self {
            app_name,
            credential,
            scroll: 0,
        }
    }
}

impl Room for FederatedDetail {
    fn context(&self) -> Context {
        Context::FederatedDetail
    }

    fn command(&mut self, c: Command, _cx: &mut Cx<'_>) -> Outcome {
        match c {
            Command::Back => return Outcome::close(),
            Command::Up => self.scroll = self.scroll.saturating_sub(1),
            // The view stops at the last line; the model only counts.
            Command::Down => self.scroll = self.scroll.saturating_add(1).min(10_000),
            _ => {}
        }
        Outcome::stay()
    }
}
