//! `azsecrets secrets rotate`: replace a client secret with no window in which nothing works.
//! Add the new secret, hand it to every destination (by default also the key vault secret
//! that holds the old one, found by its `secret-id` tag), check that it signs in when asked,
//! and delete the old secret only with `--delete-old` after a successful check; otherwise keep
//! both and print the command that deletes the old one later.
//!
//! Which secret is old without `--key-id`: the app's only client secret, or, when it has
//! several, the only one that is expired or expires within 30 days (the one the portal flags).
//! Anything else is ambiguous: rotate lists the secrets and asks for `--key-id`, creating
//! nothing.

use chrono::{DateTime, Utc};

use crate::destination::{Clients, Destination, VaultTarget};
use crate::expiry::Lifetime;
use crate::graph::{AppRegistration, ClientSecret, GraphClient, RemoveOutcome, SecretId, is_guid};
use crate::journal::Journal;
use crate::keyvault::VaultRef;

use super::args::KeyIdPrefix;
use super::delivery::{self, Check, Creation, Signals};
use super::output::{note, quote};
use super::resolve;
use super::{CliError, ExitCode, OutputFormat, Settings};

/// The band in which a secret "needs rotating" when the old one is not named.
const DUE_DAYS: i64 = 30;

/// `secrets rotate`, checked.
pub struct RotateRequest {
    pub app: String,
    pub key_id: Option<KeyIdPrefix>,
    pub description: Option<String>,
    pub expires: Lifetime,
    pub to: Vec<Destination>,
    pub vault_search: bool,
    pub verify: bool,
    pub delete_old: bool,
    pub github_variables: bool,
    pub force: bool,
    pub output: OutputFormat,
}

pub async fn run(
    client: &GraphClient,
    journal: &Journal,
    clients: &Clients,
    settings: Settings,
    req: RotateRequest,
) -> Result<ExitCode, CliError> {
    let app = resolve::app(client, &req.app).await?;
    let tenant_id = resolve::tenant_id(client).await?;
    let old = pick_old(&app, req.key_id.as_ref(), Utc::now())?.clone();
    let mut to = req.to;
    if req.vault_search {
        add_tagged_vault(clients, &mut to, &tenant_id, &app, &old.key_id).await;
    }
    if to.is_empty() {
        return Err(CliError::usage(format!(
            "no destination for the new value: give --to (no key vault secret the signed-in identity can read is tagged with the old Secret ID {}); nothing was created",
            old.key_id
        )));
    }
    let description = req
        .description
        .or_else(|| old.description())
        .unwrap_or_default();
    let creation = Creation {
        client,
        journal,
        clients,
        settings,
        app: &app,
        tenant_id: &tenant_id,
        to,
        github_variables: req.github_variables,
        force: req.force,
        output: req.output,
        verify: req.verify,
        replaces: Some(old.key_id.clone()),
    };
    delivery::check_destinations(&creation).await?;
    let request = super::secrets::new_request(&description, req.expires)?;
    note(&format!(
        "Rotating client secret {} of '{}' (Secret ID {}, expires {}).",
        old.description()
            .map(|d| format!("'{}'", quote(&d, 60)))
            .unwrap_or_else(|| "(no description)".into()),
        quote(&app.display_name, 80),
        old.key_id,
        old.end_date_time
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "-".into())
    ));
    let mut signals = Signals::new();
    let created = delivery::create_and_hand_off(&creation, request, &mut signals).await?;

    let later = format!(
        "azsecrets secrets remove --app {} --key-id {} --yes",
        app.app_id, old.key_id
    );
    let mut code = delivery::exit_code(&created);
    let old_deleted = if !req.delete_old {
        None
    } else if !matches!(created.check, Check::Verified(_)) {
        note(
            "--delete-old: the old secret is kept, because the new one was not proven to sign in.",
        );
        Some(false)
    } else if created.interrupted.is_some() {
        Some(false)
    } else {
        match client.remove_password(&app.id, &old.key_id).await {
            Ok(RemoveOutcome::Removed) => {
                note(&format!("✓ Deleted the old client secret {}.", old.key_id));
                Some(true)
            }
            Ok(RemoveOutcome::AlreadyGone) => {
                note(&format!(
                    "The old client secret {} was already gone.",
                    old.key_id
                ));
                Some(true)
            }
            Err(e) => {
                note(&format!(
                    "✗ Deleting the old client secret {} failed: {e}",
                    old.key_id
                ));
                if code == ExitCode::Ok {
                    code = ExitCode::Graph;
                }
                Some(false)
            }
        }
    };
    delivery::receipt(&creation, &created, old_deleted)?;
    if old_deleted != Some(true) {
        note(&format!(
            "Both secrets are kept. Once everything that used the old one has the new value, delete it: {later}"
        ));
    }
    Ok(code)
}

/// The secret to replace: the one `--key-id` names, or the only one that can be meant.
fn pick_old<'a>(
    app: &'a AppRegistration,
    key_id: Option<&KeyIdPrefix>,
    now: DateTime<Utc>,
) -> Result<&'a ClientSecret, CliError> {
    let all = &app.password_credentials;
    let name = quote(&app.display_name, 80);
    if let Some(KeyIdPrefix(key)) = key_id {
        let found: Vec<&ClientSecret> = all
            .iter()
            .filter(|s| s.key_id.as_str().to_ascii_lowercase().starts_with(key))
            .collect();
        return match found.as_slice() {
            [one] => Ok(one),
            [] => {
                let what = if is_guid(key) {
                    format!("Secret ID {key}")
                } else {
                    format!("a Secret ID starting with {key}")
                };
                Err(CliError::new(
                    ExitCode::NotFound,
                    format!("'{name}' has no client secret with {what}; nothing was created"),
                )
                .with_advice("Check the Secret ID with `azsecrets secrets list --app …`."))
            }
            _ => Err(CliError::usage(format!(
                "{key} matches several Secret IDs on '{name}': give more characters; nothing was created"
            ))),
        };
    }
    match all.as_slice() {
        [] => {
            return Err(CliError::new(
                ExitCode::NotFound,
                format!("'{name}' has no client secret to rotate; nothing was created"),
            )
            .with_advice("Add one with `azsecrets secrets add`."));
        }
        [one] => return Ok(one),
        _ => {}
    }
    let due_by = now + chrono::Duration::days(DUE_DAYS);
    let due: Vec<&ClientSecret> = all
        .iter()
        .filter(|s| s.end_date_time.is_some_and(|e| e <= due_by))
        .collect();
    if let [one] = due.as_slice() {
        return Ok(one);
    }
    let mut sorted: Vec<&ClientSecret> = all.iter().collect();
    sorted.sort_by_key(|s| s.end_date_time.unwrap_or(DateTime::<Utc>::MAX_UTC));
    let list = sorted
        .iter()
        .map(|s| {
            format!(
                "{} {} (expires {})",
                s.key_id,
                s.description()
                    .map(|d| format!("'{}'", quote(&d, 40)))
                    .unwrap_or_else(|| "(no description)".into()),
                s.end_date_time
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| "-".into())
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let why = if due.is_empty() {
        format!(
            "none of its {} client secrets is expired or expiring within {DUE_DAYS} days",
            all.len()
        )
    } else {
        format!(
            "{} of its client secrets are expired or expiring within {DUE_DAYS} days",
            due.len()
        )
    };
    Err(CliError::usage(format!(
        "which secret of '{name}' to rotate? {why}: {list}; nothing was created"
    ))
    .with_advice("Name it with --key-id (its Secret ID, or the first 8 or more characters)."))
}

/// When a key vault secret is tagged with the old Secret ID, the new value goes to a new
/// version of it: its vault's `--to keyvault:VAULT` (without a name) takes that name, or it is
/// added as a destination. Searched: the `--to` vaults, the vault last used for this app, then
/// every vault Resource Manager lists (those that cannot be read are passed over).
async fn add_tagged_vault(
    clients: &Clients,
    to: &mut Vec<Destination>,
    tenant_id: &str,
    app: &AppRegistration,
    old: &SecretId,
) {
    let mut candidates: Vec<(VaultRef, Option<url::Url>)> = Vec::new();
    let push = |v: VaultRef, uri: Option<url::Url>, c: &mut Vec<(VaultRef, Option<url::Url>)>| {
        if !c.iter().any(|(x, _)| *x == v) {
            c.push((v, uri));
        }
    };
    for d in to.iter() {
        if let Destination::KeyVault { vault, name: None } = d {
            push(vault.clone(), None, &mut candidates);
        }
    }
    if let Some(v) = clients.last_vault(tenant_id, &app.app_id) {
        push(v, None, &mut candidates);
    }
    let mut found = clients.find_tagged(&candidates, old).await;
    if found.is_none() {
        let listed = clients.vaults().await;
        for p in &listed.problems {
            tracing::info!(problem = %p, "vault listing for rotate");
        }
        let more: Vec<(VaultRef, Option<url::Url>)> = listed
            .vaults
            .into_iter()
            .filter_map(|v| {
                let r: VaultRef = v.name.parse().ok()?;
                Some((r, v.vault_uri))
            })
            .filter(|(r, _)| !candidates.iter().any(|(c, _)| c == r))
            .collect();
        found = clients.find_tagged(&more, old).await;
    }
    let Some(tagged) = found else {
        return;
    };
    // The same vault as a `--to keyvault:` without a name: give it the name found.
    let same = |v: &VaultRef| {
        clients
            .vault_url(&VaultTarget::new(v.clone(), None))
            .is_ok_and(|u| u == tagged.uri)
    };
    let at = to
        .iter()
        .position(|d| matches!(d, Destination::KeyVault { vault, .. } if same(vault)));
    match at {
        Some(i) => {
            if let Destination::KeyVault {
                name: name @ None, ..
            } = &mut to[i]
            {
                *name = Some(tagged.name.clone());
            } else {
                // The user named the secret in that vault: theirs wins.
                return;
            }
        }
        None => {
            // The vault by name when the template gives the same URL, else by its URL.
            let vault = if same(&tagged.vault) {
                tagged.vault.clone()
            } else {
                VaultRef::Url(tagged.uri.clone())
            };
            to.insert(
                0,
                Destination::KeyVault {
                    vault,
                    name: Some(tagged.name.clone()),
                },
            );
        }
    }
    note(&format!(
        "The old secret's value is in key vault {} as {}: the new value goes to a new version of it.",
        tagged.vault, tagged.name
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{ApplicationId, ObjectId};

    fn secret(id: &str, end: DateTime<Utc>) -> ClientSecret {
        ClientSecret {
            key_id: SecretId::new(id),
            display_name: Some(format!("s-{id}")),
            hint: None,
            start_date_time: None,
            end_date_time: Some(end),
            custom_key_identifier: None,
        }
    }

    fn app(secrets: Vec<ClientSecret>) -> AppRegistration {
        AppRegistration {
            id: ObjectId::new("0a1b2c3d-1111-4111-8111-000000000001"),
            app_id: ApplicationId::new("631a96bc-a705-4eda-9f99-fdaf9f54f6a2"),
            display_name: "payments-api".into(),
            created_date_time: None,
            sign_in_audience: None,
            publisher_domain: None,
            password_credentials: secrets,
            key_credentials: vec![],
        }
    }

    #[test]
    fn the_old_secret_is_the_only_one_or_the_only_one_due() {
        let now = Utc::now();
        let soon = now + chrono::Duration::days(10);
        let later = now + chrono::Duration::days(200);
        let a = app(vec![secret("aaaaaaaa-0000-4000-8000-000000000001", later)]);
        assert_eq!(
            pick_old(&a, None, now).unwrap().key_id.as_str(),
            "aaaaaaaa-0000-4000-8000-000000000001"
        );
        let a = app(vec![
            secret("aaaaaaaa-0000-4000-8000-000000000001", later),
            secret("bbbbbbbb-0000-4000-8000-000000000002", soon),
        ]);
        assert_eq!(
            pick_old(&a, None, now).unwrap().key_id.as_str(),
            "bbbbbbbb-0000-4000-8000-000000000002"
        );
        let a = app(vec![
            secret("aaaaaaaa-0000-4000-8000-000000000001", later),
            secret("bbbbbbbb-0000-4000-8000-000000000002", later),
        ]);
        let e = pick_old(&a, None, now).unwrap_err();
        assert_eq!(e.code, ExitCode::Usage);
        assert!(
            e.message.contains("aaaaaaaa-0000") && e.message.contains("bbbbbbbb-0000"),
            "{}",
            e.message
        );
        let a = app(vec![
            secret("aaaaaaaa-0000-4000-8000-000000000001", soon),
            secret(
                "bbbbbbbb-0000-4000-8000-000000000002",
                now - chrono::Duration::days(3),
            ),
        ]);
        assert!(pick_old(&a, None, now).is_err(), "two are due: ambiguous");
        let k = KeyIdPrefix("bbbbbbbb".into());
        assert_eq!(
            pick_old(&a, Some(&k), now).unwrap().key_id.as_str(),
            "bbbbbbbb-0000-4000-8000-000000000002"
        );
        let k = KeyIdPrefix("cccccccc".into());
        assert_eq!(
            pick_old(&a, Some(&k), now).unwrap_err().code,
            ExitCode::NotFound
        );
        assert_eq!(
            pick_old(&app(vec![]), None, now).unwrap_err().code,
            ExitCode::NotFound
        );
    }
}
