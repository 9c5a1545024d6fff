//! Plain configuration, built once from the flags: what the session, the terminal UI, the
//! commands and `sandbox serve` need, with no clap types below this point.

use std::time::Duration;

use crate::auth::{Cloud, Endpoints};
use crate::handoff::ClipboardMode;
use crate::sandbox::SandboxConfig;
use crate::session::{Method, ResourceConfig, SandboxSession, SessionConfig, SignInConfig};
use crate::tui::TuiConfig;

use super::args::{AuthMethod, ClipboardChoice, CloudArg, GlobalArgs, SandboxServeArgs};

/// What a command needs besides its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Refuse commands that change the tenant.
    pub read_only: bool,
    pub clipboard: ClipboardMode,
    pub clipboard_timeout: Duration,
    /// Range cursors a full listing runs at once (`--list-concurrency`).
    pub list_concurrency: usize,
}

impl GlobalArgs {
    pub fn session(&self) -> SessionConfig {
        let cloud = Endpoints::for_cloud(self.cloud.into());
        let mut resources = ResourceConfig::for_cloud(self.cloud.into());
        if let Some(t) = &self.vault_url_template {
            resources.key_vault.url_template = t.clone();
        }
        if let Some(u) = &self.arm_url {
            resources.arm.url = u.clone();
        }
        SessionConfig {
            resources,
            sandbox: self.sandbox.then(|| SandboxSession {
                extra_apps: self.sandbox_apps.unwrap_or(0),
                tenant_file: self.sandbox_tenant_file.clone(),
                add_password_delay: Duration::from_millis(
                    self.sandbox_add_password_delay.unwrap_or(0),
                ),
                add_password_status: self.sandbox_add_password_status,
                propagation_delay: Duration::from_secs(self.sandbox_propagation_delay.unwrap_or(0)),
            }),
            endpoints: Endpoints {
                graph: self.graph_url.clone().unwrap_or(cloud.graph),
                login: self.login_url.clone().unwrap_or(cloud.login),
            },
            sign_in: SignInConfig {
                method: self.auth.map(Into::into),
                tenant: self
                    .tenant
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
                client_id: self.client_id.clone(),
            },
        }
    }

    pub fn settings(&self) -> Settings {
        Settings {
            read_only: self.read_only,
            clipboard: self.clipboard.into(),
            clipboard_timeout: Duration::from_secs(self.clipboard_timeout),
            list_concurrency: usize::from(self.list_concurrency),
        }
    }

    pub fn tui(&self) -> TuiConfig {
        let s = self.settings();
        TuiConfig {
            session: self.session(),
            read_only: s.read_only,
            clipboard: s.clipboard,
            clipboard_timeout: s.clipboard_timeout,
            no_cache: self.no_cache,
            list_concurrency: s.list_concurrency,
        }
    }
}

impl SandboxServeArgs {
    pub fn config(&self) -> SandboxConfig {
        SandboxConfig {
            port: self.port,
            tenant_file: self.tenant_file.clone(),
            extra_apps: self.apps,
            latency: Duration::from_millis(self.latency),
            throttle_every: self.throttle_every.filter(|n| *n > 0),
            fail_rate: self.fail_rate,
            device_polls: self.device_polls,
            drop_add_password: self.drop_add_password,
            propagation_delay: Duration::from_secs(self.propagation_delay),
            deny_vault_set: self.deny_vault_set,
            add_password_delay: Duration::from_millis(self.add_password_delay),
            add_password_status: self.add_password_status,
            delta_page_size: self.delta_page_size as usize,
            key_credentials_per_minute: self.key_credentials_per_minute,
            ..SandboxConfig::default()
        }
    }
}

impl From<CloudArg> for Cloud {
    fn from(c: CloudArg) -> Self {
        match c {
            CloudArg::Public => Cloud::Public,
            CloudArg::Usgov => Cloud::Usgov,
            CloudArg::UsgovDod => Cloud::UsgovDod,
            CloudArg::China => Cloud::China,
        }
    }
}

impl From<AuthMethod> for Method {
    fn from(m: AuthMethod) -> Self {
        match m {
            AuthMethod::Token => Method::Token,
            AuthMethod::Env => Method::ServicePrincipal,
            AuthMethod::Cli => Method::AzureCli,
            AuthMethod::Device => Method::DeviceCode,
        }
    }
}

impl From<ClipboardChoice> for ClipboardMode {
    fn from(c: ClipboardChoice) -> Self {
        match c {
            ClipboardChoice::Auto => ClipboardMode::Auto,
            ClipboardChoice::Native => ClipboardMode::Native,
            ClipboardChoice::Osc52 => ClipboardMode::Osc52,
            ClipboardChoice::None => ClipboardMode::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::args::Cli;
    use super::*;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["azsecrets"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).unwrap().global
    }

    #[test]
    fn flags_become_plain_configuration() {
        let g = global(&[
            "--cloud",
            "usgov",
            "--login-url",
            "http://127.0.0.1:9",
            "--tenant",
            "  contoso.onmicrosoft.com ",
            "--auth",
            "env",
            "--clipboard",
            "osc52",
            "--clipboard-timeout",
            "0",
            "--read-only",
        ]);
        let s = g.session();
        assert_eq!(s.sandbox, None);
        assert_eq!(s.endpoints.graph.as_str(), "https://graph.microsoft.us/");
        assert_eq!(s.endpoints.login.as_str(), "http://127.0.0.1:9/");
        assert_eq!(s.sign_in.method, Some(Method::ServicePrincipal));
        assert_eq!(s.sign_in.tenant.as_deref(), Some("contoso.onmicrosoft.com"));
        assert_eq!(
            g.settings(),
            Settings {
                read_only: true,
                clipboard: ClipboardMode::Osc52,
                clipboard_timeout: Duration::ZERO,
                list_concurrency: 6,
            }
        );
        let s = global(&["--sandbox", "--sandbox-apps", "7"]).session();
        assert_eq!(
            s.sandbox,
            Some(SandboxSession {
                extra_apps: 7,
                ..SandboxSession::default()
            })
        );
        let s = global(&[
            "--sandbox",
            "--sandbox-add-password-delay",
            "1500",
            "--sandbox-add-password-status",
            "504",
        ])
        .session();
        let sb = s.sandbox.expect("sandbox");
        assert_eq!(sb.add_password_delay, Duration::from_millis(1500));
        assert_eq!(sb.add_password_status, Some(504));
        let s = global(&["--sandbox", "--sandbox-tenant-file", "t.json"]).session();
        assert_eq!(
            s.sandbox.and_then(|s| s.tenant_file),
            Some(std::path::PathBuf::from("t.json"))
        );
        assert!(Cli::try_parse_from(["azsecrets", "--sandbox-tenant-file", "t.json"]).is_err());
    }

    #[test]
    fn vault_and_arm_options_follow_the_cloud_unless_overridden() {
        let s = global(&["--cloud", "china"]).session();
        assert_eq!(
            s.resources.key_vault.url_template.as_str(),
            "https://{name}.vault.azure.cn/"
        );
        assert_eq!(s.resources.key_vault.resource, "https://vault.azure.cn");
        assert_eq!(
            s.resources.arm.url.as_str(),
            "https://management.chinacloudapi.cn/"
        );
        let s = global(&[
            "--vault-url-template",
            "http://127.0.0.1:8080/kv/{name}/",
            "--arm-url",
            "http://127.0.0.1:8080/arm/",
        ])
        .session();
        assert_eq!(
            s.resources.key_vault.url_template.as_str(),
            "http://127.0.0.1:8080/kv/{name}/"
        );
        assert_eq!(s.resources.key_vault.resource, "https://vault.azure.net");
        assert_eq!(s.resources.arm.url.as_str(), "http://127.0.0.1:8080/arm/");
        let bad = |args: &[&str]| {
            let mut argv = vec!["azsecrets"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv).is_err()
        };
        assert!(bad(&["--vault-url-template", "https://vault.example.com/"]));
        assert!(bad(&["--vault-url-template", "http://{name}.example.com/"]));
        assert!(bad(&["--arm-url", "http://management.example.com/"]));
    }

    #[test]
    fn sandbox_serve_knobs() {
        let cli = Cli::try_parse_from([
            "azsecrets",
            "sandbox",
            "serve",
            "--propagation-delay",
            "20",
            "--deny-vault-set",
        ])
        .unwrap();
        let Some(super::super::args::Command::Sandbox(super::super::args::SandboxCommand::Serve(
            a,
        ))) = cli.command
        else {
            panic!("sandbox serve")
        };
        let c = a.config();
        assert_eq!(c.propagation_delay, Duration::from_secs(20));
        assert!(c.deny_vault_set);
    }
}
