//! Identifiers in the portal's words (`ObjectId`, `ApplicationId`, `SecretId`, `TenantId`) and
//! GUID syntax. Owns nothing else: `auth` and `graph` both use it, and neither needs the other
//! to tell a GUID from a name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A string that should have been a GUID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {what}: expected a GUID")]
pub struct InvalidId {
    /// What was expected, in the portal's words ("Object ID").
    pub what: &'static str,
    pub value: String,
}

/// The GUID in `s`, in the `8-4-4-4-12` form Graph writes (any case). Other forms `uuid` reads
/// (braces, `urn:uuid:`, 32 bare digits) are refused: Graph never sends them, and a name that
/// happens to be 32 hex digits must stay a name.
pub fn parse_guid(s: &str) -> Option<uuid::Uuid> {
    if s.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(s).ok()
}

/// True when `s` is a GUID in the `8-4-4-4-12` form.
pub fn is_guid(s: &str) -> bool {
    parse_guid(s).is_some()
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        ///
        /// Holds the text as Graph sent it; [`Self::parse`] checks user input.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// What the portal calls it, for messages.
            pub const WHAT: &'static str = $what;

            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            /// A GUID typed or pasted by a user: trimmed, checked, lowercased.
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                parse_guid(s.trim())
                    .map(|u| Self(u.hyphenated().to_string()))
                    .ok_or_else(|| InvalidId {
                        what: $what,
                        value: s.to_owned(),
                    })
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether the held text is a GUID (ids read from Graph always are).
            pub fn is_guid(&self) -> bool {
                is_guid(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::parse(s)
            }
        }
    };
}

id_newtype!(
    /// The application object's `id` ("Object ID" in the portal).
    ObjectId,
    "Object ID"
);
id_newtype!(
    /// The application's `appId` ("Application (client) ID" in the portal).
    ApplicationId,
    "Application (client) ID"
);
id_newtype!(
    /// A credential's `keyId` ("Secret ID" in the portal). It is NOT the secret value.
    SecretId,
    "Secret ID"
);
id_newtype!(
    /// The directory (tenant) id.
    TenantId,
    "Directory (tenant) ID"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_in_graph_form_only() {
        assert!(is_guid("631a96bc-a705-4eda-9f99-fdaf9f54f6a2"));
        assert!(is_guid("631A96BC-A705-4EDA-9F99-FDAF9F54F6A2"));
        assert!(!is_guid("631a96bc-a705-4eda-9f99-fdaf9f54f6a"));
        assert!(
            !is_guid("631a96bca7054eda9f99fdaf9f54f6a2"),
            "bare digits stay a name"
        );
        assert!(!is_guid("{631a96bc-a705-4eda-9f99-fdaf9f54f6a2}"));
        assert!(!is_guid("631a96bc+a705-4eda-9f99-fdaf9f54f6a2"));
        assert!(!is_guid("my app"));
        assert!(
            !is_guid("ĳ31a96bc-a705-4eda-9f99-fdaf9f54f6a"),
            "36 bytes, not a GUID"
        );
    }

    #[test]
    fn parse_trims_and_lowercases() {
        assert_eq!(
            ObjectId::parse(" 631A96BC-A705-4EDA-9F99-FDAF9F54F6A2 ").map(|i| i.0),
            Ok("631a96bc-a705-4eda-9f99-fdaf9f54f6a2".to_owned())
        );
        let e = SecretId::parse("zz").unwrap_err();
        assert_eq!(
            e.to_string(),
            "'zz' is not a valid Secret ID: expected a GUID"
        );
        assert!("x".parse::<ApplicationId>().is_err());
    }
}
