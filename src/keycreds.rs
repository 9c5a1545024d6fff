//! Adding and removing a certificate: the one transaction both front-ends use. Graph has no
//! action for it that works without a proof token signed by an existing certificate, so it is
//! `PATCH /applications/{id}` with the whole `keyCredentials` set, which Graph replaces, with no
//! ETag (research 14 §1.2). So no other certificate is ever lost:
//!
//! 1. read the set with its keys (`$select=keyCredentials`);
//! 2. if the caller says which certificates it showed the user, and the set differs, stop;
//! 3. build the new set: every entry read, unchanged, plus the new one (or minus the removed);
//! 4. read the set again just before the PATCH; if it differs from step 1, stop: nothing sent;
//! 5. PATCH;
//! 6. read the set back and check it is exactly the set sent.
//!
//! A new self-signed certificate ([`create_self_signed`]) keeps its key in files and/or a key
//! vault ([`vault`]) before its public part goes up. Knows no terminal.

use chrono::{DateTime, SecondsFormat, Utc};

use std::path::PathBuf;

use crate::certs::{CertInfo, SelfSigned};
use crate::destination::{SendError, VaultTarget};
use crate::graph::{GraphClient, GraphError, KeyCredential, ObjectId, SecretId};
use crate::ids::ApplicationId;

pub mod vault;

pub use vault::{KeyAbout, StoredKey, VaultAccess};

/// A certificate to add: its public part and the credential's dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCertificate {
    pub key_id: SecretId,
    /// Base64 (standard alphabet) of the DER.
    pub key: String,
    pub thumbprint: String,
    /// The description shown in the portal; `None` lets Graph take the subject.
    pub display_name: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl NewCertificate {
    pub fn new(
        cert: &CertInfo,
        description: Option<String>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Self {
        Self {
            key_id: SecretId::new(uuid::Uuid::new_v4().to_string()),
            key: cert.key_base64(),
            thumbprint: cert.thumbprint(),
            display_name: description.filter(|d| !d.trim().is_empty()),
            start,
            end,
        }
    }

    fn to_wire(&self) -> KeyCredential {
        let t = |d: DateTime<Utc>| Some(d.to_rfc3339_opts(SecondsFormat::Secs, true));
        KeyCredential {
            // Left out: Graph fills the thumbprint (research 14 §1.4).
            custom_key_identifier: None,
            display_name: self.display_name.clone(),
            end_date_time: t(self.end),
            key: Some(self.key.clone()),
            key_id: self.key_id.clone(),
            start_date_time: t(self.start),
            key_type: Some("AsymmetricX509Cert".into()),
            usage: Some("Verify".into()),
        }
    }
}

/// What to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Add(NewCertificate),
    Remove(SecretId),
}

/// How it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changed {
    /// The set now holds the new certificate (its entry as Graph reads it back).
    Added(KeyCredential),
    Removed,
    /// The certificate to remove was not there (any more).
    AlreadyGone,
}

#[derive(Debug, thiserror::Error)]
pub enum CertChangeError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// Someone changed the app's certificates since they were read; nothing was sent.
    #[error(
        "the app's certificates changed since they were read ({before} then, {now} now); nothing was sent, so no certificate was lost: read them again and retry"
    )]
    ChangedMeanwhile { before: usize, now: usize },
    /// The certificate is already on the app.
    #[error("this certificate (thumbprint {0}) is already on the app; nothing was sent")]
    Duplicate(String),
    /// The PATCH was accepted but the set read back is not the set sent.
    #[error(
        "Graph accepted the change, but the certificates read back differ from those sent: {0}"
    )]
    Unverified(String),
}

/// Sorted by keyId, to compare sets whatever order Graph lists them in.
fn sorted(mut v: Vec<KeyCredential>) -> Vec<KeyCredential> {
    v.sort_by(|a, b| {
        a.key_id
            .as_str()
            .to_ascii_lowercase()
            .cmp(&b.key_id.as_str().to_ascii_lowercase())
    });
    v
}

fn ids(v: &[KeyCredential]) -> Vec<String> {
    let mut ids: Vec<String> = v
        .iter()
        .map(|k| k.key_id.as_str().to_ascii_lowercase())
        .collect();
    ids.sort();
    ids
}

/// Run the transaction (see the module docs). `shown`: the certificate ids the user saw when
/// choosing, if any; a set that differs from it stops before anything is sent.
pub async fn change(
    client: &GraphClient,
    app: &ObjectId,
    change: &Change,
    shown: Option<&[SecretId]>,
) -> Result<Changed, CertChangeError> {
    let before = sorted(client.key_credentials(app).await?);
    if let Some(shown) = shown {
        let mut seen: Vec<String> = shown
            .iter()
            .map(|s| s.as_str().to_ascii_lowercase())
            .collect();
        seen.sort();
        if seen != ids(&before) {
            return Err(CertChangeError::ChangedMeanwhile {
                before: seen.len(),
                now: before.len(),
            });
        }
    }
    let desired = match change {
        Change::Add(new) => {
            if before.iter().any(|k| {
                k.custom_key_identifier
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(&new.thumbprint))
            }) {
                return Err(CertChangeError::Duplicate(new.thumbprint.clone()));
            }
            let mut d = before.clone();
            d.push(new.to_wire());
            d
        }
        Change::Remove(id) => {
            let d: Vec<KeyCredential> = before
                .iter()
                .filter(|k| !k.key_id.as_str().eq_ignore_ascii_case(id.as_str()))
                .cloned()
                .collect();
            if d.len() == before.len() {
                return Ok(Changed::AlreadyGone);
            }
            d
        }
    };
    // The last look before the write: Graph has no ETag, so this is the guard.
    let fresh = sorted(client.key_credentials(app).await?);
    if fresh != before {
        tracing::warn!(%app, before = before.len(), now = fresh.len(), "certificates changed between reads; nothing sent");
        return Err(CertChangeError::ChangedMeanwhile {
            before: before.len(),
            now: fresh.len(),
        });
    }
    client.patch_key_credentials(app, &desired).await?;
    let after = sorted(client.key_credentials(app).await?);
    if ids(&after) != ids(&desired) {
        return Err(CertChangeError::Unverified(format!(
            "sent {} certificate(s), read back {}",
            desired.len(),
            after.len()
        )));
    }
    // Every entry that was there must come back as it was: nothing of another certificate
    // may have changed.
    for old in &before {
        let kept = after.iter().find(|k| k.key_id == old.key_id);
        if let (Change::Add(_), Some(k)) = (change, kept)
            && (k.key != old.key || k.end_date_time != old.end_date_time)
        {
            return Err(CertChangeError::Unverified(format!(
                "certificate {} came back changed",
                old.key_id
            )));
        }
    }
    tracing::info!(%app, count = after.len(), "certificates changed and verified");
    match change {
        Change::Add(new) => {
            let entry = after
                .into_iter()
                .find(|k| k.key_id.as_str().eq_ignore_ascii_case(new.key_id.as_str()))
                .ok_or_else(|| {
                    CertChangeError::Unverified("the new certificate is missing".into())
                })?;
            if entry.key.as_deref().map(strip_ws) != Some(strip_ws(&new.key)) {
                return Err(CertChangeError::Unverified(
                    "the new certificate's key came back different".into(),
                ));
            }
            Ok(Changed::Added(entry))
        }
        Change::Remove(_) => Ok(Changed::Removed),
    }
}

fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A new self-signed certificate for an app, as the dialog or the command asks for it.
#[derive(Clone, Debug)]
pub struct SelfSignedPlan {
    pub app: ObjectId,
    pub app_name: String,
    pub application_id: ApplicationId,
    /// The certificate ids the user saw (a change meanwhile stops it).
    pub shown: Vec<SecretId>,
    /// Where the private key goes as a PEM file (0600), if anywhere.
    pub key_out: Option<PathBuf>,
    /// Where the certificate goes as a PEM file, if anywhere.
    pub cert_out: Option<PathBuf>,
    pub overwrite: bool,
    /// The key vault that gets the key and certificate as one secret, if any.
    pub vault: Option<VaultTarget>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub algorithm: crate::certs::KeyAlgorithm,
    pub description: Option<String>,
}

impl SelfSignedPlan {
    /// Somewhere to keep the private key, and two different files.
    pub fn check_destinations(&self) -> Result<(), PlanError> {
        if self.key_out.is_none() && self.vault.is_none() {
            return Err(PlanError::NoKeyDestination);
        }
        if self.key_out.is_some() && self.key_out == self.cert_out {
            return Err(PlanError::SameFile);
        }
        Ok(())
    }
}

/// A plan that cannot work, whatever the tenant says.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the private key needs somewhere to go: a key file or a key vault")]
    NoKeyDestination,
    #[error("the key and the certificate need two different files")]
    SameFile,
}

/// Where the private key and certificate are, whatever became of the upload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kept {
    pub key_out: Option<PathBuf>,
    pub cert_out: Option<PathBuf>,
    pub vault: Option<StoredKey>,
}

impl Kept {
    /// Where they went, in a few words (`private key: k (0600); certificate: c; key and
    /// certificate: stored in key vault …`).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(k) = &self.key_out {
            parts.push(format!("private key {} (0600)", k.display()));
        }
        if let Some(c) = &self.cert_out {
            parts.push(format!("certificate {}", c.display()));
        }
        if let Some(v) = &self.vault {
            parts.push(format!("key and certificate {}", v.describe()));
        }
        parts.join("; ")
    }

    /// After a failed upload: what exists and how to remove it or use it later.
    pub fn after_failure(&self) -> String {
        let mut s = format!(
            "Nothing was added to the app, but these exist: {}.",
            self.describe()
        );
        let files: Vec<String> = [&self.key_out, &self.cert_out]
            .into_iter()
            .flatten()
            .map(|p| p.display().to_string())
            .collect();
        if !files.is_empty() {
            s.push_str(&format!(" Remove the files with `rm {}`", files.join(" ")));
            if let Some(c) = &self.cert_out {
                s.push_str(&format!(
                    ", or upload the certificate later with `azsecrets certs add --file {}`",
                    c.display()
                ));
            }
            s.push('.');
        }
        if let Some(v) = &self.vault {
            s.push_str(&format!(
                " Take the vault secret's version out of use with `{}`.",
                v.removal()
            ));
        }
        s
    }
}

/// A self-signed certificate made, kept and uploaded. Only its public part is here.
#[derive(Clone, Debug)]
pub struct Created {
    pub entry: KeyCredential,
    pub info: CertInfo,
    pub kept: Box<Kept>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("{0}; nothing was created")]
    Plan(PlanError),
    /// A destination refused before anything was made or sent.
    #[error("{0}; nothing was created")]
    Files(crate::handoff::HandoffError),
    /// The vault would not take the key (checked, or refused when storing): nothing remains.
    #[error("{0}; nothing was created")]
    Vault(Box<SendError>),
    #[error("{0}; nothing was created")]
    Generate(crate::certs::CertError),
    /// The key was kept, but the upload did not happen (or its outcome is unknown).
    #[error("{error} ({})", .kept.after_failure())]
    Upload {
        error: CertChangeError,
        kept: Box<Kept>,
    },
}

/// Check the destinations (both paths by the `.env` writer's rules, the vault by the secret
/// hand-off's checks), make the certificate, write the files (0600, atomic), store the key and
/// certificate in the vault, then upload the public part through [`change`]. A refusal before
/// the upload takes back what this run wrote, so nothing remains; after it, [`Kept`] says
/// what exists. The private key lives only in wiped buffers on its way.
pub async fn create_self_signed(
    client: &GraphClient,
    vaults: &VaultAccess,
    plan: SelfSignedPlan,
) -> Result<Created, CreateError> {
    plan.check_destinations().map_err(CreateError::Plan)?;
    let p = plan.clone();
    tokio::task::spawn_blocking(move || {
        for path in [&p.key_out, &p.cert_out].into_iter().flatten() {
            crate::handoff::check_private_file(path, p.overwrite)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| CreateError::Generate(crate::certs::CertError::Generate(e.to_string())))?
    .map_err(CreateError::Files)?;
    if let Some(v) = &plan.vault {
        vaults
            .check(v, &plan.app_name)
            .await
            .map_err(|e| CreateError::Vault(Box::new(e)))?;
    }
    let p = plan.clone();
    let made = tokio::task::spawn_blocking(move || -> Result<SelfSigned, CreateError> {
        let cn = crate::certs::common_name(&p.app_name);
        let made = crate::certs::self_signed(
            &cn,
            p.start - chrono::Duration::minutes(10),
            p.end,
            p.algorithm,
        )
        .map_err(CreateError::Generate)?;
        write_files(&p, &made).map_err(CreateError::Files)?;
        Ok(made)
    })
    .await
    .map_err(|e| CreateError::Generate(crate::certs::CertError::Generate(e.to_string())))??;
    let new = NewCertificate::new(&made.info, plan.description.clone(), plan.start, plan.end);
    let mut kept = Kept {
        key_out: plan.key_out.clone(),
        cert_out: plan.cert_out.clone(),
        vault: None,
    };
    if let Some(v) = &plan.vault {
        let about = KeyAbout {
            app_name: plan.app_name.clone(),
            application_id: plan.application_id.clone(),
            certificate_id: new.key_id.clone(),
        };
        match vaults.store(v, &made, &about).await {
            Ok(stored) => kept.vault = Some(stored),
            Err(e) => {
                // Refused: the files alone would be a key for a certificate nobody asked for.
                remove_files(&plan);
                return Err(CreateError::Vault(Box::new(e)));
            }
        }
    }
    let info = made.info.clone();
    drop(made);
    match change(client, &plan.app, &Change::Add(new), Some(&plan.shown)).await {
        Ok(Changed::Added(entry)) => Ok(Created {
            entry,
            info,
            kept: Box::new(kept),
        }),
        Ok(_) => Err(CreateError::Upload {
            error: CertChangeError::Unverified("the new certificate is missing".into()),
            kept: Box::new(kept),
        }),
        Err(error) => Err(CreateError::Upload {
            error,
            kept: Box::new(kept),
        }),
    }
}

fn write_files(p: &SelfSignedPlan, made: &SelfSigned) -> Result<(), crate::handoff::HandoffError> {
    if let Some(k) = &p.key_out {
        crate::handoff::write_private_file(k, made.key_pem().as_bytes(), p.overwrite)?;
    }
    if let Some(c) = &p.cert_out
        && let Err(e) = crate::handoff::write_private_file(c, made.cert_pem.as_bytes(), p.overwrite)
    {
        // The key alone is of no use: take it back.
        if let Some(k) = &p.key_out {
            let _ = std::fs::remove_file(k);
        }
        return Err(e);
    }
    Ok(())
}

fn remove_files(p: &SelfSignedPlan) {
    for path in [&p.key_out, &p.cert_out].into_iter().flatten() {
        if let Err(e) = std::fs::remove_file(path) {
            tracing::warn!(path = %path.display(), error = %e, "could not take back a file");
        }
    }
}
