//! Federated identity credentials: the portal's scenarios (GitHub Actions, Kubernetes, any
//! other issuer) turned into issuer, subject and audience, and Graph's rules checked before a
//! credential is sent (docs/contract.md "Federated identity credentials"): the name is 3–120
//! characters of letters, digits, `-` and `_`, starting with a letter or digit, unique on the
//! app; issuer and subject together are unique; at most 20 per app; exactly one audience;
//! issuer, subject, audience and description at most 600 characters. Knows no terminal.

use url::Url;

use crate::graph::{FederatedCredential, NewFederatedCredential};

/// GitHub's OIDC issuer: no trailing slash (a slash breaks the token exchange).
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Graph's limit of federated credentials per app.
pub const MAX_PER_APP: usize = 20;
pub const MIN_NAME: usize = 3;
pub const MAX_NAME: usize = 120;
/// Issuer, subject, each audience and the description.
pub const MAX_FIELD: usize = 600;

/// The token-exchange audience of the cloud whose Graph is `graph_root`.
pub fn default_audience(graph_root: &Url) -> &'static str {
    match graph_root.host_str().unwrap_or("") {
        "graph.microsoft.us" | "dod-graph.microsoft.us" => "api://AzureADTokenExchangeUSGov",
        "microsoftgraph.chinacloudapi.cn" => "api://AzureADTokenExchangeChina",
        _ => "api://AzureADTokenExchange",
    }
}

/// An audience as a table shows it: the token-exchange default of any cloud reads "default"
/// (`Enter` and `--output json` show it whole).
pub fn audience_label(audience: &str) -> &str {
    if audience.starts_with("api://AzureADTokenExchange") {
        "default"
    } else {
        audience
    }
}

/// What a GitHub Actions workflow's token is issued for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitHubEntity {
    Branch(String),
    Environment(String),
    PullRequest,
    Tag(String),
}

impl GitHubEntity {
    pub fn label(&self) -> &'static str {
        match self {
            GitHubEntity::Branch(_) => "Branch",
            GitHubEntity::Environment(_) => "Environment",
            GitHubEntity::PullRequest => "Pull request",
            GitHubEntity::Tag(_) => "Tag",
        }
    }
}

/// A scenario of the portal's picker, filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scenario {
    GitHub {
        /// `org/repo`.
        repository: String,
        entity: GitHubEntity,
    },
    Kubernetes {
        issuer: String,
        namespace: String,
        service_account: String,
    },
    Other {
        issuer: String,
        subject: String,
    },
}

/// Why a credential cannot be sent as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error(
        "the name must be {MIN_NAME}–{MAX_NAME} characters of letters, digits, '-' and '_', starting with a letter or digit"
    )]
    Name,
    #[error("{0} is longer than {MAX_FIELD} characters")]
    TooLong(&'static str),
    #[error("the repository must be written organization/repository")]
    Repository,
    #[error("{0} must not contain spaces, '*' or line breaks")]
    BadChars(&'static str),
    #[error("the issuer must be an https:// URL")]
    Issuer,
    #[error(
        "the app already has {MAX_PER_APP} federated credentials, Graph's limit: remove one first"
    )]
    Limit,
    #[error(
        "the app already has a federated credential named '{0}' (names are unique and cannot be changed)"
    )]
    DuplicateName(String),
    #[error("the app already has a federated credential '{0}' for this issuer and subject")]
    DuplicateSubject(String),
}

fn token(what: &'static str, s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Invalid::Missing(what));
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c == '*' || c.is_control())
    {
        return Err(Invalid::BadChars(what));
    }
    Ok(s.to_owned())
}

fn issuer(s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Invalid::Missing("the issuer"));
    }
    match Url::parse(s) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() => Ok(s.to_owned()),
        _ => Err(Invalid::Issuer),
    }
}

impl Scenario {
    /// Issuer and subject, as they will be sent (verbatim: matching is exact).
    pub fn issuer_subject(&self) -> Result<(String, String), Invalid> {
        match self {
            Scenario::GitHub { repository, entity } => {
                let repo = token("the repository", repository)?;
                match repo.split_once('/') {
                    Some((o, r)) if !o.is_empty() && !r.is_empty() && !r.contains('/') => {}
                    _ => return Err(Invalid::Repository),
                }
                let subject = match entity {
                    GitHubEntity::Branch(b) => {
                        format!("repo:{repo}:ref:refs/heads/{}", token("the branch", b)?)
                    }
                    GitHubEntity::Environment(e) => {
                        format!("repo:{repo}:environment:{}", token("the environment", e)?)
                    }
                    GitHubEntity::PullRequest => format!("repo:{repo}:pull_request"),
                    GitHubEntity::Tag(t) => {
                        format!("repo:{repo}:ref:refs/tags/{}", token("the tag", t)?)
                    }
                };
                Ok((GITHUB_ISSUER.to_owned(), subject))
            }
            Scenario::Kubernetes {
                issuer: i,
                namespace,
                service_account,
            } => Ok((
                issuer(i)?,
                format!(
                    "system:serviceaccount:{}:{}",
                    token("the namespace", namespace)?,
                    token("the service account", service_account)?
                ),
            )),
            Scenario::Other { issuer: i, subject } => {
                let subject = subject.trim();
                if subject.is_empty() {
                    return Err(Invalid::Missing("the subject"));
                }
                if subject.contains('*') || subject.chars().any(char::is_control) {
                    return Err(Invalid::BadChars("the subject"));
                }
                Ok((issuer(i)?, subject.to_owned()))
            }
        }
    }

    /// The subject as far as it can be built now (for the live line); `None` when a part is
    /// still missing or wrong.
    pub fn preview(&self) -> Option<String> {
        self.issuer_subject().ok().map(|(_, s)| s)
    }
}

/// Graph's name rule.
pub fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (MIN_NAME..=MAX_NAME).contains(&n)
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A readable name for a subject, valid by Graph's rule: `hr-branch-main` for
/// `repo:contoso/hr:ref:refs/heads/main`, `orders-worker` for
/// `system:serviceaccount:orders:worker`'s namespace and account.
pub fn suggest_name(subject: &str) -> String {
    let readable = if let Some(rest) = subject.strip_prefix("repo:") {
        let (repo, what) = rest.split_once(':').unwrap_or((rest, ""));
        let repo = repo.rsplit('/').next().unwrap_or(repo);
        let what = what
            .replacen("ref:refs/heads/", "branch-", 1)
            .replacen("ref:refs/tags/", "tag-", 1)
            .replacen("environment:", "env-", 1)
            .replace("pull_request", "pull-request");
        format!("{repo}-{what}")
    } else if let Some(rest) = subject.strip_prefix("system:serviceaccount:") {
        rest.replace(':', "-")
    } else {
        subject.to_owned()
    };
    let mut s: String = readable
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while s.starts_with(['-', '_']) {
        s.remove(0);
    }
    let mut s: String = s.chars().take(MAX_NAME).collect();
    while s.ends_with('-') {
        s.pop();
    }
    while s.chars().count() < MIN_NAME {
        s.push_str("-fic");
    }
    s
}

/// The credential to send, checked against Graph's rules and the app's `existing` ones.
pub fn build(
    name: &str,
    scenario: &Scenario,
    audience: &str,
    description: Option<&str>,
    existing: &[FederatedCredential],
) -> Result<NewFederatedCredential, Invalid> {
    let name = name.trim();
    if !valid_name(name) {
        return Err(Invalid::Name);
    }
    let (issuer, subject) = scenario.issuer_subject()?;
    let audience = token("the audience", audience)?;
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    for (what, v) in [
        ("the issuer", issuer.as_str()),
        ("the subject", subject.as_str()),
        ("the audience", audience.as_str()),
        ("the description", description.unwrap_or("")),
    ] {
        if v.chars().count() > MAX_FIELD {
            return Err(Invalid::TooLong(what));
        }
    }
    if let Some(c) = existing.iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
        return Err(Invalid::DuplicateName(c.name.clone()));
    }
    if let Some(c) = existing
        .iter()
        .find(|c| c.issuer == issuer && c.subject == subject)
    {
        return Err(Invalid::DuplicateSubject(c.name.clone()));
    }
    if existing.len() >= MAX_PER_APP {
        return Err(Invalid::Limit);
    }
    Ok(NewFederatedCredential {
        name: name.to_owned(),
        issuer,
        subject,
        audiences: vec![audience],
        description: description.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gh(entity: GitHubEntity) -> Scenario {
        Scenario::GitHub {
            repository: "contoso/api".into(),
            entity,
        }
    }

    #[test]
    fn github_subjects() {
        let s = |e| gh(e).issuer_subject().map(|(_, s)| s);
        assert_eq!(
            s(GitHubEntity::Branch("main".into())).as_deref(),
            Ok("repo:contoso/api:ref:refs/heads/main")
        );
        assert_eq!(
            s(GitHubEntity::Environment("Production".into())).as_deref(),
            Ok("repo:contoso/api:environment:Production")
        );
        assert_eq!(
            s(GitHubEntity::PullRequest).as_deref(),
            Ok("repo:contoso/api:pull_request")
        );
        assert_eq!(
            s(GitHubEntity::Tag("v1.2".into())).as_deref(),
            Ok("repo:contoso/api:ref:refs/tags/v1.2")
        );
        let (issuer, _) = gh(GitHubEntity::PullRequest).issuer_subject().expect("ok");
        assert!(!issuer.ends_with('/'));
        let bad = Scenario::GitHub {
            repository: "contoso".into(),
            entity: GitHubEntity::PullRequest,
        };
        assert_eq!(bad.issuer_subject(), Err(Invalid::Repository));
    }

    #[test]
    fn kubernetes_and_other() {
        let k = Scenario::Kubernetes {
            issuer: "https://oidc.prod-aks.azure.com/abc/".into(),
            namespace: "payments".into(),
            service_account: "api".into(),
        };
        let (i, s) = k.issuer_subject().expect("ok");
        assert_eq!(i, "https://oidc.prod-aks.azure.com/abc/", "kept verbatim");
        assert_eq!(s, "system:serviceaccount:payments:api");
        let o = Scenario::Other {
            issuer: "http://insecure".into(),
            subject: "x".into(),
        };
        assert_eq!(o.issuer_subject(), Err(Invalid::Issuer));
    }

    #[test]
    fn graph_rules_before_sending() {
        let cred = |name: &str, subject: &str| FederatedCredential {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.into(),
            issuer: GITHUB_ISSUER.into(),
            subject: subject.into(),
            description: None,
            audiences: vec!["api://AzureADTokenExchange".into()],
        };
        let main = gh(GitHubEntity::Branch("main".into()));
        let aud = "api://AzureADTokenExchange";
        assert!(build("main-branch", &main, aud, None, &[]).is_ok());
        assert_eq!(build("ab", &main, aud, None, &[]), Err(Invalid::Name));
        assert_eq!(build("-abc", &main, aud, None, &[]), Err(Invalid::Name));
        assert_eq!(build("a b c", &main, aud, None, &[]), Err(Invalid::Name));
        let existing = vec![cred("Main-Branch", "repo:other/x:pull_request")];
        assert_eq!(
            build("main-branch", &main, aud, None, &existing),
            Err(Invalid::DuplicateName("Main-Branch".into()))
        );
        let existing = vec![cred("deploy", "repo:contoso/api:ref:refs/heads/main")];
        assert_eq!(
            build("main-branch", &main, aud, None, &existing),
            Err(Invalid::DuplicateSubject("deploy".into()))
        );
        let full: Vec<FederatedCredential> = (0..20)
            .map(|i| cred(&format!("fic-{i}"), &format!("repo:x/y:environment:e{i}")))
            .collect();
        assert_eq!(
            build("main-branch", &main, aud, None, &full),
            Err(Invalid::Limit)
        );
        let long = "d".repeat(601);
        assert_eq!(
            build("main-branch", &main, aud, Some(&long), &[]),
            Err(Invalid::TooLong("the description"))
        );
    }

    #[test]
    fn audiences_per_cloud() {
        let u = |s: &str| Url::parse(s).expect("url");
        assert_eq!(
            default_audience(&u("https://graph.microsoft.com/")),
            "api://AzureADTokenExchange"
        );
        assert_eq!(
            default_audience(&u("https://graph.microsoft.us/")),
            "api://AzureADTokenExchangeUSGov"
        );
        assert_eq!(
            default_audience(&u("https://microsoftgraph.chinacloudapi.cn/")),
            "api://AzureADTokenExchangeChina"
        );
    }

    proptest! {
        /// Any valid org, repo and ref give `repo:ORG/REPO:…` with the parts verbatim, and the
        /// name suggested for it passes Graph's name rule.
        #[test]
        fn github_subject_builder(
            org in "[A-Za-z0-9][A-Za-z0-9-]{0,38}",
            repo in "[A-Za-z0-9._-]{1,100}",
            name in "[A-Za-z0-9._/-]{1,60}",
            kind in 0u8..4,
        ) {
            let entity = match kind {
                0 => GitHubEntity::Branch(name.clone()),
                1 => GitHubEntity::Environment(name.clone()),
                2 => GitHubEntity::PullRequest,
                _ => GitHubEntity::Tag(name.clone()),
            };
            let s = Scenario::GitHub { repository: format!("{org}/{repo}"), entity };
            let (issuer, subject) = s.issuer_subject().expect("valid parts");
            prop_assert_eq!(issuer, GITHUB_ISSUER);
            let prefix = format!("repo:{org}/{repo}:");
            prop_assert!(subject.starts_with(&prefix));
            let tail = match kind {
                0 => format!(":ref:refs/heads/{name}"),
                1 => format!(":environment:{name}"),
                2 => ":pull_request".to_owned(),
                _ => format!(":ref:refs/tags/{name}"),
            };
            prop_assert!(subject.ends_with(&tail));
            prop_assert!(valid_name(&suggest_name(&subject)), "{}", suggest_name(&subject));
        }

        /// Kubernetes subjects are exactly system:serviceaccount:NS:SA.
        #[test]
        fn kubernetes_subject_builder(ns in "[a-z0-9-]{1,63}", sa in "[a-z0-9.-]{1,63}") {
            let s = Scenario::Kubernetes {
                issuer: "https://oidc.example/".into(),
                namespace: ns.clone(),
                service_account: sa.clone(),
            };
            prop_assert_eq!(s.preview(), Some(format!("system:serviceaccount:{ns}:{sa}")));
        }

        /// The name rule is exactly Graph's: [A-Za-z0-9][A-Za-z0-9_-]{2,119}.
        #[test]
        fn name_rule(name in "\\PC{0,130}") {
            let expected = {
                let n = name.chars().count();
                (3..=120).contains(&n)
                    && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            };
            prop_assert_eq!(valid_name(&name), expected);
        }
    }
}
