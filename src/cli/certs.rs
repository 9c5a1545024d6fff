//! `azsecrets certs list|add|create|remove`: the scripting twin of the Certificates tab.
//!
//! Every change goes through the one certificate transaction (`crate::keycreds`: read with
//! keys, compare, re-read, PATCH the whole set, verify), so no other certificate is lost and a
//! change made meanwhile stops it with nothing sent. `add` refuses a file with a private key or
//! a PFX before signing in; `create` checks the output paths (the `.env` writer's rules) and the
//! `--to-vault` vault (the secret hand-off's checks) before anything is made, writes the key and
//! certificate (0600, atomically) and/or stores them in the vault as one PEM secret, then
//! uploads only the public part (`crate::keycreds::create_self_signed`). The private key is
//! never printed, logged or put in JSON.

use std::io::Write;

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

use crate::certs::{self, CertInfo, KeyAlgorithm};
use crate::destination::VaultTarget;
use crate::expiry::{self, Lifetime, Status};
use crate::graph::{AppRegistration, Certificate, GraphClient, SecretId, is_guid};
use crate::handoff;
use crate::keycreds::{
    self, CertChangeError, Change, Changed, CreateError, Kept, NewCertificate, SelfSignedPlan,
    VaultAccess,
};
use crate::policy::PolicyView;
use crate::session::{Session, SessionConfig};

use super::args::KeyIdPrefix;
use super::output::{self, Col, note, quote};
use super::resolve;
use super::{CertsCommand, CliError, ExitCode, OutputFormat, Settings};

pub async fn run(
    cmd: CertsCommand,
    session: &SessionConfig,
    settings: Settings,
) -> Result<ExitCode, CliError> {
    match cmd {
        CertsCommand::List { app, output } => {
            let session = Session::start(session).await?;
            let client = output::observed(session.client.clone());
            list(&client, &app, output).await
        }
        CertsCommand::Add {
            app,
            file,
            description,
            output,
        } => {
            refuse_read_only(settings)?;
            // Read and checked before signing in: a private key stops here.
            let parsed = certs::read_file(&file).map_err(|e| {
                CliError::usage(format!("--file {}: {e}; nothing was sent", file.display()))
            })?;
            let session = Session::start(session).await?;
            add(&session.client, &app, parsed.leaf, description, output).await
        }
        CertsCommand::Create {
            app,
            key_out,
            cert_out,
            to_vault,
            expires,
            key_type,
            description,
            force,
            output,
        } => {
            refuse_read_only(settings)?;
            let plan = CreatePlan {
                key_out,
                cert_out,
                vault: to_vault.map(|v| *v),
                expires,
                algorithm: key_type,
                description,
                force,
                output,
            };
            plan.check_paths()?;
            let session = Session::start(session).await?;
            let vaults = VaultAccess::from_session(&session);
            create(&session.client, &vaults, &app, plan).await
        }
        CertsCommand::Remove {
            app,
            key_id,
            yes,
            ignore_missing,
        } => {
            refuse_read_only(settings)?;
            let session = Session::start(session).await?;
            remove(&session.client, &app, &key_id, yes, ignore_missing).await
        }
    }
}

fn refuse_read_only(settings: Settings) -> Result<(), CliError> {
    if settings.read_only {
        Err(CliError::usage(
            "--read-only is set: this command would change the tenant",
        ))
    } else {
        Ok(())
    }
}

/// One row of `certs list --output json` (stable; documented in the README).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertRow {
    pub app_name: String,
    pub app_id: String,
    pub object_id: String,
    pub description: Option<String>,
    pub thumbprint: Option<String>,
    pub certificate_id: String,
    #[serde(rename = "type")]
    pub key_type: Option<String>,
    pub usage: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
    pub days_left: Option<i64>,
    pub status: Option<&'static str>,
}

impl CertRow {
    fn new(app: &AppRegistration, c: &Certificate, now: DateTime<Utc>) -> Self {
        Self {
            app_name: app.display_name.clone(),
            app_id: app.app_id.to_string(),
            object_id: app.id.to_string(),
            description: c.display_name.clone(),
            thumbprint: c.custom_key_identifier.clone(),
            certificate_id: c.key_id.to_string(),
            key_type: c.key_type.clone(),
            usage: c.usage.clone(),
            start_date_time: c.start_date_time.map(|d| d.to_rfc3339()),
            end_date_time: c.end_date_time.map(|d| d.to_rfc3339()),
            days_left: c.end_date_time.map(|d| expiry::days_left(d, now)),
            status: c.end_date_time.map(|d| Status::of(d, now).key()),
        }
    }
}

fn write_out(bytes: &[u8]) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(CliError::output)
}

fn json<T: Serialize + ?Sized>(v: &T) -> Result<(), CliError> {
    let text = crate::sanitize::json_pretty(v)
        .map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))?;
    write_out(format!("{text}\n").as_bytes())
}

async fn list(client: &GraphClient, app: &str, format: OutputFormat) -> Result<ExitCode, CliError> {
    let now = Utc::now();
    let app = resolve::app(client, app).await?;
    let mut rows: Vec<CertRow> = app
        .key_credentials
        .iter()
        .map(|c| CertRow::new(&app, c, now))
        .collect();
    rows.sort_by(|a, b| a.end_date_time.cmp(&b.end_date_time));
    match format {
        OutputFormat::Json => json(&rows)?,
        OutputFormat::Table => {
            let table_rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    let dash = || "-".to_owned();
                    vec![
                        r.description.clone().unwrap_or_else(dash),
                        r.thumbprint.clone().unwrap_or_else(dash),
                        r.start_date_time
                            .as_deref()
                            .map(|d| d.chars().take(10).collect())
                            .unwrap_or_else(dash),
                        r.end_date_time
                            .as_deref()
                            .map(|d| d.chars().take(10).collect())
                            .unwrap_or_else(dash),
                        r.days_left.map(|d| d.to_string()).unwrap_or_else(dash),
                        app.key_credentials
                            .iter()
                            .find(|c| c.key_id.as_str() == r.certificate_id)
                            .and_then(|c| c.end_date_time)
                            .map(|d| Status::of(d, now).label().to_owned())
                            .unwrap_or_else(dash),
                        r.certificate_id.clone(),
                    ]
                })
                .collect();
            let t = output::table(
                &[
                    "DESCRIPTION",
                    "THUMBPRINT",
                    "START",
                    "EXPIRES",
                    "DAYS",
                    "STATUS",
                    "CERTIFICATE ID",
                ],
                &table_rows,
                output::width(),
                &[
                    Col::Name,
                    Col::Id,
                    Col::Fixed,
                    Col::Fixed,
                    Col::Fixed,
                    Col::Fixed,
                    Col::Id,
                ],
            );
            write_out(t.as_bytes())?;
            note(&format!(
                "{} certificate(s) on '{}'",
                rows.len(),
                quote(&app.display_name, 80)
            ));
        }
    }
    Ok(ExitCode::Ok)
}

/// `certs add`/`create --output json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddedJson<'a> {
    app_name: &'a str,
    app_id: &'a str,
    object_id: &'a str,
    certificate_id: &'a str,
    thumbprint: String,
    sha256: String,
    subject: &'a str,
    issuer: &'a str,
    key: String,
    description: Option<&'a str>,
    start_date_time: Option<&'a str>,
    end_date_time: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_file: Option<String>,
    /// `create --to-vault`: the vault secret holding the key and certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    key_vault: Option<VaultJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VaultJson {
    vault: String,
    name: String,
    /// `{vault}/secrets/{name}/{version}`.
    id: String,
    version: Option<String>,
}

/// The longest a certificate credential may be on this app: Graph's year, and the policy's
/// cap when the identity may read it.
async fn certificate_cap(
    client: &GraphClient,
    app: &AppRegistration,
) -> Result<Option<crate::policy::Refusal>, CliError> {
    Ok(match client.policy_view(app).await? {
        PolicyView::Known(e) => e.certificate_max.map(|(max, p)| crate::policy::Refusal {
            max,
            policy: Some(p),
        }),
        PolicyView::Unknown => None,
    })
}

async fn add(
    client: &GraphClient,
    app: &str,
    cert: CertInfo,
    description: Option<String>,
    format: OutputFormat,
) -> Result<ExitCode, CliError> {
    let app = resolve::app(client, app).await?;
    let now = Utc::now().trunc_subsecs(0);
    let Some((start, mut end)) = cert.credential_window(now) else {
        return Err(CliError::usage(format!(
            "the certificate expired on {}; nothing was sent",
            cert.not_after.format("%Y-%m-%d")
        )));
    };
    if let Some(cap) = certificate_cap(client, &app).await?
        && end - start > cap.max
    {
        end = start + cap.max;
        note(&format!(
            "The credential ends {} ({}).",
            end.format("%Y-%m-%d"),
            cap.reason().replacen("longer than", "at most", 1)
        ));
    }
    upload(client, &app, &cert, description, start, end, format).await
}

#[allow(clippy::too_many_arguments)]
async fn upload(
    client: &GraphClient,
    app: &AppRegistration,
    cert: &CertInfo,
    description: Option<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    format: OutputFormat,
) -> Result<ExitCode, CliError> {
    let new = NewCertificate::new(cert, description, start, end);
    let shown: Vec<SecretId> = app
        .key_credentials
        .iter()
        .map(|k| k.key_id.clone())
        .collect();
    let entry = match keycreds::change(client, &app.id, &Change::Add(new), Some(&shown)).await {
        Ok(Changed::Added(e)) => e,
        Ok(other) => {
            return Err(CliError::new(
                ExitCode::Failure,
                format!("unexpected outcome {other:?}"),
            ));
        }
        Err(e) => return Err(change_error(e, None)),
    };
    report(app, cert, &entry, format, None)
}

/// What was added (and, for `create`, where the key went): a table or JSON on stdout.
fn report(
    app: &AppRegistration,
    cert: &CertInfo,
    entry: &crate::graph::KeyCredential,
    format: OutputFormat,
    kept: Option<&Kept>,
) -> Result<ExitCode, CliError> {
    tracing::info!(app = %app.id, certificate_id = %entry.key_id, "certificate added");
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    match format {
        OutputFormat::Json => json(&AddedJson {
            app_name: &app.display_name,
            app_id: app.app_id.as_str(),
            object_id: app.id.as_str(),
            certificate_id: entry.key_id.as_str(),
            thumbprint: cert.thumbprint(),
            sha256: cert.sha256_hex(),
            subject: &cert.subject,
            issuer: &cert.issuer,
            key: cert.key.to_string(),
            description: entry.display_name.as_deref(),
            start_date_time: entry.start_date_time.as_deref(),
            end_date_time: entry.end_date_time.as_deref(),
            key_file: kept.and_then(|k| path(&k.key_out)),
            certificate_file: kept.and_then(|k| path(&k.cert_out)),
            key_vault: kept.and_then(|k| k.vault.as_ref()).map(|v| VaultJson {
                vault: v.vault.to_string(),
                name: v.name.to_string(),
                id: v.id.clone(),
                version: v.version.clone(),
            }),
        })?,
        OutputFormat::Table => {
            let mut lines = vec![
                format!(
                    "Added certificate {} to '{}'.",
                    entry.key_id,
                    quote(&app.display_name, 80)
                ),
                format!("  Subject      {}", quote(&cert.subject, 200)),
                format!("  Thumbprint   {} (SHA-1)", cert.thumbprint()),
                format!("  SHA-256      {}", cert.sha256_hex()),
                format!("  Key          {}", cert.key),
                format!(
                    "  Valid        {} to {}",
                    entry.start_date_time.as_deref().unwrap_or("-"),
                    entry.end_date_time.as_deref().unwrap_or("-")
                ),
            ];
            if let Some(kept) = kept {
                if let Some(k) = &kept.key_out {
                    lines.push(format!(
                        "  Private key  {} (0600; keep it secret)",
                        k.display()
                    ));
                }
                if let Some(c) = &kept.cert_out {
                    lines.push(format!("  Certificate  {}", c.display()));
                }
                if let Some(v) = &kept.vault {
                    lines.push(format!(
                        "  Key vault    {} (key and certificate, PEM)",
                        v.describe()
                    ));
                    lines.push(format!("  Vault secret {}", v.id));
                }
            }
            let mut text = lines.join("\n");
            text.push('\n');
            write_out(text.as_bytes())?;
        }
    }
    Ok(ExitCode::Ok)
}

fn change_error(e: CertChangeError, kept: Option<&Kept>) -> CliError {
    let kept_words = kept.map(|k| format!(" {}", k.after_failure()));
    match e {
        CertChangeError::Graph(g) => {
            let mut err: CliError = g.into();
            if let Some(k) = kept {
                err.message.push_str(&format!(". {}", k.after_failure()));
            }
            err
        }
        CertChangeError::ChangedMeanwhile { .. } => CliError::new(
            ExitCode::Failure,
            format!("{e}{}", kept_words.unwrap_or_default()),
        )
        .with_advice("Run the command again: it reads the certificates afresh."),
        CertChangeError::Duplicate(_) => CliError::new(
            ExitCode::Failure,
            format!("{e}{}", kept_words.unwrap_or_default()),
        ),
        CertChangeError::Unverified(_) => CliError::new(
            ExitCode::Graph,
            match kept {
                Some(k) => format!("{e}. The key is kept: {}", k.describe()),
                None => e.to_string(),
            },
        )
        .with_advice("Check the app's certificates with `azsecrets certs list --app …`."),
    }
}

struct CreatePlan {
    key_out: Option<std::path::PathBuf>,
    cert_out: Option<std::path::PathBuf>,
    vault: Option<VaultTarget>,
    expires: Lifetime,
    algorithm: KeyAlgorithm,
    description: Option<String>,
    force: bool,
    output: OutputFormat,
}

impl CreatePlan {
    /// Every destination that can be judged offline is checked before signing in.
    fn check_paths(&self) -> Result<(), CliError> {
        if self.vault.is_none() && (self.key_out.is_none() || self.cert_out.is_none()) {
            return Err(CliError::usage(
                "the private key and certificate need somewhere to go: give --key-out PATH and --cert-out PATH, --to-vault VAULT[/NAME] (then both files are optional), or all three; nothing was created",
            ));
        }
        if self.key_out.is_some() && self.key_out == self.cert_out {
            return Err(CliError::usage(
                "--key-out and --cert-out must be different files",
            ));
        }
        for (flag, p) in [("--key-out", &self.key_out), ("--cert-out", &self.cert_out)] {
            let Some(p) = p else { continue };
            handoff::check_private_file(p, self.force).map_err(|e| {
                CliError::usage(format!("{flag}: {e}; nothing was created"))
                    .with_advice("Choose another path, or pass --force to replace a file of yours.")
            })?;
        }
        Ok(())
    }
}

async fn create(
    client: &GraphClient,
    vaults: &VaultAccess,
    app: &str,
    plan: CreatePlan,
) -> Result<ExitCode, CliError> {
    let app = resolve::app(client, app).await?;
    let start = Utc::now().trunc_subsecs(0);
    let end = plan
        .expires
        .end_from(start)
        .map_err(|e| CliError::usage(format!("--expires: {e}")))?;
    let year = certs::max_credential_end(start);
    if end > year {
        return Err(CliError::usage(format!(
            "--expires: Graph keeps a certificate credential at most one year (until {}); nothing was created",
            year.format("%Y-%m-%d")
        )));
    }
    if let Some(cap) = certificate_cap(client, &app).await?
        && end - start > cap.max
    {
        return Err(CliError::usage(format!(
            "--expires: {}; nothing was created",
            cap.reason()
        )));
    }
    let vault_flag = plan.vault.as_ref().map(|v| {
        format!(
            "--to-vault {}",
            keycreds::vault::settle(v, &app.display_name).vault
        )
    });
    let request = SelfSignedPlan {
        app: app.id.clone(),
        app_name: app.display_name.clone(),
        application_id: app.app_id.clone(),
        shown: app
            .key_credentials
            .iter()
            .map(|k| k.key_id.clone())
            .collect(),
        key_out: plan.key_out,
        cert_out: plan.cert_out,
        overwrite: plan.force,
        vault: plan.vault,
        start,
        end,
        algorithm: plan.algorithm,
        description: plan.description,
    };
    // Files and vault first: a certificate in the tenant whose key was never kept would be
    // useless. A refusal before the upload leaves nothing behind.
    match keycreds::create_self_signed(client, vaults, request).await {
        Ok(created) => report(
            &app,
            &created.info,
            &created.entry,
            plan.output,
            Some(&created.kept),
        ),
        Err(CreateError::Plan(e)) => Err(CliError::usage(format!("{e}; nothing was created"))),
        Err(e @ (CreateError::Files(_) | CreateError::Generate(_))) => {
            Err(CliError::new(ExitCode::Failure, e.to_string()))
        }
        Err(CreateError::Vault(e)) => {
            let mut err = CliError::new(
                ExitCode::Failure,
                format!(
                    "{}: {}; nothing was created",
                    vault_flag.as_deref().unwrap_or("--to-vault"),
                    e.reason()
                ),
            );
            if let Some(a) = e.advice() {
                err = err.with_advice(a);
            }
            Err(err)
        }
        Err(CreateError::Upload { error, kept }) => Err(change_error(error, Some(&kept))),
    }
}

async fn remove(
    client: &GraphClient,
    app: &str,
    key_id: &KeyIdPrefix,
    yes: bool,
    ignore_missing: bool,
) -> Result<ExitCode, CliError> {
    let key = key_id.0.clone();
    let app = resolve::app(client, app).await?;
    let found: Vec<&Certificate> = app
        .key_credentials
        .iter()
        .filter(|c| c.key_id.as_str().to_ascii_lowercase().starts_with(&key))
        .collect();
    let cert = match found.as_slice() {
        [one] => *one,
        [] if ignore_missing => {
            note(&format!(
                "'{}' has no certificate whose Certificate ID is or starts with {key}; nothing to do (--ignore-missing).",
                quote(&app.display_name, 80)
            ));
            return Ok(ExitCode::Ok);
        }
        [] => {
            let what = if is_guid(&key) {
                format!("Certificate ID {key}")
            } else {
                format!("a Certificate ID starting with {key}")
            };
            return Err(CliError::new(
                ExitCode::NotFound,
                format!(
                    "no such certificate on this app: '{}' has no certificate with {what}",
                    quote(&app.display_name, 80)
                ),
            )
            .with_advice(
                "Check the Certificate ID with `azsecrets certs list --app …`; --ignore-missing makes a missing one a success.",
            ));
        }
        _ => {
            return Err(CliError::usage(format!(
                "{key} matches several Certificate IDs on '{}': give more characters",
                quote(&app.display_name, 80)
            )));
        }
    };
    if !yes {
        let prompt = format!(
            "Delete certificate {} (thumbprint {}, Certificate ID {}, expires {}) from '{}'?\nApps signing in with it will stop working. Type 'yes' to delete: ",
            cert.display_name
                .as_deref()
                .map(|d| format!("'{}'", quote(d, 80)))
                .unwrap_or_else(|| "(no description)".into()),
            crate::sanitize::clean(cert.custom_key_identifier.as_deref().unwrap_or("-")),
            crate::sanitize::clean(cert.key_id.as_str()),
            cert.end_date_time
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "-".into()),
            quote(&app.display_name, 80)
        );
        if !output::confirm_delete(&prompt)? {
            note("Not deleted.");
            return Ok(ExitCode::Failure);
        }
    }
    let shown: Vec<SecretId> = app
        .key_credentials
        .iter()
        .map(|k| k.key_id.clone())
        .collect();
    match keycreds::change(
        client,
        &app.id,
        &Change::Remove(cert.key_id.clone()),
        Some(&shown),
    )
    .await
    {
        Ok(Changed::AlreadyGone) => note(&format!(
            "Certificate {} was already removed from '{}'.",
            cert.key_id,
            quote(&app.display_name, 80)
        )),
        Ok(_) => note(&format!(
            "Deleted certificate {} from '{}'.",
            cert.key_id,
            quote(&app.display_name, 80)
        )),
        Err(e) => return Err(change_error(e, None)),
    }
    Ok(ExitCode::Ok)
}
