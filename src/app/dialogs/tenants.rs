//! Switch tenant (`T`): the tenants the signed-in account can use (Resource Manager's list, or
//! the Azure CLI's accounts), the current one marked. Enter switches: a new sign-in for that
//! tenant, then everything loads again; Esc keeps the tenant.

use crate::keymap::{Command, Context};
use crate::tenants::{TenantChoice, TenantSource, Tenants, TenantsError};

use super::{Cx, FollowUp, Outcome, Room};
use crate::app::action::RequestId;

#[derive(Debug)]
pub struct TenantPicker {
    /// The list being read.
    pub pending: Option<RequestId>,
    pub tenants: Vec<TenantChoice>,
    pub source: Option<TenantSource>,
    /// Why the list could not be read.
    pub error: Option<String>,
    /// The tenant signed in now.
    pub current: Option<String>,
    pub selected: usize,
}

impl TenantPicker {
    pub fn new(request: RequestId, current: Option<String>) -> Self {
        Self {
            pending: Some(request),
            tenants: Vec::new(),
            source: None,
            error: None,
            current,
            selected: 0,
        }
    }

    pub fn is_current(&self, t: &TenantChoice) -> bool {
        self.current
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&t.id))
    }

    /// The list arrived (or could not be read).
    pub fn loaded(&mut self, result: Result<Tenants, TenantsError>) -> Outcome {
        self.pending = None;
        match result {
            Ok(t) => {
                self.tenants = t.tenants;
                self.source = Some(t.source);
                self.selected = self
                    .tenants
                    .iter()
                    .position(|t| self.is_current(t))
                    .unwrap_or(0);
            }
            Err(e) => {
                tracing::warn!(error = %e, "shown to the user");
                self.error = Some(e.to_string());
            }
        }
        Outcome::stay()
    }
}

impl Room for TenantPicker {
    fn context(&self) -> Context {
        Context::Tenants
    }

    fn pending(&self) -> Option<RequestId> {
        self.pending
    }

    fn command(&mut self, c: Command, _cx: &mut Cx<'_>) -> Outcome {
        match c {
            Command::Up => self.selected = self.selected.saturating_sub(1),
            Command::Down => {
                self.selected = (self.selected + 1).min(self.tenants.len().saturating_sub(1));
            }
            Command::Activate => {
                let Some(t) = self.tenants.get(self.selected) else {
                    return Outcome::stay();
                };
                if self.is_current(t) {
                    return Outcome::close()
                        .then(FollowUp::Info("That is the tenant you are in.".to_owned()));
                }
                return Outcome::close().then(FollowUp::SwitchTenant(t.clone()));
            }
            Command::Back => return Outcome::close(),
            _ => {}
        }
        Outcome::stay()
    }
}
