//! Key Vault's 401 challenge (`WWW-Authenticate: Bearer authorization="…/{tenant}",
//! resource="https://vault.azure.net"`), read the way the Azure SDKs read it: either
//! `authorization` or `authorization_uri`, either `resource` or `scope`; the tenant is the
//! authority's last path segment. Before any token goes out, the resource it names must own the
//! vault's host (the host ends with `.` and the resource's host), so a host posing as a vault
//! cannot collect a Key Vault token; only a loopback vault (the sandbox, tests) may instead name
//! exactly the configured resource.

use url::Url;

use crate::auth::endpoints::is_loopback;
use crate::auth::token_endpoint::valid_tenant;

/// What a vault's challenge says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The vault's tenant (the authority's last path segment), when it is a tenant.
    pub tenant: Option<String>,
    /// The resource to ask a token for (`resource=`, or `scope=` without `/.default`).
    pub resource: Option<String>,
}

/// Parse a `WWW-Authenticate` value; `None` unless it is a Bearer challenge.
pub fn parse(header: &str) -> Option<Challenge> {
    let rest = header.trim();
    let (scheme, params) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut authority = None;
    let mut resource = None;
    let mut scope = None;
    for (k, v) in params_of(params) {
        match k.to_ascii_lowercase().as_str() {
            "authorization" | "authorization_uri" => authority = Some(v),
            "resource" => resource = Some(v),
            "scope" => scope = Some(v),
            _ => {}
        }
    }
    let tenant = authority
        .as_deref()
        .and_then(|a| Url::parse(a).ok())
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.rfind(|p| !p.is_empty()).map(str::to_owned))
        })
        .filter(|t| valid_tenant(t));
    let resource = resource
        .or_else(|| scope.map(|s| s.strip_suffix("/.default").map(str::to_owned).unwrap_or(s)));
    Some(Challenge { tenant, resource })
}

/// `key="value"` or `key=value` pairs separated by commas or spaces.
fn params_of(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_owned();
        rest = &rest[eq + 1..];
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => {
                    let v = quoted[..end].to_owned();
                    rest = &quoted[end + 1..];
                    v
                }
                None => {
                    let v = quoted.to_owned();
                    rest = "";
                    v
                }
            }
        } else {
            let end = rest
                .find(|c: char| c == ',' || c.is_whitespace())
                .unwrap_or(rest.len());
            let v = rest[..end].to_owned();
            rest = &rest[end..];
            v
        };
        if !key.is_empty() {
            out.push((key, value));
        }
    }
    out
}

/// Whether a token for `resource` may be sent to `vault` (see the module docs).
pub fn resource_owns_vault(vault: &Url, resource: &str, configured: &str) -> bool {
    let Some(host) = vault.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    let resource_host = Url::parse(resource)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if let Some(rh) = resource_host
        && !rh.is_empty()
        && host.ends_with(&format!(".{rh}"))
    {
        return true;
    }
    is_loopback(vault) && resource.trim_end_matches('/') == configured.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_spellings_of_the_challenge() {
        let c = parse(r#"Bearer authorization="https://login.microsoftonline.com/54826b22-38d6-4fb2-bad9-b7b93a3e9c5a", resource="https://vault.azure.net""#).unwrap();
        assert_eq!(
            c.tenant.as_deref(),
            Some("54826b22-38d6-4fb2-bad9-b7b93a3e9c5a")
        );
        assert_eq!(c.resource.as_deref(), Some("https://vault.azure.net"));
        let c = parse(r#"Bearer authorization_uri="https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", scope="https://vault.azure.net/.default""#).unwrap();
        assert_eq!(
            c.tenant.as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(c.resource.as_deref(), Some("https://vault.azure.net"));
        assert!(parse("Basic realm=x").is_none());
        // A tenant that would bend a URL or read as an option is dropped.
        let c = parse(r#"Bearer authorization="https://login.microsoftonline.com/--output", resource="https://vault.azure.net""#).unwrap();
        assert_eq!(c.tenant, None);
        let c = parse("Bearer resource=https://vault.azure.net,authorization=x").unwrap();
        assert_eq!(c.resource.as_deref(), Some("https://vault.azure.net"));
    }

    #[test]
    fn the_resource_must_own_the_vault_host() {
        let v = Url::parse("https://contoso.vault.azure.net/").unwrap();
        let cfg = "https://vault.azure.net";
        assert!(resource_owns_vault(&v, "https://vault.azure.net", cfg));
        assert!(!resource_owns_vault(&v, "https://azure.net.evil.com", cfg));
        let evil = Url::parse("https://vault.azure.net.evil.com/").unwrap();
        assert!(!resource_owns_vault(&evil, "https://vault.azure.net", cfg));
        let fake = Url::parse("https://contoso.example.com/").unwrap();
        assert!(!resource_owns_vault(&fake, "https://vault.azure.net", cfg));
        // Loopback vaults may name exactly the configured resource, nothing else.
        let local = Url::parse("http://127.0.0.1:8080/kv/x/").unwrap();
        assert!(resource_owns_vault(&local, "https://vault.azure.net", cfg));
        assert!(!resource_owns_vault(
            &local,
            "https://management.azure.com",
            cfg
        ));
    }
}
