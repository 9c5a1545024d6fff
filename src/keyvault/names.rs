//! Names in Key Vault's rules: vault names (ARM's naming rules for `Microsoft.KeyVault/vaults`:
//! 3-24 characters, letters, digits and hyphens, starting with a letter, ending with a letter or
//! digit, no two hyphens in a row), secret names (1-127 of `[0-9a-zA-Z-]`, compared ignoring
//! case), a vault given by name or URL, the per-cloud URL template that turns a name into a URL,
//! and the default secret name derived from an app's display name.

use std::fmt;
use std::str::FromStr;

use url::Url;

use crate::auth::endpoints::{is_loopback, parse_endpoint};

/// The placeholder a vault URL template must hold once.
pub const NAME_PLACEHOLDER: &str = "{name}";
/// Secret names: at most this many characters.
pub const MAX_SECRET_NAME: usize = 127;
/// The hex digits of the digest added to a derived name.
const DIGEST_LEN: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error(
        "'{0}' is not a key vault name: use 3 to 24 letters, digits and hyphens, starting with a letter and ending with a letter or digit, with no two hyphens in a row"
    )]
    Vault(String),
    #[error(
        "'{0}' is not a Key Vault secret name: use 1 to 127 letters (a-z, A-Z), digits and hyphens"
    )]
    Secret(String),
    #[error("'{url}' is not a vault URL: {why}")]
    VaultUrl { url: String, why: String },
    #[error("'{template}' is not a vault URL template: {why}")]
    Template { template: String, why: String },
}

/// A key vault's name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VaultName(String);

impl VaultName {
    pub fn parse(s: &str) -> Result<Self, NameError> {
        let bad = || NameError::Vault(s.to_owned());
        let b = s.as_bytes();
        let ok = (3..=24).contains(&b.len())
            && b[0].is_ascii_alphabetic()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && !s.contains("--");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VaultName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret's name in a vault. Key Vault compares names ignoring case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecretName(String);

impl SecretName {
    pub fn parse(s: &str) -> Result<Self, NameError> {
        if valid_secret_name(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(NameError::Secret(s.to_owned()))
        }
    }

    /// The default name for an app's client secret: its display name restricted to
    /// `[0-9a-zA-Z-]`, lowercased, runs of other characters turned into one `-`, trimmed of
    /// hyphens and cut to fit; whenever anything was changed (a character replaced, dropped or
    /// lowercased, the length cut), or the result would end like a derived name, a `-` and an
    /// 8-hex-digit digest of the whole display name are appended. So two display names never
    /// map to one name, even ignoring case as Key Vault does: `a.b` gives `a-b-…` and `ab` gives
    /// `ab`; `AB` gives `ab-…`.
    pub fn for_app(display_name: &str) -> Self {
        let mut slug = String::with_capacity(display_name.len());
        let mut changed = false;
        for c in display_name.chars() {
            if c.is_ascii_alphanumeric() || c == '-' {
                let lower = c.to_ascii_lowercase();
                changed |= lower != c;
                if c == '-' && slug.ends_with('-') {
                    changed = true;
                } else {
                    slug.push(lower);
                }
            } else {
                changed = true;
                if !slug.is_empty() && !slug.ends_with('-') {
                    slug.push('-');
                }
            }
        }
        let trimmed = slug.trim_matches('-');
        changed |= trimmed.len() != slug.len();
        let room = MAX_SECRET_NAME - DIGEST_LEN - 1;
        let needs_digest = changed
            || trimmed.is_empty()
            || trimmed.len() > MAX_SECRET_NAME
            || looks_derived(trimmed);
        if !needs_digest {
            return Self(trimmed.to_owned());
        }
        let mut base: String = trimmed.chars().take(room).collect();
        while base.ends_with('-') {
            base.pop();
        }
        if base.is_empty() {
            base.push_str("app");
        }
        Self(format!("{base}-{}", digest(display_name)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn valid_secret_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SECRET_NAME
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Ends in `-` and 8 lowercase hex digits, as a derived name does.
fn looks_derived(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > DIGEST_LEN
        && b[b.len() - DIGEST_LEN - 1] == b'-'
        && b[b.len() - DIGEST_LEN..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// FNV-1a (64-bit) of the UTF-8 bytes, folded to 32 bits: stable across versions and
/// platforms (the name must not change between runs), short, and not a secret.
fn digest(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:08x}", (h >> 32) as u32 ^ h as u32)
}

/// A vault as a user gives it: a name (resolved through the URL template) or a full URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultRef {
    Name(VaultName),
    Url(Url),
}

impl VaultRef {
    /// A vault URL: https (http only on loopback), no query, ending in `/`.
    pub fn parse_url(s: &str) -> Result<Url, NameError> {
        let url = parse_endpoint(s).map_err(|e| NameError::VaultUrl {
            url: s.to_owned(),
            why: e.to_string(),
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(NameError::VaultUrl {
                url: s.to_owned(),
                why: "it must not carry a user name or password".into(),
            });
        }
        if s.contains('?') || s.contains('#') {
            return Err(NameError::VaultUrl {
                url: s.to_owned(),
                why: "it must not have a query or fragment".into(),
            });
        }
        Ok(url)
    }
}

impl FromStr for VaultRef {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.contains("://") {
            Self::parse_url(s).map(VaultRef::Url)
        } else {
            VaultName::parse(s).map(VaultRef::Name)
        }
    }
}

impl fmt::Display for VaultRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VaultRef::Name(n) => n.fmt(f),
            VaultRef::Url(u) => u.fmt(f),
        }
    }
}

/// Where a vault name points: `https://{name}.vault.azure.net/` per cloud, or what
/// `--vault-url-template` says (the sandbox's `http://127.0.0.1:PORT/kv/{name}/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultUrlTemplate(String);

impl VaultUrlTemplate {
    pub fn for_cloud(cloud: crate::auth::Cloud) -> Self {
        Self(cloud.key_vault_url_template())
    }

    /// `{name}` exactly once, in the host or the path; with a sample name in place it must be
    /// an https URL (http only on loopback) without query or fragment.
    pub fn parse(s: &str) -> Result<Self, NameError> {
        let bad = |why: &str| NameError::Template {
            template: s.to_owned(),
            why: why.to_owned(),
        };
        if s.matches(NAME_PLACEHOLDER).count() != 1 {
            return Err(bad("it must contain {name} exactly once"));
        }
        if s.contains('?') || s.contains('#') {
            return Err(bad("it must not have a query or fragment"));
        }
        let sample = s.replace(NAME_PLACEHOLDER, "sample-vault");
        parse_endpoint(&sample).map_err(|e| bad(&e.to_string()))?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn resolve(&self, name: &VaultName) -> Result<Url, NameError> {
        let filled = self.0.replace(NAME_PLACEHOLDER, name.as_str());
        VaultRef::parse_url(&filled)
    }

    /// Whether the template points at this machine (the sandbox, tests).
    pub fn is_loopback(&self) -> bool {
        let sample = self.0.replace(NAME_PLACEHOLDER, "sample-vault");
        Url::parse(&sample).is_ok_and(|u| is_loopback(&u))
    }
}

impl fmt::Display for VaultUrlTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vault_names_follow_arm_rules() {
        for ok in [
            "kv1",
            "contoso-sandbox-kv",
            "a-b-c",
            "abcdefghijklmnopqrstuvwx",
        ] {
            assert!(VaultName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "kv",
            "1kv",
            "-kv",
            "kv-",
            "k--v",
            "k.v",
            "abcdefghijklmnopqrstuvwxy",
            "",
        ] {
            assert!(VaultName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vault_refs_are_names_or_urls() {
        assert_eq!(
            "contoso-kv".parse::<VaultRef>(),
            Ok(VaultRef::Name(VaultName("contoso-kv".into())))
        );
        let VaultRef::Url(u) = "https://contoso-kv.vault.azure.net"
            .parse::<VaultRef>()
            .unwrap()
        else {
            panic!("a URL")
        };
        assert_eq!(u.as_str(), "https://contoso-kv.vault.azure.net/");
        assert!(
            "http://contoso-kv.vault.azure.net/"
                .parse::<VaultRef>()
                .is_err()
        );
        assert!(
            "https://kv.vault.azure.net/?x=1"
                .parse::<VaultRef>()
                .is_err()
        );
        assert!(
            "https://u:p@kv.vault.azure.net/"
                .parse::<VaultRef>()
                .is_err()
        );
        assert!("http://127.0.0.1:9/kv/a/".parse::<VaultRef>().is_ok());
    }

    #[test]
    fn templates_resolve_names_per_cloud() {
        let t = VaultUrlTemplate::for_cloud(crate::auth::Cloud::China);
        assert_eq!(
            t.resolve(&VaultName("contoso-kv".into())).unwrap().as_str(),
            "https://contoso-kv.vault.azure.cn/"
        );
        let local = VaultUrlTemplate::parse("http://127.0.0.1:8080/kv/{name}/").unwrap();
        assert!(local.is_loopback());
        assert_eq!(
            local.resolve(&VaultName("abc".into())).unwrap().as_str(),
            "http://127.0.0.1:8080/kv/abc/"
        );
        assert!(VaultUrlTemplate::parse("https://vault.example.com/").is_err());
        assert!(VaultUrlTemplate::parse("https://{name}.{name}.example.com/").is_err());
        assert!(VaultUrlTemplate::parse("http://{name}.example.com/").is_err());
        assert!(!VaultUrlTemplate::for_cloud(crate::auth::Cloud::Public).is_loopback());
    }

    #[test]
    fn default_names() {
        let n = |s: &str| SecretName::for_app(s).0;
        assert_eq!(n("billing-api"), "billing-api");
        assert_eq!(n("ab"), "ab");
        assert!(n("a.b").starts_with("a-b-"), "{}", n("a.b"));
        assert!(n("AB").starts_with("ab-"));
        assert!(n("Billing API").starts_with("billing-api-"));
        assert!(n("日本語").starts_with("app-"));
        assert!(n("").starts_with("app-"));
        assert_eq!(n("Billing API"), n("Billing API"), "stable");
        assert_eq!(digest("Billing API"), digest("Billing API"));
        // A name that already looks derived gets its own digest, so it cannot collide.
        let derived = n("a.b");
        assert_ne!(n(&derived), derived);
        assert_eq!(n(&"x".repeat(300)).len(), MAX_SECRET_NAME);
    }

    proptest! {
        #[test]
        fn derived_names_are_valid(s in ".{0,300}") {
            let name = SecretName::for_app(&s);
            prop_assert!(valid_secret_name(name.as_str()), "{:?} -> {:?}", s, name);
            prop_assert_eq!(SecretName::for_app(&s), name);
        }

        #[test]
        fn different_apps_never_share_a_name(a in "[a-zA-Z0-9 ._-]{0,20}", b in "[a-zA-Z0-9 ._-]{0,20}") {
            prop_assume!(a != b);
            let (x, y) = (SecretName::for_app(&a), SecretName::for_app(&b));
            prop_assert!(!x.as_str().eq_ignore_ascii_case(y.as_str()), "{:?} and {:?} both -> {:?}", a, b, x);
        }

        #[test]
        fn one_character_apart_never_collides(a in "[a-z]{1,10}", c in "[. _A-Z]") {
            let b = format!("{a}{c}{a}");
            let joined = format!("{a}{a}");
            prop_assert_ne!(SecretName::for_app(&b), SecretName::for_app(&joined));
        }
    }
}
