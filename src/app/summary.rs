//! What this run did, printed to the normal screen after the terminal is restored: exactly what
//! exists in the tenant afterwards, and for a secret nobody holds, the command that deletes it.
//! Masked values only: the hint and asterisks.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::graph::{ApplicationId, SecretId};

/// What became of a secret this run created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// It is in the tenant; `destinations` say who holds its value (none: nobody).
    InTenant,
    /// In the tenant, kept by the user's choice though azsecrets saw no hand-off.
    KeptByUser,
    /// Deleted again by this run: its value reached nobody.
    DeletedAgain,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedSecret {
    pub app: String,
    pub app_id: ApplicationId,
    pub description: String,
    pub secret_id: SecretId,
    /// Hint and asterisks, never the value.
    pub masked: String,
    pub expires: Option<DateTime<Utc>>,
    /// Where the value went ("copied to clipboard, clears at 14:05:33").
    pub destinations: Vec<String>,
    /// Someone holds the value: a confirmed copy, a file written, a paste the user confirmed.
    pub held: bool,
    pub fate: Fate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedSecret {
    pub app: String,
    pub description: String,
    pub secret_id: SecretId,
}

/// An add whose outcome this run could not settle: what is known, and whether a secret from it
/// may still be in the tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsettledAdd {
    pub app: String,
    pub app_id: ApplicationId,
    pub description: String,
    /// The secret it created, when reading back found it (deleting it failed).
    pub secret_id: Option<SecretId>,
    /// What happened, in a sentence.
    pub what: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub created: Vec<CreatedSecret>,
    pub deleted: Vec<DeletedSecret>,
    pub registered: Vec<String>,
    pub unsettled: Vec<UnsettledAdd>,
}

impl Summary {
    pub fn is_empty(&self) -> bool {
        self.created.is_empty()
            && self.deleted.is_empty()
            && self.registered.is_empty()
            && self.unsettled.is_empty()
    }

    /// The secret created with `id`, to update its line.
    pub fn created_mut(&mut self, id: &SecretId) -> Option<&mut CreatedSecret> {
        self.created.iter_mut().rev().find(|c| &c.secret_id == id)
    }
}

/// `"ci-deploy"`, or `(no description)`.
/// A description as the summary shows it: cleaned one-line text (a line feed shows as `↵`, so a
/// tenant's text cannot forge a line of the summary), or a word when there is none.
fn quoted(description: &str) -> String {
    if description.is_empty() {
        "(no description)".to_owned()
    } else {
        format!("\"{}\"", crate::sanitize::clean(description))
    }
}

/// An app's name as the summary shows it (cleaned; `(no name)` when blank).
fn app_name(name: &str) -> std::borrow::Cow<'_, str> {
    crate::sanitize::name(Some(name))
}

fn remove_command(app_id: &ApplicationId, key: &SecretId) -> String {
    format!("azsecrets secrets remove --app {app_id} --key-id {key} --yes")
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "azsecrets: nothing was changed.");
        }
        writeln!(f, "azsecrets: what this run did")?;
        for name in &self.registered {
            writeln!(f, "  Registered app {}", app_name(name))?;
        }
        for c in &self.created {
            let what = quoted(&c.description);
            if c.fate == Fate::DeletedAgain {
                writeln!(
                    f,
                    "  Created client secret {what} on {} and deleted it again",
                    app_name(&c.app)
                )?;
                writeln!(
                    f,
                    "    Secret ID {}: its value reached nobody; nothing of it remains",
                    c.secret_id
                )?;
                continue;
            }
            let expires = c.expires.map_or_else(
                || "no expiry".to_owned(),
                |e| e.format("%Y-%m-%d %H:%M UTC").to_string(),
            );
            writeln!(f, "  Created client secret {what} on {}", app_name(&c.app))?;
            writeln!(
                f,
                "    Secret ID {}, value {}, expires {expires}",
                c.secret_id, c.masked
            )?;
            for d in &c.destinations {
                writeln!(f, "    {d}")?;
            }
            match c.fate {
                Fate::InTenant if !c.held => {
                    if c.destinations.is_empty() {
                        writeln!(
                            f,
                            "    Nobody holds its value (it was never copied or written, and can never be shown again), yet it is still in the tenant."
                        )?;
                    } else {
                        writeln!(
                            f,
                            "    Nothing confirmed that its value arrived; if it did not, nobody holds it, yet it is still in the tenant."
                        )?;
                    }
                    writeln!(
                        f,
                        "    Delete it: {}  (the next start of azsecrets offers this too)",
                        remove_command(&c.app_id, &c.secret_id)
                    )?;
                }
                Fate::KeptByUser => writeln!(
                    f,
                    "    Kept by your choice: azsecrets did not see its value copied or written."
                )?,
                _ => {}
            }
        }
        for u in &self.unsettled {
            writeln!(
                f,
                "  Adding client secret {} to {}: {}",
                quoted(&u.description),
                app_name(&u.app),
                u.what
            )?;
            match &u.secret_id {
                Some(key) => writeln!(
                    f,
                    "    Delete it: {}  (the next start of azsecrets offers this too)",
                    remove_command(&u.app_id, key)
                )?,
                None => writeln!(
                    f,
                    "    The next start of azsecrets checks the app and offers to delete what it finds (or run `azsecrets recover`)."
                )?,
            }
        }
        for d in &self.deleted {
            writeln!(
                f,
                "  Deleted client secret {} from {}",
                quoted(&d.description),
                app_name(&d.app)
            )?;
            writeln!(f, "    Secret ID {}", d.secret_id)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tenant's name or description cannot forge a line of the summary or drive the terminal.
    #[test]
    fn hostile_names_stay_on_their_line() {
        let summary = Summary {
            registered: vec!["new\napp".into()],
            deleted: vec![DeletedSecret {
                app: "billing\u{1b}[2J\nDeleted client secret \"prod\"".into(),
                description: "old\r\n  Secret ID forged".into(),
                secret_id: SecretId::new("b2c3d4e5-0000-4000-8000-0000000001d0"),
            }],
            ..Summary::default()
        };
        let text = summary.to_string();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text}");
        assert!(text.contains("new↵app"), "{text}");
        assert!(text.contains("billing⟨U+001B⟩[2J↵Deleted"), "{text}");
    }
}
