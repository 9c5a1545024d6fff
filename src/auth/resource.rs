//! What a token is for: Microsoft Graph, Azure Key Vault's data plane, or Azure Resource
//! Manager, named by the resource identifier the token's audience must carry (docs/contract.md,
//! "Tokens per resource"). One sign-in hands out tokens for all three; each token is sent only to
//! its own resource's origin (the clients check that, not this module).

use std::fmt;

use super::endpoints::Endpoints;

/// The kinds of resource azsecrets talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Graph,
    KeyVault,
    Arm,
}

impl ResourceKind {
    /// In the portal's words, for messages.
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::Graph => "Microsoft Graph",
            ResourceKind::KeyVault => "Azure Key Vault",
            ResourceKind::Arm => "Azure Resource Manager",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A resource a token is requested for: its kind and its identifier, e.g.
/// `https://vault.azure.net` (which is also the token's audience).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Resource {
    kind: ResourceKind,
    id: String,
}

impl Resource {
    pub fn new(kind: ResourceKind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }

    /// The Graph root the session talks to (a cloud's, or an override such as the sandbox).
    pub fn graph(endpoints: &Endpoints) -> Self {
        Self::new(ResourceKind::Graph, endpoints.graph.as_str())
    }

    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// The identifier as configured. For Key Vault it has no trailing slash: a token whose
    /// audience is `https://vault.azure.net/` is refused with AKV10022.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `{id}/.default`, the v2.0 scope that asks for the resource's configured permissions
    /// (client credentials, refresh grants). Trailing slashes of the identifier are dropped so
    /// the scope has exactly one slash before `.default`.
    pub fn default_scope(&self) -> String {
        format!("{}/.default", self.id.trim_end_matches('/'))
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind.label(), self.id)
    }
}

/// One token request: a resource, and the tenant that must issue the token when it matters (a
/// Key Vault's 401 challenge names the vault's tenant; a token from another tenant is refused
/// with AKV10032).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenRequest {
    pub resource: Resource,
    pub tenant: Option<String>,
}

impl TokenRequest {
    pub fn new(resource: Resource) -> Self {
        Self {
            resource,
            tenant: None,
        }
    }

    pub fn in_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Cloud;

    #[test]
    fn default_scopes_have_one_slash() {
        for (id, want) in [
            (
                "https://vault.azure.net",
                "https://vault.azure.net/.default",
            ),
            (
                "https://management.azure.com/",
                "https://management.azure.com/.default",
            ),
            (
                "https://graph.microsoft.com/",
                "https://graph.microsoft.com/.default",
            ),
        ] {
            assert_eq!(
                Resource::new(ResourceKind::KeyVault, id).default_scope(),
                want
            );
        }
        assert_eq!(
            Resource::graph(&Endpoints::for_cloud(Cloud::China)).default_scope(),
            "https://microsoftgraph.chinacloudapi.cn/.default"
        );
    }
}
