//! The tenants the signed-in account can switch to (docs/contract.md §11): Azure Resource
//! Manager's `GET /tenants` (every tenant of the account, subscriptions or not), or, when that
//! cannot be had and the sign-in is the Azure CLI's, the distinct `tenantId`s of
//! `az account list` (which misses tenants without subscriptions unless `az login` was run with
//! `--allow-no-subscriptions`; the picker says so). Knows no terminal.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::arm::{ArmClient, ArmError};

/// A tenant to switch to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantChoice {
    pub id: String,
    pub name: Option<String>,
    pub domain: Option<String>,
    /// ARM's `tenantCategory` (`Home`, `ProjectedBy`, `ManagedBy`), when ARM said.
    pub category: Option<String>,
}

/// Where the list came from, for the picker's note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantSource {
    ResourceManager,
    /// `az account list`: tenants without a subscription may be missing.
    AzureCli,
}

/// The tenants, and where they came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenants {
    pub tenants: Vec<TenantChoice>,
    pub source: TenantSource,
}

/// Why a switch to another tenant did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    /// This sign-in cannot be used for another tenant (a ready token).
    #[error("{0}")]
    NotPossible(String),
    /// The other tenant refused the sign-in or Graph's first answer failed.
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
}

#[derive(Debug, thiserror::Error)]
pub enum TenantsError {
    /// Nothing to ask (a test's runner without a session).
    #[error("the tenants cannot be listed here")]
    Unavailable,
    #[error("Resource Manager would not list your tenants: {0}")]
    Arm(#[from] ArmError),
    #[error(
        "Resource Manager would not list your tenants ({arm}), and `az account list` failed too: {az}"
    )]
    Both { arm: ArmError, az: String },
}

/// The tenants from ARM, else from the Azure CLI at `az` (when given).
pub async fn list(arm: &ArmClient, az: Option<&Path>) -> Result<Tenants, TenantsError> {
    let from_arm = arm.list_tenants().await;
    match from_arm {
        Ok(list) => Ok(Tenants {
            tenants: list
                .into_iter()
                .map(|t| TenantChoice {
                    id: t.tenant_id,
                    name: t.display_name,
                    domain: t.default_domain,
                    category: t.tenant_category,
                })
                .collect(),
            source: TenantSource::ResourceManager,
        }),
        Err(e) => {
            let Some(az) = az else {
                return Err(e.into());
            };
            tracing::info!(error = %e, "ARM would not list the tenants; asking az");
            match az_accounts(az).await {
                Ok(tenants) => Ok(Tenants {
                    tenants,
                    source: TenantSource::AzureCli,
                }),
                Err(az) => Err(TenantsError::Both { arm: e, az }),
            }
        }
    }
}

/// One subscription as `az account list --output json` shows it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzAccount {
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    home_tenant_id: Option<String>,
    #[serde(default)]
    tenant_display_name: Option<String>,
    #[serde(default)]
    tenant_default_domain: Option<String>,
}

/// The distinct tenants of `az account list`.
async fn az_accounts(az: &Path) -> Result<Vec<TenantChoice>, String> {
    let run = tokio::process::Command::new(az)
        .args(["account", "list", "--output", "json"])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .map_err(|_| "az did not answer within 30 s".to_owned())?
        .map_err(|e| format!("could not run az: {e}"))?;
    if !out.status.success() {
        let first = String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        return Err(format!(
            "az account list failed: {}",
            crate::sanitize::clean(&first)
        ));
    }
    parse_az_accounts(&out.stdout)
}

/// `az account list`'s JSON: one tenant per distinct `tenantId` (and `homeTenantId`).
pub fn parse_az_accounts(json: &[u8]) -> Result<Vec<TenantChoice>, String> {
    let accounts: Vec<AzAccount> = serde_json::from_slice(json)
        .map_err(|e| format!("az account list printed what azsecrets cannot read ({e})"))?;
    let mut out: Vec<TenantChoice> = Vec::new();
    for a in accounts {
        for id in [a.tenant_id.as_deref(), a.home_tenant_id.as_deref()]
            .into_iter()
            .flatten()
        {
            if !crate::ids::is_guid(id) || out.iter().any(|t| t.id.eq_ignore_ascii_case(id)) {
                continue;
            }
            let named = a.tenant_id.as_deref() == Some(id);
            out.push(TenantChoice {
                id: id.to_ascii_lowercase(),
                name: named.then(|| a.tenant_display_name.clone()).flatten(),
                domain: named.then(|| a.tenant_default_domain.clone()).flatten(),
                category: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_accounts_give_distinct_tenants() {
        let json = br#"[
          {"id":"s1","name":"Prod","tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","homeTenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","tenantDisplayName":"Contoso","tenantDefaultDomain":"contoso.com"},
          {"id":"s2","name":"Dev","tenantId":"72F988BF-86F1-41AF-91AB-2D7CD011DB47"},
          {"id":"5a7e9c1b-3d2f-4e6a-8b0c-9d1e2f3a4b5c","name":"N/A(tenant level account)","tenantId":"5a7e9c1b-3d2f-4e6a-8b0c-9d1e2f3a4b5c"},
          {"id":"s3","tenantId":"not-a-guid"}
        ]"#;
        let t = parse_az_accounts(json).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].name.as_deref(), Some("Contoso"));
        assert_eq!(t[1].id, "5a7e9c1b-3d2f-4e6a-8b0c-9d1e2f3a4b5c");
        assert!(parse_az_accounts(b"nope").is_err());
    }
}
