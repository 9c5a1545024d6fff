//! The copy menu (`y` on the App screen): the app's ids, each labelled, and the selected
//! secret's Secret ID, which is NOT its value (the menu says so).

use crate::app::effect::Effect;
use crate::keymap::{Command, Context};

use super::{Cx, FollowUp, Outcome, Room};

/// Which id an item copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyKind {
    ApplicationId,
    TenantId,
    ObjectId,
    SecretId,
}

impl CopyKind {
    pub fn label(self) -> &'static str {
        match self {
            CopyKind::ApplicationId => "Application (client) ID",
            CopyKind::TenantId => "Directory (tenant) ID",
            CopyKind::ObjectId => "Object ID",
            CopyKind::SecretId => "Secret ID",
        }
    }

    /// A warning under the item.
    pub fn note(self) -> &'static str {
        match self {
            CopyKind::SecretId => "the secret's id, NOT its value",
            _ => "",
        }
    }

    /// Why there is nothing to copy.
    fn missing(self) -> &'static str {
        match self {
            CopyKind::SecretId => "select a client secret first",
            _ => "it is not known yet",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyItem {
    pub kind: CopyKind,
    pub value: Option<String>,
}

#[derive(Debug)]
pub struct CopyMenu {
    pub items: Vec<CopyItem>,
    pub selected: usize,
}

impl CopyMenu {
    pub fn new(items: Vec<CopyItem>) -> Self {
        Self { items, selected: 0 }
    }

    /// Copy item `i` (closing the menu), or stay when there is no such item.
    fn pick(&self, i: usize, cx: &mut Cx<'_>) -> Outcome {
        let Some(item) = self.items.get(i) else {
            return Outcome::stay();
        };
        let label = item.kind.label();
        match &item.value {
            Some(text) => Outcome::close().effect(Effect::CopyText {
                request: cx.request(),
                label,
                text: text.clone(),
            }),
            None => Outcome::close().then(FollowUp::Info(format!(
                "Cannot copy the {label}: {}.",
                item.kind.missing()
            ))),
        }
    }
}

impl Room for CopyMenu {
    fn context(&self) -> Context {
        Context::CopyMenu
    }

    fn command(&mut self, c: Command, cx: &mut Cx<'_>) -> Outcome {
        match c {
            Command::Up => self.selected = self.selected.saturating_sub(1),
            Command::Down => {
                self.selected = (self.selected + 1).min(self.items.len().saturating_sub(1));
            }
            Command::Activate => return self.pick(self.selected, cx),
            Command::CopyItem(n) => return self.pick(usize::from(n), cx),
            Command::Back => return Outcome::close(),
            _ => {}
        }
        Outcome::stay()
    }
}
