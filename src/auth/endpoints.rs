//! Cloud endpoints (contract section 14) and the rule that only loopback may be plain http.

use url::Url;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cloud {
    Public,
    Usgov,
    UsgovDod,
    China,
}

impl Cloud {
    pub fn graph(self) -> &'static str {
        match self {
            Cloud::Public => "https://graph.microsoft.com",
            Cloud::Usgov => "https://graph.microsoft.us",
            Cloud::UsgovDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    pub fn login(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::Usgov | Cloud::UsgovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The DNS suffix of the cloud's key vaults, without the leading dot (Key Vault docs, "DNS
    /// suffixes for object identifiers"; Azure CLI `cloud.py` `keyvault_dns`).
    pub fn key_vault_dns_suffix(self) -> &'static str {
        match self {
            Cloud::Public => "vault.azure.net",
            Cloud::Usgov | Cloud::UsgovDod => "vault.usgovcloudapi.net",
            Cloud::China => "vault.azure.cn",
        }
    }

    /// Key Vault's resource identifier (the token audience): `https://` and the DNS suffix, no
    /// trailing slash (a token for `https://vault.azure.net/` is refused with AKV10022).
    pub fn key_vault_resource(self) -> String {
        format!("https://{}", self.key_vault_dns_suffix())
    }

    /// Where a vault name points by default: `https://{name}.vault.azure.net/` and its sovereign
    /// twins.
    pub fn key_vault_url_template(self) -> String {
        format!("https://{{name}}.{}/", self.key_vault_dns_suffix())
    }

    /// Azure Resource Manager's root (Azure CLI `cloud.py` `resource_manager`). ARM accepts
    /// tokens for this identifier, with or without the trailing slash, as well as for the
    /// older `https://management.core.windows.net/` family.
    pub fn arm(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com/",
            Cloud::Usgov | Cloud::UsgovDod => "https://management.usgovcloudapi.net/",
            Cloud::China => "https://management.chinacloudapi.cn/",
        }
    }
}

/// The Graph root (origin, no version) and the login authority root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub graph: Url,
    pub login: Url,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("'{0}' is not a valid URL")]
    Invalid(String),
    #[error("'{0}' must use https (plain http is allowed only for loopback addresses)")]
    NotHttps(String),
}

impl Endpoints {
    pub fn for_cloud(cloud: Cloud) -> Self {
        // The cloud table's literals are valid URLs.
        Self {
            graph: parse_endpoint(cloud.graph()).unwrap_or_else(|_| unreachable!()),
            login: parse_endpoint(cloud.login()).unwrap_or_else(|_| unreachable!()),
        }
    }

    /// The scope for client credentials and Azure CLI tokens.
    pub fn graph_default_scope(&self) -> String {
        format!("{}/.default", self.graph.as_str().trim_end_matches('/'))
    }
}

/// Parse and validate an endpoint: https, or http on a loopback host. Normalised to end in `/`.
pub fn parse_endpoint(s: &str) -> Result<Url, EndpointError> {
    let mut url = Url::parse(s).map_err(|_| EndpointError::Invalid(s.to_owned()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(EndpointError::NotHttps(s.to_owned())),
        _ => return Err(EndpointError::Invalid(s.to_owned())),
    }
    if url.host_str().is_none() {
        return Err(EndpointError::Invalid(s.to_owned()));
    }
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_may_be_http() {
        assert!(parse_endpoint("http://127.0.0.1:8080").is_ok());
        assert!(parse_endpoint("http://localhost:1").is_ok());
        assert!(parse_endpoint("http://[::1]:1").is_ok());
        assert_eq!(
            parse_endpoint("http://graph.example.com"),
            Err(EndpointError::NotHttps("http://graph.example.com".into()))
        );
        assert!(parse_endpoint("ftp://x").is_err());
        assert_eq!(
            parse_endpoint("https://graph.microsoft.us").map(|u| u.to_string()),
            Ok("https://graph.microsoft.us/".to_owned())
        );
    }

    #[test]
    fn key_vault_and_arm_per_cloud() {
        assert_eq!(
            Cloud::Public.key_vault_resource(),
            "https://vault.azure.net"
        );
        assert_eq!(
            Cloud::UsgovDod.key_vault_url_template(),
            "https://{name}.vault.usgovcloudapi.net/"
        );
        assert_eq!(Cloud::China.key_vault_resource(), "https://vault.azure.cn");
        for c in [Cloud::Public, Cloud::Usgov, Cloud::UsgovDod, Cloud::China] {
            assert!(parse_endpoint(c.arm()).is_ok());
        }
    }

    #[test]
    fn scopes() {
        assert_eq!(
            Endpoints::for_cloud(Cloud::China).graph_default_scope(),
            "https://microsoftgraph.chinacloudapi.cn/.default"
        );
    }
}
