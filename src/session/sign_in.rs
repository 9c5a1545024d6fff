//! Which sign-in source a session uses: a pure function of the session's configuration and what
//! the environment says ([`SignInEnv`]: variables, whether `az` is installed). Nothing is run
//! here: whether az is signed in is learnt by the caller trying it, and
//! [`Choice::after_failure`] says where to go next.
//!
//! The automatic order (PRODUCT.md "Sign-in"): `--sandbox` → `AZSECRETS_ACCESS_TOKEN` → the
//! service principal from `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET` → the
//! Azure CLI (installed and signed in) → device code. A forced method is used alone, and refuses
//! with what is missing instead of falling through.

use std::path::PathBuf;

use secrecy::SecretString;

use crate::auth::DEFAULT_PUBLIC_CLIENT_ID;
use crate::auth::token_endpoint::valid_tenant;
use crate::ids::ApplicationId;

use super::{SandboxSession, SessionConfig};

pub const ACCESS_TOKEN_VAR: &str = "AZSECRETS_ACCESS_TOKEN";
pub const TENANT_VAR: &str = "AZURE_TENANT_ID";
pub const CLIENT_ID_VAR: &str = "AZURE_CLIENT_ID";
pub const CLIENT_SECRET_VAR: &str = "AZURE_CLIENT_SECRET";

/// A sign-in method chosen by hand (`--auth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `AZSECRETS_ACCESS_TOKEN`.
    Token,
    /// The service principal from the environment (client credentials).
    ServicePrincipal,
    /// `az account get-access-token`.
    AzureCli,
    DeviceCode,
}

/// What the choice may ask of the environment. Only look-ups: nothing here runs a process.
pub trait SignInEnv {
    /// An environment variable, `None` when unset or blank.
    fn var(&self, name: &str) -> Option<String>;
    /// Where `az` is, when it is on `PATH` (a file look-up).
    fn az_program(&self) -> Option<PathBuf>;
}

/// The process's own environment.
pub struct ProcessEnv;

impl SignInEnv for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }

    fn az_program(&self) -> Option<PathBuf> {
        crate::auth::azure_cli::find_az()
    }
}

/// A source to build, with what it needs.
#[derive(Debug)]
pub enum Chosen {
    Sandbox(SandboxSession),
    StaticToken(SecretString),
    ServicePrincipal {
        tenant: String,
        client_id: String,
        secret: SecretString,
    },
    AzureCli {
        program: PathBuf,
        tenant: Option<String>,
    },
    DeviceCode {
        tenant: String,
        client_id: String,
    },
}

/// The source to try, where to go if it fails, and why earlier sources were passed over.
#[derive(Debug)]
pub struct Choice {
    pub source: Chosen,
    /// Tried when `source` cannot sign in (only the automatic order's Azure CLI has one).
    pub fallback: Option<Chosen>,
    /// Why earlier sources in the automatic order were passed over (for the log and the user).
    pub notes: Vec<String>,
}

impl Choice {
    fn only(source: Chosen) -> Self {
        Self {
            source,
            fallback: None,
            notes: Vec::new(),
        }
    }

    /// The choice once `source` failed to sign in for the reason `why`: the fallback, with `why`
    /// added to the notes; `None` when there is nothing to fall back to.
    pub fn after_failure(self, why: String) -> Option<Choice> {
        let mut notes = self.notes;
        notes.push(why);
        self.fallback.map(|source| Choice {
            source,
            fallback: None,
            notes,
        })
    }
}

/// Why the configuration cannot sign in, before anything is asked of anyone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInConfigError {
    #[error("the access-token sign-in needs {ACCESS_TOKEN_VAR} to be set")]
    TokenMissing,
    #[error("the service-principal sign-in needs {} to be set", .missing.join(", "))]
    ServicePrincipalIncomplete {
        /// The variables that are not set (the tenant may also come from the configuration).
        missing: Vec<&'static str>,
    },
    #[error("the Azure CLI (az) is not installed or not on PATH")]
    AzureCliMissing,
    #[error(
        "'{0}' is not a valid tenant: give a tenant GUID or a domain such as contoso.onmicrosoft.com"
    )]
    InvalidTenant(String),
    #[error("'{0}' is not an Application (client) ID: expected a GUID")]
    InvalidClientId(String),
}

/// Choose the sign-in source for `config` in `env` (see the module docs for the order).
pub fn choose(config: &SessionConfig, env: &dyn SignInEnv) -> Result<Choice, SignInConfigError> {
    if let Some(sb) = &config.sandbox {
        return Ok(Choice::only(Chosen::Sandbox(sb.clone())));
    }
    let sign_in = &config.sign_in;
    match sign_in.method {
        Some(Method::Token) => {
            return token(env)
                .map(Choice::only)
                .ok_or(SignInConfigError::TokenMissing);
        }
        Some(Method::ServicePrincipal) => {
            check_tenant(config)?;
            return service_principal(config, env).map(Choice::only);
        }
        Some(Method::AzureCli) => {
            check_tenant(config)?;
            return azure_cli(config, env)
                .map(Choice::only)
                .ok_or(SignInConfigError::AzureCliMissing);
        }
        Some(Method::DeviceCode) => {
            check_tenant(config)?;
            return device_code(config).map(Choice::only);
        }
        None => {}
    }

    if let Some(t) = token(env) {
        return Ok(Choice::only(t));
    }
    check_tenant(config)?;
    let mut notes = Vec::new();
    let missing = missing_service_principal(config, env);
    if missing.is_empty() {
        return service_principal(config, env).map(Choice::only);
    }
    if env.var(CLIENT_SECRET_VAR).is_some() {
        // A secret without the rest is a half-configured service principal: say why it is
        // not used rather than silently signing in as someone else.
        notes.push(format!(
            "service principal not used: {CLIENT_SECRET_VAR} is set but {} {} not",
            missing.join(" and "),
            if missing.len() == 1 { "is" } else { "are" }
        ));
    }
    let device = device_code(config)?;
    // Not worth a note when az is missing: most device-code users simply do not use az.
    Ok(match azure_cli(config, env) {
        Some(az) => Choice {
            source: az,
            fallback: Some(device),
            notes,
        },
        None => Choice {
            source: device,
            fallback: None,
            notes,
        },
    })
}

fn token(env: &dyn SignInEnv) -> Option<Chosen> {
    env.var(ACCESS_TOKEN_VAR)
        .map(|t| Chosen::StaticToken(SecretString::from(t)))
}

/// The tenant asked for (a front-end may fill it from `AZURE_TENANT_ID`).
fn tenant(config: &SessionConfig) -> Option<String> {
    config
        .sign_in
        .tenant
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// A tenant goes into a URL path and onto az's command line: refuse anything that is not one
/// before it is used anywhere.
fn check_tenant(config: &SessionConfig) -> Result<(), SignInConfigError> {
    match tenant(config) {
        Some(t) if !valid_tenant(&t) => Err(SignInConfigError::InvalidTenant(t)),
        _ => Ok(()),
    }
}

fn sp_tenant(config: &SessionConfig, env: &dyn SignInEnv) -> Option<String> {
    tenant(config).or_else(|| env.var(TENANT_VAR).map(|t| t.trim().to_owned()))
}

fn missing_service_principal(config: &SessionConfig, env: &dyn SignInEnv) -> Vec<&'static str> {
    [
        (CLIENT_ID_VAR, env.var(CLIENT_ID_VAR).is_some()),
        (CLIENT_SECRET_VAR, env.var(CLIENT_SECRET_VAR).is_some()),
        (TENANT_VAR, sp_tenant(config, env).is_some()),
    ]
    .into_iter()
    .filter(|(_, set)| !set)
    .map(|(name, _)| name)
    .collect()
}

fn service_principal(
    config: &SessionConfig,
    env: &dyn SignInEnv,
) -> Result<Chosen, SignInConfigError> {
    match (
        sp_tenant(config, env),
        env.var(CLIENT_ID_VAR),
        env.var(CLIENT_SECRET_VAR),
    ) {
        (Some(tenant), Some(client_id), Some(secret)) => Ok(Chosen::ServicePrincipal {
            tenant,
            client_id: client_id.trim().to_owned(),
            secret: SecretString::from(secret),
        }),
        _ => {
            // Reported in the order a user sets them up.
            let mut missing = missing_service_principal(config, env);
            missing.sort_by_key(|v| {
                [TENANT_VAR, CLIENT_ID_VAR, CLIENT_SECRET_VAR]
                    .iter()
                    .position(|x| x == v)
            });
            Err(SignInConfigError::ServicePrincipalIncomplete { missing })
        }
    }
}

fn azure_cli(config: &SessionConfig, env: &dyn SignInEnv) -> Option<Chosen> {
    env.az_program().map(|program| Chosen::AzureCli {
        program,
        tenant: tenant(config),
    })
}

fn device_code(config: &SessionConfig) -> Result<Chosen, SignInConfigError> {
    let tenant = tenant(config).unwrap_or_else(|| "organizations".to_owned());
    let client_id = match config.sign_in.client_id.as_deref() {
        None => DEFAULT_PUBLIC_CLIENT_ID.to_owned(),
        Some(c) => {
            ApplicationId::parse(c)
                .map_err(|_| SignInConfigError::InvalidClientId(c.trim().to_owned()))?
                .0
        }
    };
    Ok(Chosen::DeviceCode { tenant, client_id })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;
    use crate::session::SignInConfig;

    #[derive(Default)]
    struct FakeEnv {
        vars: HashMap<&'static str, &'static str>,
        az: bool,
    }

    impl FakeEnv {
        fn with(mut self, name: &'static str, value: &'static str) -> Self {
            self.vars.insert(name, value);
            self
        }
        fn az(mut self) -> Self {
            self.az = true;
            self
        }
        fn service_principal(self) -> Self {
            self.with(TENANT_VAR, "contoso.onmicrosoft.com")
                .with(CLIENT_ID_VAR, "8ce4b1cd-654a-4d3b-9b85-7a1b0c8e7f10")
                .with(CLIENT_SECRET_VAR, "s3cret")
        }
    }

    impl SignInEnv for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.vars
                .get(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (*v).to_owned())
        }
        fn az_program(&self) -> Option<PathBuf> {
            self.az.then(|| PathBuf::from("/usr/bin/az"))
        }
    }

    fn config() -> SessionConfig {
        SessionConfig::default()
    }

    fn forced(method: Method) -> SessionConfig {
        SessionConfig {
            sign_in: SignInConfig {
                method: Some(method),
                ..SignInConfig::default()
            },
            ..SessionConfig::default()
        }
    }

    /// The source's name, and its fallback's.
    fn names(c: &Choice) -> (&'static str, Option<&'static str>) {
        fn name(s: &Chosen) -> &'static str {
            match s {
                Chosen::Sandbox(_) => "sandbox",
                Chosen::StaticToken(_) => "token",
                Chosen::ServicePrincipal { .. } => "service principal",
                Chosen::AzureCli { .. } => "az",
                Chosen::DeviceCode { .. } => "device",
            }
        }
        (name(&c.source), c.fallback.as_ref().map(name))
    }

    #[test]
    fn the_automatic_order_takes_the_first_source_available() {
        let everything = || {
            FakeEnv::default()
                .with(ACCESS_TOKEN_VAR, "tok")
                .service_principal()
                .az()
        };
        let sandbox = SessionConfig {
            sandbox: Some(SandboxSession::default()),
            ..config()
        };
        // --sandbox wins over everything, even a forced method.
        assert_eq!(
            names(&choose(&sandbox, &everything()).unwrap()),
            ("sandbox", None)
        );
        let forced_sandbox = SessionConfig {
            sign_in: forced(Method::DeviceCode).sign_in,
            ..sandbox
        };
        assert_eq!(
            names(&choose(&forced_sandbox, &everything()).unwrap()).0,
            "sandbox"
        );

        // Then the ready token,
        let c = choose(&config(), &everything()).unwrap();
        assert_eq!(names(&c), ("token", None));
        let Chosen::StaticToken(t) = &c.source else {
            unreachable!()
        };
        assert_eq!(t.expose_secret(), "tok");
        // then the service principal,
        let env = FakeEnv::default().service_principal().az();
        assert_eq!(
            names(&choose(&config(), &env).unwrap()),
            ("service principal", None)
        );
        // then the Azure CLI, falling back to device code if it is not signed in,
        let env = FakeEnv::default().az();
        assert_eq!(
            names(&choose(&config(), &env).unwrap()),
            ("az", Some("device"))
        );
        // and device code when nothing else is there.
        let c = choose(&config(), &FakeEnv::default()).unwrap();
        assert_eq!(names(&c), ("device", None));
        assert!(c.notes.is_empty(), "a missing az is not worth a note");
    }

    #[test]
    fn a_failed_azure_cli_falls_back_to_device_code_with_a_note() {
        let c = choose(&config(), &FakeEnv::default().az()).unwrap();
        let c = c
            .after_failure("the Azure CLI is not signed in".into())
            .expect("device code is next");
        assert_eq!(names(&c), ("device", None));
        assert_eq!(c.notes, vec!["the Azure CLI is not signed in"]);
        assert!(
            c.after_failure("device code failed".into()).is_none(),
            "nothing after device code"
        );
    }

    #[test]
    fn a_half_configured_service_principal_is_skipped_with_a_note() {
        let env = FakeEnv::default().with(CLIENT_SECRET_VAR, "s3cret").az();
        let c = choose(&config(), &env).unwrap();
        assert_eq!(names(&c), ("az", Some("device")));
        assert_eq!(
            c.notes,
            vec![
                "service principal not used: AZURE_CLIENT_SECRET is set but AZURE_CLIENT_ID and AZURE_TENANT_ID are not"
            ]
        );
        // The tenant may come from the configuration (--tenant) instead of the variable.
        let env = FakeEnv::default()
            .with(CLIENT_SECRET_VAR, "s3cret")
            .with(CLIENT_ID_VAR, "8ce4b1cd-654a-4d3b-9b85-7a1b0c8e7f10");
        let mut with_tenant = config();
        with_tenant.sign_in.tenant = Some("contoso.onmicrosoft.com".into());
        let c = choose(&with_tenant, &env).unwrap();
        assert_eq!(names(&c), ("service principal", None));
        let Chosen::ServicePrincipal { tenant, .. } = &c.source else {
            unreachable!()
        };
        assert_eq!(tenant, "contoso.onmicrosoft.com");
        // Only a secret earns a note: a client id alone is common (e.g. for other tools).
        let env = FakeEnv::default().with(CLIENT_ID_VAR, "x");
        assert!(choose(&config(), &env).unwrap().notes.is_empty());
        // Blank variables count as unset.
        let env = FakeEnv::default().with(ACCESS_TOKEN_VAR, "  ");
        assert_eq!(names(&choose(&config(), &env).unwrap()).0, "device");
    }

    #[test]
    fn a_forced_method_is_used_alone_or_says_what_is_missing() {
        let everything = || {
            FakeEnv::default()
                .with(ACCESS_TOKEN_VAR, "tok")
                .service_principal()
                .az()
        };
        for (method, name) in [
            (Method::Token, "token"),
            (Method::ServicePrincipal, "service principal"),
            (Method::AzureCli, "az"),
            (Method::DeviceCode, "device"),
        ] {
            let c = choose(&forced(method), &everything()).unwrap();
            assert_eq!(names(&c), (name, None), "{method:?} has no fallback");
        }
        let none = FakeEnv::default();
        assert_eq!(
            choose(&forced(Method::Token), &none).unwrap_err(),
            SignInConfigError::TokenMissing
        );
        assert_eq!(
            choose(&forced(Method::AzureCli), &none).unwrap_err(),
            SignInConfigError::AzureCliMissing
        );
        let half = FakeEnv::default().with(CLIENT_ID_VAR, "x");
        let e = choose(&forced(Method::ServicePrincipal), &half).unwrap_err();
        assert_eq!(
            e,
            SignInConfigError::ServicePrincipalIncomplete {
                missing: vec![TENANT_VAR, CLIENT_SECRET_VAR]
            }
        );
        assert_eq!(
            e.to_string(),
            "the service-principal sign-in needs AZURE_TENANT_ID, AZURE_CLIENT_SECRET to be set"
        );
    }

    #[test]
    fn bad_tenants_and_client_ids_are_refused_before_anything_runs() {
        let mut c = forced(Method::DeviceCode);
        c.sign_in.client_id = Some("my-app".into());
        assert_eq!(
            choose(&c, &FakeEnv::default()).unwrap_err(),
            SignInConfigError::InvalidClientId("my-app".into())
        );
        for bad in ["a/b", "--output", "..", "x y"] {
            for method in [Some(Method::DeviceCode), Some(Method::AzureCli), None] {
                let mut c = config();
                c.sign_in.method = method;
                c.sign_in.tenant = Some(bad.into());
                assert_eq!(
                    choose(&c, &FakeEnv::default().az()).unwrap_err(),
                    SignInConfigError::InvalidTenant(bad.into()),
                    "{bad} with {method:?}"
                );
            }
        }
        // A ready token does not use the tenant, so a bad one does not matter to it.
        let mut c = config();
        c.sign_in.tenant = Some("a/b".into());
        assert!(choose(&c, &FakeEnv::default().with(ACCESS_TOKEN_VAR, "t")).is_ok());
    }

    #[test]
    fn device_code_defaults_to_organizations_and_the_public_client() {
        let c = choose(&forced(Method::DeviceCode), &FakeEnv::default()).unwrap();
        let Chosen::DeviceCode { tenant, client_id } = c.source else {
            unreachable!()
        };
        assert_eq!(tenant, "organizations");
        assert_eq!(client_id, DEFAULT_PUBLIC_CLIENT_ID);
        let mut cfg = forced(Method::DeviceCode);
        cfg.sign_in.client_id = Some(" 8CE4B1CD-654A-4D3B-9B85-7A1B0C8E7F10 ".into());
        cfg.sign_in.tenant = Some(" contoso.onmicrosoft.com ".into());
        let Chosen::DeviceCode { tenant, client_id } =
            choose(&cfg, &FakeEnv::default()).unwrap().source
        else {
            unreachable!()
        };
        assert_eq!(tenant, "contoso.onmicrosoft.com");
        assert_eq!(client_id, "8ce4b1cd-654a-4d3b-9b85-7a1b0c8e7f10");
    }
}
