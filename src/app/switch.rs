//! Switching tenant (`T`): the picker, the switch (a new sign-in for the other tenant, done by
//! the runner), and what the model forgets and loads again once Graph answers there. The cache,
//! filter, lists and screens of the old tenant go; the exit summary stays.

use crate::catalog::cache::CacheKey;
use crate::graph::Organization;
use crate::tenants::{SwitchError, TenantChoice};

use super::action::RequestId;
use super::dialogs::TenantPicker;
use super::effect::Effect;
use super::{
    App, AppList, AppsTab, ErrorInfo, ExpiringList, Loadable, Screen, ToastLevel, explain,
};

impl App {
    /// `T`: the picker, and the list of tenants for it.
    pub(super) fn open_tenant_picker(&mut self) -> Vec<Effect> {
        let r = self.request();
        let current = self.tenant_id().map(|t| t.to_string());
        self.dialogs.push(TenantPicker::new(r, current).into());
        vec![Effect::LoadTenants { request: r }]
    }

    /// The user chose another tenant.
    pub(super) fn switch_tenant(&mut self, tenant: TenantChoice) -> Vec<Effect> {
        let r = self.request();
        let name = crate::sanitize::name(tenant.name.as_deref()).into_owned();
        self.note(format!("Signing in to {name}…"));
        let id = tenant.id.clone();
        self.switching = Some((r, tenant));
        vec![Effect::SwitchTenant {
            request: r,
            tenant: id,
        }]
    }

    /// Signed in there (the runner already uses the new sign-in), or not (nothing changed).
    pub(super) fn tenant_switched(
        &mut self,
        r: RequestId,
        result: Result<Organization, SwitchError>,
    ) -> Vec<Effect> {
        if self.switching.as_ref().is_none_or(|(req, _)| *req != r) {
            return Vec::new();
        }
        let Some((_, choice)) = self.switching.take() else {
            return Vec::new();
        };
        let org = match result {
            Ok(org) => org,
            Err(e) => {
                let info = match &e {
                    SwitchError::Graph(g) => explain(g),
                    SwitchError::NotPossible(why) => ErrorInfo::plain(
                        why.clone(),
                        "Start azsecrets with --tenant TENANT and another sign-in.",
                    ),
                };
                let name = crate::sanitize::name(choice.name.as_deref()).into_owned();
                self.toast(
                    ToastLevel::Error,
                    format!(
                        "Could not switch to {name}: {} {}",
                        info.message, info.advice
                    ),
                    info.reference(),
                );
                return Vec::new();
            }
        };
        let name = crate::sanitize::name(org.display_name.as_deref()).into_owned();
        tracing::info!("switched tenant");
        // What belonged to the old tenant goes; the new one loads as at start.
        let r = self.request();
        self.organization = Loadable::Idle;
        self.organization.start(r);
        self.organization.settle(r, Ok(org.clone()));
        self.me = Loadable::Idle;
        self.all = AppList::default();
        self.owned = AppList::default();
        self.expiring = ExpiringList::default();
        self.filter.reset();
        self.filtering = false;
        self.search = None;
        self.lookup = None;
        self.detail = None;
        self.screen = Screen::Apps;
        self.tab = AppsTab::All;
        self.warm.tenant = None;
        self.warm.certificates = None;
        if let Some(key) = self.warm.key.as_mut() {
            *key = CacheKey::new(&key.graph, org.id.as_str());
        }
        self.toast(ToastLevel::Info, format!("Switched to {name}."), None);
        let mut fx = self.load_cache();
        fx.extend(self.start_after_sign_in());
        fx.extend(self.rescan_orphans());
        fx
    }
}
