//! `azsecrets federated list|add|remove`: the scripting twin of the Federated credentials tab.
//! `add` builds issuer and subject from one scenario (GitHub Actions, Kubernetes, any issuer),
//! and checks Graph's rules (name, duplicates, the limit of 20, one audience) before sending.

use std::io::Write;

use serde::Serialize;

use crate::federated::{self, GitHubEntity, Scenario};
use crate::graph::{FederatedCredential, GraphClient, RemoveOutcome};
use crate::session::{Session, SessionConfig};

use super::args::FederatedAddArgs;
use super::output::{self, Col, note, quote};
use super::resolve;
use super::{CliError, ExitCode, FederatedCommand, OutputFormat, Settings};

pub async fn run(
    cmd: FederatedCommand,
    session: &SessionConfig,
    settings: Settings,
) -> Result<ExitCode, CliError> {
    match cmd {
        FederatedCommand::List { app, output } => {
            let session = Session::start(session).await?;
            let client = output::observed(session.client.clone());
            list(&client, &app, output).await
        }
        FederatedCommand::Add(args) => {
            refuse_read_only(settings)?;
            let scenario = scenario(&args)?;
            // The scenario's own rules fail before signing in.
            scenario
                .issuer_subject()
                .map_err(|e| CliError::usage(format!("{e}; nothing was sent")))?;
            let session = Session::start(session).await?;
            add(&session.client, &args, &scenario).await
        }
        FederatedCommand::Remove {
            app,
            credential,
            yes,
            ignore_missing,
        } => {
            refuse_read_only(settings)?;
            let session = Session::start(session).await?;
            remove(&session.client, &app, &credential, yes, ignore_missing).await
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

fn scenario(a: &FederatedAddArgs) -> Result<Scenario, CliError> {
    if let Some(repo) = &a.github {
        let entity = if let Some(b) = &a.branch {
            GitHubEntity::Branch(b.clone())
        } else if let Some(e) = &a.environment {
            GitHubEntity::Environment(e.clone())
        } else if let Some(t) = &a.tag {
            GitHubEntity::Tag(t.clone())
        } else if a.pull_request {
            GitHubEntity::PullRequest
        } else {
            return Err(CliError::usage(
                "--github needs one of --branch, --environment, --pull-request or --tag",
            ));
        };
        return Ok(Scenario::GitHub {
            repository: repo.clone(),
            entity,
        });
    }
    let issuer = a.issuer.clone().unwrap_or_default();
    if a.kubernetes {
        return Ok(Scenario::Kubernetes {
            issuer,
            namespace: a.namespace.clone().unwrap_or_default(),
            service_account: a.service_account.clone().unwrap_or_default(),
        });
    }
    match &a.subject {
        Some(s) => Ok(Scenario::Other {
            issuer,
            subject: s.clone(),
        }),
        None => Err(CliError::usage(
            "give a scenario: --github ORG/REPO …, --kubernetes …, or --issuer URL --subject S",
        )),
    }
}

/// One row of `federated list --output json` (stable; documented in the README).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedRow<'a> {
    pub app_name: &'a str,
    pub app_id: &'a str,
    pub object_id: &'a str,
    pub id: &'a str,
    pub name: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub audiences: &'a [String],
    pub description: Option<&'a str>,
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
    let app = resolve::app(client, app).await?;
    let creds = client.federated_credentials(&app.id).await?;
    let rows: Vec<FederatedRow<'_>> = creds
        .iter()
        .map(|c| FederatedRow {
            app_name: &app.display_name,
            app_id: app.app_id.as_str(),
            object_id: app.id.as_str(),
            id: &c.id,
            name: &c.name,
            issuer: &c.issuer,
            subject: &c.subject,
            audiences: &c.audiences,
            description: c.description.as_deref(),
        })
        .collect();
    match format {
        OutputFormat::Json => json(&rows)?,
        OutputFormat::Table => {
            // The subject is what tells credentials apart: it keeps its width before the
            // issuer (shown without its scheme) and the audience (the token-exchange default,
            // in any cloud, as "default") give way.
            let table_rows: Vec<Vec<String>> = creds
                .iter()
                .map(|c| {
                    let audiences: Vec<&str> = c
                        .audiences
                        .iter()
                        .map(|a| crate::federated::audience_label(a))
                        .collect();
                    vec![
                        c.name.clone(),
                        c.subject.clone(),
                        c.issuer
                            .strip_prefix("https://")
                            .unwrap_or(&c.issuer)
                            .to_owned(),
                        audiences.join(", "),
                        c.description.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            let t = output::table(
                &["NAME", "SUBJECT", "ISSUER", "AUDIENCE", "DESCRIPTION"],
                &table_rows,
                output::width(),
                &[Col::Name, Col::Middle, Col::Id, Col::Fixed, Col::Name],
            );
            write_out(t.as_bytes())?;
            note(&format!(
                "{} federated credential(s) on '{}' (audience \"default\": api://AzureADTokenExchange for this cloud; --output json shows every field whole)",
                creds.len(),
                quote(&app.display_name, 80)
            ));
        }
    }
    Ok(ExitCode::Ok)
}

async fn add(
    client: &GraphClient,
    args: &FederatedAddArgs,
    scenario: &Scenario,
) -> Result<ExitCode, CliError> {
    let app = resolve::app(client, &args.app).await?;
    let existing = client.federated_credentials(&app.id).await?;
    let audience = args
        .audience
        .clone()
        .unwrap_or_else(|| federated::default_audience(client.graph_root()).to_owned());
    let name = match &args.name {
        Some(n) => n.clone(),
        None => {
            let (_, subject) = scenario
                .issuer_subject()
                .map_err(|e| CliError::usage(e.to_string()))?;
            federated::suggest_name(&subject)
        }
    };
    let body = federated::build(
        &name,
        scenario,
        &audience,
        args.description.as_deref(),
        &existing,
    )
    .map_err(|e| {
        let flag = match e {
            federated::Invalid::Name | federated::Invalid::DuplicateName(_) => "--name: ",
            _ => "",
        };
        CliError::usage(format!("{flag}{e}; nothing was sent"))
    })?;
    let made = client.create_federated_credential(&app.id, &body).await?;
    tracing::info!(app = %app.id, credential = %made.id, "federated credential added");
    match args.output {
        OutputFormat::Json => json(&row(&app, &made))?,
        OutputFormat::Table => {
            let text = format!(
                "Added federated credential '{}' to '{}'.\n  Issuer    {}\n  Subject   {}\n  Audience  {}\n  Id        {}\n",
                quote(&made.name, 120),
                quote(&app.display_name, 80),
                quote(&made.issuer, 600),
                quote(&made.subject, 600),
                quote(&made.audiences.join(", "), 600),
                made.id
            );
            write_out(text.as_bytes())?;
            note(
                "A new federated credential can take a few minutes before tokens are exchanged for it.",
            );
        }
    }
    Ok(ExitCode::Ok)
}

fn row<'a>(app: &'a crate::graph::AppRegistration, c: &'a FederatedCredential) -> FederatedRow<'a> {
    FederatedRow {
        app_name: &app.display_name,
        app_id: app.app_id.as_str(),
        object_id: app.id.as_str(),
        id: &c.id,
        name: &c.name,
        issuer: &c.issuer,
        subject: &c.subject,
        audiences: &c.audiences,
        description: c.description.as_deref(),
    }
}

async fn remove(
    client: &GraphClient,
    app: &str,
    credential: &str,
    yes: bool,
    ignore_missing: bool,
) -> Result<ExitCode, CliError> {
    let app = resolve::app(client, app).await?;
    let creds = client.federated_credentials(&app.id).await?;
    let needle = credential.trim();
    let found = creds
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(needle))
        .or_else(|| creds.iter().find(|c| c.name == needle));
    let Some(c) = found else {
        if ignore_missing {
            note(&format!(
                "'{}' has no federated credential named or with id '{}'; nothing to do (--ignore-missing).",
                quote(&app.display_name, 80),
                quote(needle, 120)
            ));
            return Ok(ExitCode::Ok);
        }
        return Err(CliError::new(
            ExitCode::NotFound,
            format!(
                "no such federated credential: '{}' has none named or with id '{}'",
                quote(&app.display_name, 80),
                quote(needle, 120)
            ),
        )
        .with_advice("List them with `azsecrets federated list --app …`."));
    };
    if !yes {
        let prompt = format!(
            "Delete federated credential '{}' (subject {}) from '{}'?\nWorkloads exchanging tokens with it will stop signing in. Type 'yes' to delete: ",
            quote(&c.name, 120),
            quote(&c.subject, 200),
            quote(&app.display_name, 80)
        );
        if !output::confirm_delete(&prompt)? {
            note("Not deleted.");
            return Ok(ExitCode::Failure);
        }
    }
    match client.delete_federated_credential(&app.id, &c.id).await? {
        RemoveOutcome::Removed => note(&format!(
            "Deleted federated credential '{}' from '{}'.",
            quote(&c.name, 120),
            quote(&app.display_name, 80)
        )),
        RemoveOutcome::AlreadyGone => note(&format!(
            "Federated credential '{}' was already removed from '{}'.",
            quote(&c.name, 120),
            quote(&app.display_name, 80)
        )),
    }
    Ok(ExitCode::Ok)
}
