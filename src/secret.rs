//! The secret value type. A client secret's value exists once (the `addPassword` response);
//! it lives here, inside `secrecy`, zeroized on drop, and never formats: Debug and Display print
//! a redaction. Only `expose()` gives the text, and only hand-off code should call it.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// What Debug and Display print instead of the value.
pub const REDACTED: &str = "[REDACTED]";

/// A client secret's value (Graph `secretText`). Not `Clone`: there is one copy.
pub struct SecretValue(SecretString);

impl SecretValue {
    pub fn new(value: String) -> Self {
        Self(SecretString::from(value))
    }

    /// The first three characters, as Graph's `hint`.
    pub fn hint(&self) -> String {
        self.0.expose_secret().chars().take(3).collect()
    }

    /// Hint and asterisks, the only form that may appear on a normal screen or in a summary.
    pub fn masked(&self) -> String {
        format!("{}*****", self.hint())
    }

    /// The value itself. Callers must not log, format or store it in a plain `String`
    /// that outlives the hand-off.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn len(&self) -> usize {
        self.0.expose_secret().len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        SecretString::deserialize(d).map(Self)
    }
}

impl From<SecretString> for SecretValue {
    fn from(s: SecretString) -> Self {
        Self(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let v = SecretValue::new("Q_e8Q~ZDWJD.bkgajbREp-VFFUayCuEk8b1hDcr9".into());
        assert_eq!(format!("{v}"), REDACTED);
        assert_eq!(format!("{v:?}"), REDACTED);
        assert_eq!(format!("{:?}", Some(&v)), format!("Some({REDACTED})"));
        assert_eq!(v.hint(), "Q_e");
        assert_eq!(v.masked(), "Q_e*****");
        assert_eq!(v.len(), 40);
    }

    #[test]
    fn deserializes_from_json() {
        let v: SecretValue = serde_json::from_str("\"abcdef\"").expect("valid json");
        assert_eq!(v.expose(), "abcdef");
    }
}
