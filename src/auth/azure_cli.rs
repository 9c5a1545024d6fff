//! Azure CLI sign-in: `az account get-access-token` (contract section 12), run with
//! `tokio::process`. The token comes back on az's stdout and is never put on a command line;
//! az caches and refreshes its own tokens, so a refresh here is simply running az again.
//! Tokens for other resources (Key Vault, Resource Manager) come from the same az with
//! `--resource {resource}` and, when the resource names its tenant, `--tenant`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use futures::future::BoxFuture;
use secrecy::SecretString;
use secrecy::zeroize::Zeroize;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::endpoints::{Cloud, Endpoints};
use super::resource::{ResourceKind, TokenRequest};
use super::{AccessToken, AuthError, Held, HeldByRequest, SourceKind, TokenSource, first_line};

const NAME: &str = "Azure CLI";
/// az can be slow to start (Python) and may refresh its own token over the network.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Which Graph az should mint a token for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AzResource {
    /// `--resource-type ms-graph`: the Graph of az's active cloud (the public cloud here).
    MsGraph,
    /// `--resource <graph root>/` for national clouds.
    Resource(String),
}

impl AzResource {
    pub fn for_endpoints(endpoints: &Endpoints) -> Self {
        let graph = endpoints.graph.as_str();
        if graph == Endpoints::for_cloud(Cloud::Public).graph.as_str() {
            AzResource::MsGraph
        } else {
            AzResource::Resource(graph.to_owned())
        }
    }
}

/// Why az could not give a token, in terms the user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AzCliError {
    #[error(
        "the Azure CLI (az) is not installed or not on PATH: install it, or sign in another way"
    )]
    NotInstalled,
    #[error("the Azure CLI is not signed in{}: run `az login{}`{}", tenant_note(.tenant), tenant_arg(.tenant), detail_note(.detail))]
    NotSignedIn {
        tenant: Option<String>,
        detail: String,
    },
    #[error("the Azure CLI's sign-in has expired{}: run `az login{}` again{}", tenant_note(.tenant), tenant_arg(.tenant), detail_note(.detail))]
    SessionExpired {
        tenant: Option<String>,
        detail: String,
    },
    #[error(
        "the Azure CLI is signed in to tenant {actual}, not {wanted}: run `az login --tenant {wanted}`"
    )]
    WrongTenant { wanted: String, actual: String },
    #[error("the Azure CLI handed out a token that expired at {0}: run `az login` again")]
    StaleToken(DateTime<Utc>),
    #[error("az failed ({status}){}", detail_note(.detail))]
    Failed { status: String, detail: String },
    #[error("az printed output azsecrets cannot read: {0}")]
    Output(String),
    #[error("az did not answer within {0} seconds")]
    Timeout(u64),
}

fn tenant_note(t: &Option<String>) -> String {
    t.as_ref()
        .map(|t| format!(" for tenant {t}"))
        .unwrap_or_default()
}
fn tenant_arg(t: &Option<String>) -> String {
    t.as_ref()
        .map(|t| format!(" --tenant {t}"))
        .unwrap_or_default()
}
fn detail_note(d: &str) -> String {
    if d.is_empty() {
        String::new()
    } else {
        format!(" (az said: {d})")
    }
}

impl From<AzCliError> for AuthError {
    fn from(e: AzCliError) -> Self {
        AuthError::Failed {
            source_name: NAME,
            message: e.to_string(),
        }
    }
}

/// `az account get-access-token --output json`, any version (contract 12).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzToken {
    access_token: SecretString,
    /// "%Y-%m-%d %H:%M:%S.%f", local time, no zone (all versions).
    #[serde(default)]
    expires_on: Option<String>,
    /// POSIX seconds (2.54.0+). Preferred: no time-zone guesswork.
    #[serde(default, rename = "expires_on")]
    expires_on_epoch: Option<serde_json::Value>,
    #[serde(default)]
    tenant: Option<String>,
    // `subscription` is omitted with --tenant and `tokenType` is always Bearer: not needed.
}

/// What one az run produced.
pub struct AzAnswer {
    pub token: SecretString,
    pub expires_at: DateTime<Utc>,
    pub tenant: Option<String>,
}

/// Parse az's stdout. `local` is the zone `expiresOn` is written in (the machine's, in
/// production; a fixed one in tests).
pub fn parse_output<Tz: TimeZone>(stdout: &[u8], local: &Tz) -> Result<AzAnswer, AzCliError> {
    let t: AzToken =
        serde_json::from_slice(stdout).map_err(|e| AzCliError::Output(e.to_string()))?;
    let epoch = t.expires_on_epoch.as_ref().and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let expires_at = match epoch.and_then(|s| DateTime::<Utc>::from_timestamp(s, 0)) {
        Some(t) => t,
        None => {
            let s = t.expires_on.as_deref().ok_or_else(|| {
                AzCliError::Output("neither expires_on nor expiresOn is present".into())
            })?;
            parse_local(s, local)?
        }
    };
    Ok(AzAnswer {
        token: t.access_token,
        expires_at,
        tenant: t.tenant,
    })
}

/// `2023-10-31 21:59:10.000000` in `local`. At a DST fold the earlier instant is taken (the
/// token is refreshed a little early rather than used a little late); in a gap, the moment
/// after it.
fn parse_local<Tz: TimeZone>(s: &str, local: &Tz) -> Result<DateTime<Utc>, AzCliError> {
    let naive = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
    .ok_or_else(|| AzCliError::Output(format!("expiresOn '{s}' is not a date and time")))?;
    local
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            local
                .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| AzCliError::Output(format!("expiresOn '{s}' does not exist locally")))
}

/// `az` (or `az.cmd` on Windows) on `PATH`.
pub fn find_az() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let names: &[&str] = if cfg!(windows) {
        &["az.cmd", "az.bat", "az.exe"]
    } else {
        &["az"]
    };
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

pub struct AzureCli {
    program: PathBuf,
    tenant: Option<String>,
    resource: AzResource,
    timeout: Option<Duration>,
    held: Mutex<Option<Held>>,
    /// Tokens for other resources (or tenants).
    others: HeldByRequest,
    /// The tenant az reported with the last Graph token.
    seen_tenant: std::sync::Mutex<Option<String>>,
}

impl AzureCli {
    /// az from `PATH`, or [`AzCliError::NotInstalled`].
    pub fn from_path(tenant: Option<String>, endpoints: &Endpoints) -> Result<Self, AzCliError> {
        let program = find_az().ok_or(AzCliError::NotInstalled)?;
        Ok(Self::with_program(program, tenant, endpoints))
    }

    pub fn with_program(
        program: impl Into<PathBuf>,
        tenant: Option<String>,
        endpoints: &Endpoints,
    ) -> Self {
        Self {
            program: program.into(),
            // `organizations` is not a tenant az can be "signed in to": let az pick its default.
            tenant: tenant
                .filter(|t| !super::token_endpoint::is_multi_tenant_alias(t) && !t.is_empty()),
            resource: AzResource::for_endpoints(endpoints),
            timeout: Some(DEFAULT_TIMEOUT),
            held: Mutex::new(None),
            others: HeldByRequest::default(),
            seen_tenant: std::sync::Mutex::new(None),
        }
    }

    /// How long az may take (`None`: no limit; for tests on a paused clock, where the runtime
    /// would otherwise jump straight to the deadline while az runs).
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The tenant az's last token belongs to.
    pub fn tenant_id(&self) -> Option<String> {
        self.seen_tenant.lock().ok().and_then(|t| t.clone())
    }

    /// The arguments for a Graph token: never a token, never a secret.
    pub fn args(&self) -> Vec<String> {
        build_args(&self.resource, self.tenant.as_deref())
    }

    /// The arguments for another resource: `--resource` as the request names it (no slash is
    /// added: Key Vault refuses a token for `https://vault.azure.net/`), and the request's tenant
    /// or else the configured one.
    pub fn args_for(&self, request: &TokenRequest) -> Result<Vec<String>, AzCliError> {
        let tenant = match request.tenant.as_deref() {
            // It may come from a server's challenge: it goes onto az's command line, so it must
            // be a tenant and never read as an option.
            Some(t) if !super::token_endpoint::valid_tenant(t) => {
                return Err(AzCliError::Output(format!("'{t}' is not a tenant")));
            }
            Some(t) => Some(t),
            None => self.tenant.as_deref(),
        };
        Ok(build_args(
            &AzResource::Resource(request.resource.id().to_owned()),
            tenant,
        ))
    }

    /// Run az once for a Graph token and remember the tenant it reports.
    async fn fetch(&self) -> Result<Held, AzCliError> {
        let (held, tenant) = self.run(self.args(), self.tenant.as_deref()).await?;
        if let Ok(mut t) = self.seen_tenant.lock() {
            t.clone_from(&tenant);
        }
        Ok(held)
    }

    async fn fetch_for(&self, request: &TokenRequest) -> Result<Held, AzCliError> {
        let args = self.args_for(request)?;
        let wanted = request.tenant.as_deref().or(self.tenant.as_deref());
        let (held, _) = self.run(args, wanted).await?;
        tracing::info!(resource = %request.resource.id(), "Azure CLI token obtained for another resource");
        Ok(held)
    }

    /// Run az once and check what it returned: the token and the tenant az reported.
    async fn run(
        &self,
        args: Vec<String>,
        wanted_tenant: Option<&str>,
    ) -> Result<(Held, Option<String>), AzCliError> {
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // If we give up (timeout, dropped future), do not leave az running.
            .kill_on_drop(true);
        let run = async {
            let mut attempt = 0;
            loop {
                match cmd.output().await {
                    // "Text file busy": az was being replaced (an upgrade) or, in tests, another
                    // thread's fork still held the freshly written script open. Try again.
                    Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && attempt < 5 => {
                        attempt += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    other => break other,
                }
            }
        };
        let out = match self.timeout {
            Some(limit) => tokio::time::timeout(limit, run)
                .await
                .map_err(|_| AzCliError::Timeout(limit.as_secs()))?,
            None => run.await,
        };
        let mut out = match out {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AzCliError::NotInstalled);
            }
            Err(e) => {
                return Err(AzCliError::Failed {
                    status: "could not start".into(),
                    detail: e.to_string(),
                });
            }
        };
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            out.stdout.zeroize();
            return Err(classify_failure(
                out.status,
                &stderr,
                wanted_tenant.map(str::to_owned),
            ));
        }
        let parsed = parse_output(&out.stdout, &chrono::Local);
        out.stdout.zeroize();
        let answer = parsed?;
        if let (Some(wanted), Some(actual)) = (wanted_tenant, &answer.tenant)
            && crate::ids::is_guid(wanted)
            && !wanted.eq_ignore_ascii_case(actual)
        {
            return Err(AzCliError::WrongTenant {
                wanted: wanted.to_owned(),
                actual: actual.clone(),
            });
        }
        let now = Utc::now();
        if answer.expires_at <= now {
            return Err(AzCliError::StaleToken(answer.expires_at));
        }
        tracing::info!(
            tenant = answer.tenant.as_deref().unwrap_or(""),
            expires_at = %answer.expires_at,
            "Azure CLI token obtained"
        );
        Ok((Held::until(answer.token, answer.expires_at), answer.tenant))
    }
}

fn build_args(resource: &AzResource, tenant: Option<&str>) -> Vec<String> {
    let mut a: Vec<String> = vec!["account".into(), "get-access-token".into()];
    match resource {
        AzResource::MsGraph => a.extend(["--resource-type".into(), "ms-graph".into()]),
        AzResource::Resource(r) => a.extend(["--resource".into(), r.clone()]),
    }
    if let Some(t) = tenant {
        a.extend(["--tenant".into(), t.to_owned()]);
    }
    a.extend(["--output".into(), "json".into()]);
    a
}

fn classify_failure(
    status: std::process::ExitStatus,
    stderr: &str,
    tenant: Option<String>,
) -> AzCliError {
    // AADSTS messages run on with trace and correlation ids: noise for the reader.
    let first = first_line(stderr.trim_start_matches("ERROR: "), 300);
    let detail = match first.find(" Trace ID:") {
        Some(i) => first[..i].to_owned(),
        None => first,
    };
    let lower = stderr.to_ascii_lowercase();
    // az's refusals all end with advice to run `az login`; AADSTS700082 / 70043 mean the
    // refresh token behind az's session expired.
    if lower.contains("aadsts700082")
        || lower.contains("aadsts70043")
        || (lower.contains("az login") && lower.contains("expired"))
    {
        AzCliError::SessionExpired { tenant, detail }
    } else if lower.contains("az login") {
        AzCliError::NotSignedIn { tenant, detail }
    } else {
        AzCliError::Failed {
            status: status
                .code()
                .map(|c| format!("exit code {c}"))
                .unwrap_or_else(|| "killed by a signal".into()),
            detail,
        }
    }
}

impl TokenSource for AzureCli {
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        // az hiccupping (timeout, crash) while the old token still works is a passing reason.
        Box::pin(crate::auth::held_or_fetch(
            &self.held,
            force_refresh,
            || self.fetch(),
            |e| matches!(e, AzCliError::Timeout(_) | AzCliError::Failed { .. }),
        ))
    }

    fn token_for<'a>(
        &'a self,
        request: &'a TokenRequest,
        force_refresh: bool,
    ) -> BoxFuture<'a, Result<AccessToken, AuthError>> {
        let own_tenant = match (&request.tenant, &self.tenant) {
            (None, _) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (Some(_), None) => false,
        };
        if request.resource.kind() == ResourceKind::Graph && own_tenant {
            return self.token(force_refresh);
        }
        Box::pin(async move {
            let slot = self.others.slot(request);
            crate::auth::held_or_fetch(
                &slot,
                force_refresh,
                || self.fetch_for(request),
                |e| matches!(e, AzCliError::Timeout(_) | AzCliError::Failed { .. }),
            )
            .await
        })
    }

    fn kind(&self) -> SourceKind {
        SourceKind::AzureCli
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;
    use secrecy::ExposeSecret;

    #[test]
    fn prefers_epoch_expires_on() {
        let out = br#"{"accessToken":"eyJ0","expiresOn":"2023-10-31 21:59:10.000000","expires_on":1698760750,"subscription":"00000000-0000-0000-0000-000000000000","tenant":"11111111-1111-1111-1111-111111111111","tokenType":"Bearer"}"#;
        // A zone that would give a different answer for expiresOn: the epoch must win.
        let zone = FixedOffset::east_opt(5 * 3600).unwrap();
        let a = parse_output(out, &zone).unwrap();
        assert_eq!(a.expires_at.timestamp(), 1698760750);
        assert_eq!(a.token.expose_secret(), "eyJ0");
        assert_eq!(
            a.tenant.as_deref(),
            Some("11111111-1111-1111-1111-111111111111")
        );
    }

    #[test]
    fn old_output_uses_local_expires_on_without_zone() {
        // Azure CLI < 2.54: no expires_on; with --tenant: no subscription.
        let out = br#"{"accessToken":"eyJ0","expiresOn":"2023-10-31 21:59:10.000000","tenant":"t","tokenType":"Bearer"}"#;
        let zone = FixedOffset::west_opt(7 * 3600).unwrap();
        let a = parse_output(out, &zone).unwrap();
        assert_eq!(a.expires_at.to_rfc3339(), "2023-11-01T04:59:10+00:00");
        let utc = parse_output(out, &Utc).unwrap();
        assert_eq!(utc.expires_at.to_rfc3339(), "2023-10-31T21:59:10+00:00");
    }

    #[test]
    fn epoch_as_string_and_garbage() {
        let a = parse_output(br#"{"accessToken":"x","expires_on":"1698760750"}"#, &Utc).unwrap();
        assert_eq!(a.expires_at.timestamp(), 1698760750);
        assert!(matches!(
            parse_output(br#"{"accessToken":"x"}"#, &Utc),
            Err(AzCliError::Output(_))
        ));
        assert!(matches!(
            parse_output(br#"{"accessToken":"x","expiresOn":"soon"}"#, &Utc),
            Err(AzCliError::Output(_))
        ));
        let e = parse_output(b"not json {\"accessToken\":\"leak\"", &Utc)
            .err()
            .unwrap();
        assert!(!e.to_string().contains("leak"));
    }

    #[test]
    fn arguments_per_cloud_and_tenant() {
        let public = AzureCli::with_program(
            "az",
            Some("contoso.com".into()),
            &Endpoints::for_cloud(Cloud::Public),
        );
        assert_eq!(
            public.args().join(" "),
            "account get-access-token --resource-type ms-graph --tenant contoso.com --output json"
        );
        let gov = AzureCli::with_program(
            "az",
            Some("organizations".into()),
            &Endpoints::for_cloud(Cloud::Usgov),
        );
        assert_eq!(
            gov.args().join(" "),
            "account get-access-token --resource https://graph.microsoft.us/ --output json"
        );
    }

    #[test]
    fn messages_name_the_fix() {
        let e = AzCliError::NotSignedIn {
            tenant: Some("t".into()),
            detail: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "the Azure CLI is not signed in for tenant t: run `az login --tenant t`"
        );
        let e = AzCliError::WrongTenant {
            wanted: "a".into(),
            actual: "b".into(),
        };
        assert!(e.to_string().contains("az login --tenant a"));
    }
}
