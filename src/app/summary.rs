//! What this run did, printed to the normal screen after the terminal is restored.
//! Masked values only: the hint and asterisks.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::graph::SecretId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedSecret {
    pub app: String,
    pub description: String,
    pub secret_id: SecretId,
    /// Hint and asterisks, never the value.
    pub masked: String,
    pub expires: Option<DateTime<Utc>>,
    /// Where the value went ("copied to clipboard, clears at 14:05:33").
    pub destinations: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedSecret {
    pub app: String,
    pub description: String,
    pub secret_id: SecretId,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub created: Vec<CreatedSecret>,
    pub deleted: Vec<DeletedSecret>,
    pub registered: Vec<String>,
}

impl Summary {
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.deleted.is_empty() && self.registered.is_empty()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "azsecrets: nothing was changed.");
        }
        writeln!(f, "azsecrets: what this run did")?;
        for name in &self.registered {
            writeln!(f, "  Registered app {name}")?;
        }
        for c in &self.created {
            let expires = c.expires.map_or_else(
                || "no expiry".to_owned(),
                |e| e.format("%Y-%m-%d %H:%M UTC").to_string(),
            );
            writeln!(
                f,
                "  Created client secret \"{}\" on {}",
                c.description, c.app
            )?;
            writeln!(
                f,
                "    Secret ID {}, value {}, expires {expires}",
                c.secret_id, c.masked
            )?;
            if c.destinations.is_empty() {
                writeln!(
                    f,
                    "    the value was never copied or written: it cannot be shown again"
                )?;
            }
            for d in &c.destinations {
                writeln!(f, "    {d}")?;
            }
        }
        for d in &self.deleted {
            writeln!(
                f,
                "  Deleted client secret \"{}\" from {}",
                d.description, d.app
            )?;
            writeln!(f, "    Secret ID {}", d.secret_id)?;
        }
        Ok(())
    }
}
