//! App management policies as they bear on adding a credential: the wire shapes of the tenant
//! default (`/policies/defaultAppManagementPolicy`) and of a policy assigned to an app
//! (`/applications/{id}/appManagementPolicies`), and pure functions that say what applies to
//! one app: is password addition blocked, what is the longest lifetime allowed for a secret or
//! a certificate, and by which policy (docs/contract.md "App management policies").
//!
//! Rules (research 14 §3.3): the assigned policy replaces the default entirely; a policy whose
//! `isEnabled` is false restricts nothing; a restriction applies when its `state` is not
//! `disabled` and the app was created on or after `restrictForAppsCreatedAfterDateTime`.
//! Knows no terminal and no HTTP.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// One restriction as Graph sends it (`passwordCredentialConfiguration` /
/// `keyCredentialConfiguration`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestrictionWire {
    #[serde(default)]
    pub restriction_type: Option<String>,
    #[serde(default)]
    pub max_lifetime: Option<String>,
    #[serde(default)]
    pub restrict_for_apps_created_after_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestrictionsWire {
    #[serde(default, deserialize_with = "null_vec")]
    pub password_credentials: Vec<RestrictionWire>,
    #[serde(default, deserialize_with = "null_vec")]
    pub key_credentials: Vec<RestrictionWire>,
}

/// `GET /policies/defaultAppManagementPolicy` (`tenantAppManagementPolicy`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantPolicyWire {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_enabled: Option<bool>,
    #[serde(default)]
    pub application_restrictions: Option<RestrictionsWire>,
}

/// One element of `GET /applications/{id}/appManagementPolicies` (`appManagementPolicy`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPolicyWire {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_enabled: Option<bool>,
    #[serde(default)]
    pub restrictions: Option<RestrictionsWire>,
}

fn null_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Which policy a rule comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRef {
    pub id: String,
    pub name: Option<String>,
    /// The tenant default (true) or a policy assigned to the app.
    pub tenant_default: bool,
}

impl PolicyRef {
    /// "policy 'Secrets live at most 90 days' (bb8b7902-…)".
    pub fn describe(&self) -> String {
        let kind = if self.tenant_default {
            "the tenant's default app management policy"
        } else {
            "the app management policy assigned to this app"
        };
        match &self.name {
            Some(n) if !n.is_empty() => format!("{kind} '{n}' ({})", self.id),
            _ => format!("{kind} ({})", self.id),
        }
    }
}

/// What the policies say about adding credentials to one app.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Effective {
    /// `passwordAddition`: no new client secrets.
    pub password_blocked: Option<PolicyRef>,
    /// `passwordLifetime`: the longest span of a new client secret.
    pub password_max: Option<(Duration, PolicyRef)>,
    /// `asymmetricKeyLifetime`: the longest span of a new certificate.
    pub certificate_max: Option<(Duration, PolicyRef)>,
}

/// What azsecrets knows of the policies for an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyView {
    /// Read: this is what applies (possibly nothing).
    Known(Effective),
    /// The identity may not read policies (403): Graph decides when the credential is sent.
    Unknown,
}

impl PolicyView {
    pub fn effective(&self) -> Option<&Effective> {
        match self {
            PolicyView::Known(e) => Some(e),
            PolicyView::Unknown => None,
        }
    }
}

/// Parse an ISO 8601 duration (`P90D`, `P1Y`, `P4DT12H30M5S`, `PT12H`). Years count 365
/// days and months 30, as lifetimes are in practice written in days.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let rest = s.trim().strip_prefix(['P', 'p'])?;
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = Duration::zero();
    let mut any = false;
    let mut scan = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                num.push(c);
                continue;
            }
            let secs = units
                .iter()
                .find(|(u, _)| u.eq_ignore_ascii_case(&c))
                .map(|(_, s)| *s)?;
            let n: f64 = num.parse().ok()?;
            total += Duration::milliseconds((n * secs as f64 * 1000.0) as i64);
            num.clear();
            any = true;
        }
        num.is_empty().then_some(())
    };
    scan(
        date,
        &[
            ('Y', 365 * 86_400),
            ('M', 30 * 86_400),
            ('W', 7 * 86_400),
            ('D', 86_400),
        ],
    )?;
    if let Some(t) = time {
        scan(t, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(total)
}

/// The restrictions that apply to an app created at `created`, from the policy in force:
/// the assigned one when there is one, else the tenant default.
pub fn effective(
    default: Option<&TenantPolicyWire>,
    assigned: &[AppPolicyWire],
    created: Option<DateTime<Utc>>,
) -> Effective {
    let (policy, restrictions, enabled) = match assigned.first() {
        Some(p) => (
            PolicyRef {
                id: p.id.clone(),
                name: p.display_name.clone(),
                tenant_default: false,
            },
            p.restrictions.clone().unwrap_or_default(),
            p.is_enabled.unwrap_or(true),
        ),
        None => match default {
            Some(d) => (
                PolicyRef {
                    id: d.id.clone(),
                    name: d.display_name.clone(),
                    tenant_default: true,
                },
                d.application_restrictions.clone().unwrap_or_default(),
                d.is_enabled.unwrap_or(false),
            ),
            None => return Effective::default(),
        },
    };
    let mut out = Effective::default();
    if !enabled {
        return out;
    }
    let applies = |r: &RestrictionWire| {
        !r.state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("disabled"))
            && match (r.restrict_for_apps_created_after_date_time, created) {
                (None, _) => true,
                (Some(after), Some(c)) => c >= after,
                // An app whose creation time is unknown: assume the restriction applies.
                (Some(_), None) => true,
            }
    };
    let min = |cur: Option<(Duration, PolicyRef)>, d: Duration| match cur {
        Some((c, p)) if c <= d => Some((c, p)),
        _ => Some((d, policy.clone())),
    };
    for r in restrictions
        .password_credentials
        .iter()
        .filter(|r| applies(r))
    {
        match r.restriction_type.as_deref() {
            Some("passwordAddition") => out.password_blocked = Some(policy.clone()),
            Some("passwordLifetime") => {
                if let Some(d) = r.max_lifetime.as_deref().and_then(parse_duration) {
                    out.password_max = min(out.password_max.take(), d);
                }
            }
            _ => {}
        }
    }
    for r in restrictions.key_credentials.iter().filter(|r| applies(r)) {
        if r.restriction_type.as_deref() == Some("asymmetricKeyLifetime")
            && let Some(d) = r.max_lifetime.as_deref().and_then(parse_duration)
        {
            out.certificate_max = min(out.certificate_max.take(), d);
        }
    }
    out
}

/// Why a lifetime choice is not offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The longest span allowed.
    pub max: Duration,
    /// The policy that says so; `None` for Graph's own one-year cap on certificates.
    pub policy: Option<PolicyRef>,
}

impl Refusal {
    /// "longer than the 90 days allowed by policy 'X' (id)".
    pub fn reason(&self) -> String {
        let days = self.max.num_days();
        let span = if self.max.num_seconds() % 86_400 == 0 {
            format!("{days} days")
        } else {
            format!("{:.1} days", self.max.num_seconds() as f64 / 86_400.0)
        };
        match &self.policy {
            Some(p) => format!("longer than the {span} allowed by {}", p.describe()),
            None => format!("longer than the {span} Graph allows for a certificate credential"),
        }
    }
}

/// Whether a credential from `start` to `end` is within `max` (by `policy`).
pub fn check_span(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    max: Option<&(Duration, PolicyRef)>,
) -> Result<(), Refusal> {
    match max {
        Some((d, p)) if end - start > *d => Err(Refusal {
            max: *d,
            policy: Some(p.clone()),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0)
            .single()
            .expect("date")
    }

    fn rule(kind: &str, max: Option<&str>, after: Option<DateTime<Utc>>) -> RestrictionWire {
        RestrictionWire {
            restriction_type: Some(kind.into()),
            max_lifetime: max.map(str::to_owned),
            restrict_for_apps_created_after_date_time: after,
            state: None,
        }
    }

    fn tenant(enabled: bool, pw: Vec<RestrictionWire>) -> TenantPolicyWire {
        TenantPolicyWire {
            id: "00000000-0000-0000-0000-000000000000".into(),
            display_name: Some("Default app management tenant policy".into()),
            is_enabled: Some(enabled),
            application_restrictions: Some(RestrictionsWire {
                password_credentials: pw,
                key_credentials: vec![rule("asymmetricKeyLifetime", Some("P30D"), None)],
            }),
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("P90D"), Some(Duration::days(90)));
        assert_eq!(parse_duration("P1Y"), Some(Duration::days(365)));
        assert_eq!(
            parse_duration("P4DT12H30M5S"),
            Some(Duration::seconds(4 * 86_400 + 12 * 3600 + 30 * 60 + 5))
        );
        assert_eq!(parse_duration("PT12H"), Some(Duration::hours(12)));
        assert_eq!(parse_duration("90D"), None);
        assert_eq!(parse_duration("P"), None);
    }

    #[test]
    fn a_disabled_default_restricts_nothing() {
        let t = tenant(false, vec![rule("passwordAddition", None, None)]);
        assert_eq!(
            effective(Some(&t), &[], Some(at(2025))),
            Effective::default()
        );
    }

    #[test]
    fn the_default_applies_from_its_cut_off_on() {
        let t = tenant(
            true,
            vec![
                rule("passwordAddition", None, Some(at(2021))),
                rule("passwordLifetime", Some("P40D"), Some(at(2015))),
            ],
        );
        let old = effective(Some(&t), &[], Some(at(2018)));
        assert!(old.password_blocked.is_none());
        assert_eq!(
            old.password_max.as_ref().map(|m| m.0),
            Some(Duration::days(40))
        );
        assert_eq!(
            old.certificate_max.as_ref().map(|m| m.0),
            Some(Duration::days(30))
        );
        // On the cut-off day itself: "created on or after".
        let new = effective(Some(&t), &[], Some(at(2021)));
        assert!(
            new.password_blocked
                .as_ref()
                .is_some_and(|p| p.tenant_default)
        );
    }

    #[test]
    fn an_assigned_policy_replaces_the_default() {
        let t = tenant(true, vec![rule("passwordAddition", None, None)]);
        let app = AppPolicyWire {
            id: "bb8b7902-65a2-5a37-bc5d-b80cd90c71f3".into(),
            display_name: Some("Secrets live at most 90 days".into()),
            is_enabled: Some(true),
            restrictions: Some(RestrictionsWire {
                password_credentials: vec![
                    rule("passwordLifetime", Some("P90D"), None),
                    RestrictionWire {
                        state: Some("disabled".into()),
                        ..rule("passwordAddition", None, None)
                    },
                ],
                key_credentials: vec![],
            }),
        };
        let e = effective(Some(&t), &[app], Some(at(2025)));
        assert!(
            e.password_blocked.is_none(),
            "disabled, and the default is replaced"
        );
        let (max, p) = e.password_max.expect("a cap");
        assert_eq!(max, Duration::days(90));
        assert!(!p.tenant_default);
        assert!(
            p.describe()
                .contains("bb8b7902-65a2-5a37-bc5d-b80cd90c71f3")
        );
        assert!(e.certificate_max.is_none());
    }

    #[test]
    fn spans_are_checked_inclusively() {
        let p = PolicyRef {
            id: "p".into(),
            name: None,
            tenant_default: false,
        };
        let max = (Duration::days(90), p);
        let s = at(2026);
        assert!(check_span(s, s + Duration::days(90), Some(&max)).is_ok());
        let r = check_span(s, s + Duration::days(91), Some(&max)).expect_err("too long");
        assert!(r.reason().contains("90 days"), "{}", r.reason());
        assert!(check_span(s, s + Duration::days(900), None).is_ok());
    }

    #[test]
    fn wire_shapes_decode() {
        let t: TenantPolicyWire = serde_json::from_str(
            r#"{"id":"00000000-0000-0000-0000-000000000000","isEnabled":true,
            "applicationRestrictions":{"passwordCredentials":[{"restrictionType":"passwordLifetime","maxLifetime":"P4DT12H30M5S","restrictForAppsCreatedAfterDateTime":"2017-01-01T10:37:00Z"}],"keyCredentials":null},
            "servicePrincipalRestrictions":{"passwordCredentials":[],"keyCredentials":[]}}"#,
        )
        .expect("tenant policy");
        let e = effective(Some(&t), &[], Some(at(2020)));
        assert_eq!(
            e.password_max.map(|m| m.0),
            Some(Duration::seconds(4 * 86_400 + 12 * 3600 + 30 * 60 + 5))
        );
    }
}
