//! The reveal dialog's three destination forms, each a small state machine the dialog holds as
//! a mode: the key vault picker (type-ahead over the vaults Resource Manager lists, free typing
//! of a name or URL, the secret's name; the vault last used for the app preselected, and for a
//! rotation the vault secret that holds the old value), the GitHub Actions target (repository,
//! secret name, environment, and whether to set `AZURE_CLIENT_ID`/`AZURE_TENANT_ID` as
//! variables), and the command line. A form says what the dialog should do next ([`Step`]);
//! the dialog sends.

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::action::RequestId;
use crate::arm::Vault;
use crate::destination::github::{DEFAULT_SECRET_NAME, GitHubTarget};
use crate::destination::{ExecCommand, VaultChoices, VaultTarget, VaultsFound};
use crate::keymap::Command;
use crate::keyvault::{SecretName, VaultRef};

/// What a form asks of the dialog after a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<T> {
    Stay,
    /// Back to the dialog, nothing sent.
    Cancel,
    Send(T),
}

/// The vaults, as far as they are known.
#[derive(Debug)]
pub enum Listing {
    /// Resource Manager is being asked (this request).
    Loading(RequestId),
    Ready(VaultChoices),
    /// Nothing to ask (the tenant is not known yet).
    Unavailable(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultFocus {
    Vault,
    Name,
}

/// One row of the picker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultChoice<'a> {
    /// What was typed, as a vault name or URL (offered when no listed vault has that name).
    Typed(&'a str),
    Listed(&'a Vault),
}

/// Store the value in a key vault.
#[derive(Debug)]
pub struct VaultForm {
    /// A vault's name or URL; also the filter over the listed vaults.
    pub vault: Input,
    /// The secret's name in the vault.
    pub name: Input,
    pub focus: VaultFocus,
    pub listing: Listing,
    /// The highlighted row of [`VaultForm::choices`].
    pub selected: usize,
    pub invalid: Option<String>,
    /// A rotation: where the old secret's value is kept (its vault and name), when found.
    pub holds_old: Option<String>,
    /// The vault field was typed into: what arrives later does not overwrite it.
    touched: bool,
}

impl VaultForm {
    /// `default_name`: the secret's name unless the user changes it (the app's derived name).
    pub fn new(default_name: &SecretName, listing: Listing) -> Self {
        Self {
            vault: Input::default(),
            name: Input::new(default_name.to_string()),
            focus: VaultFocus::Vault,
            listing,
            selected: 0,
            invalid: None,
            holds_old: None,
            touched: false,
        }
    }

    /// The request the listing waits on.
    pub fn loading(&self) -> Option<RequestId> {
        match self.listing {
            Listing::Loading(r) => Some(r),
            _ => None,
        }
    }

    fn listed(&self) -> &[Vault] {
        match &self.listing {
            Listing::Ready(c) => &c.vaults,
            _ => &[],
        }
    }

    /// The rows: what was typed (unless a listed vault has exactly that name), then the listed
    /// vaults whose name contains it, an exact match first. A preselected vault (not typed)
    /// filters nothing: every vault stays listed.
    pub fn choices(&self) -> Vec<VaultChoice<'_>> {
        let typed = self.vault.value().trim();
        let needle = if self.touched {
            typed.to_ascii_lowercase()
        } else {
            String::new()
        };
        let mut listed: Vec<&Vault> = self
            .listed()
            .iter()
            .filter(|v| v.name.to_ascii_lowercase().contains(&needle))
            .collect();
        if self.touched {
            listed.sort_by_key(|v| !v.name.eq_ignore_ascii_case(typed));
        }
        let exact = listed.iter().any(|v| v.name.eq_ignore_ascii_case(typed));
        let mut out = Vec::new();
        if !typed.is_empty() && !exact {
            out.push(VaultChoice::Typed(typed));
        }
        out.extend(listed.into_iter().map(VaultChoice::Listed));
        out
    }

    /// After the text changed: the exact match, else the first listed match, else the text.
    fn reselect(&mut self) {
        let typed = self.vault.value().trim().to_owned();
        let choices = self.choices();
        let exact = choices.iter().position(
            |c| matches!(c, VaultChoice::Listed(v) if v.name.eq_ignore_ascii_case(&typed)),
        );
        self.selected = exact
            .or_else(|| {
                choices
                    .iter()
                    .position(|c| matches!(c, VaultChoice::Listed(_)))
            })
            .unwrap_or(0);
    }

    /// The listing came back: the vaults, and what to preselect (a rotation's vault secret,
    /// else the vault last used), unless the user typed meanwhile.
    pub fn found(&mut self, found: VaultsFound) {
        self.listing = Listing::Ready(found.choices);
        self.holds_old = found
            .tagged
            .as_ref()
            .map(|t| format!("{} as {}", t.vault, t.name));
        if !self.touched {
            if let Some(t) = &found.tagged {
                self.vault = Input::new(t.vault.to_string());
                self.name = Input::new(t.name.to_string());
            } else if let Some(r) = &found.remembered {
                self.vault = Input::new(r.to_string());
            }
        }
        self.reselect();
    }

    pub fn command(&mut self, c: Command) -> Step<VaultTarget> {
        match c {
            Command::Back => return Step::Cancel,
            Command::NextField | Command::PrevField => {
                self.focus = match self.focus {
                    VaultFocus::Vault => VaultFocus::Name,
                    VaultFocus::Name => VaultFocus::Vault,
                };
            }
            Command::Up => self.selected = self.selected.saturating_sub(1),
            Command::Down => {
                let n = self.choices().len();
                if self.selected + 1 < n {
                    self.selected += 1;
                }
            }
            Command::Activate => match self.build() {
                Ok(t) => return Step::Send(t),
                Err(e) => self.invalid = Some(e),
            },
            _ => {}
        }
        Step::Stay
    }

    pub fn input(&mut self, key: &KeyEvent) {
        let field = match self.focus {
            VaultFocus::Vault => &mut self.vault,
            VaultFocus::Name => &mut self.name,
        };
        if field.handle_event(&Event::Key(*key)).is_some() {
            self.invalid = None;
            if self.focus == VaultFocus::Vault {
                self.touched = true;
                self.reselect();
            }
        }
    }

    fn build(&self) -> Result<VaultTarget, String> {
        let name = self.name.value().trim();
        if name.is_empty() {
            return Err("Enter the secret's name in the vault.".into());
        }
        let name = SecretName::parse(name).map_err(|e| e.to_string())?;
        let choices = self.choices();
        let target = match choices.get(self.selected) {
            Some(VaultChoice::Listed(v)) => {
                let vault = v
                    .name
                    .parse::<VaultRef>()
                    .map_err(|e| format!("{}: {e}", v.name))?;
                VaultTarget {
                    vault,
                    uri: v.vault_uri.clone(),
                    name: Some(name),
                    model: Some(v.permission_model()),
                }
            }
            Some(VaultChoice::Typed(t)) => {
                let vault = t.parse::<VaultRef>().map_err(|e| e.to_string())?;
                VaultTarget::new(vault, Some(name))
            }
            None => return Err("Type a vault's name or URL, or choose one from the list.".into()),
        };
        Ok(target)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GitHubFocus {
    Repo,
    Name,
    Environment,
    Variables,
}

impl GitHubFocus {
    const ORDER: [GitHubFocus; 4] = [
        GitHubFocus::Repo,
        GitHubFocus::Name,
        GitHubFocus::Environment,
        GitHubFocus::Variables,
    ];
}

/// Set the value as a GitHub Actions secret (through gh).
#[derive(Debug)]
pub struct GitHubForm {
    /// `OWNER/REPO`.
    pub repo: Input,
    pub name: Input,
    /// Optional: an environment secret instead of a repository secret.
    pub environment: Input,
    /// Also set `AZURE_CLIENT_ID` and `AZURE_TENANT_ID` as variables.
    pub variables: bool,
    pub focus: GitHubFocus,
    pub invalid: Option<String>,
}

impl Default for GitHubForm {
    fn default() -> Self {
        Self {
            repo: Input::default(),
            name: Input::new(DEFAULT_SECRET_NAME.into()),
            environment: Input::default(),
            variables: true,
            focus: GitHubFocus::Repo,
            invalid: None,
        }
    }
}

impl GitHubForm {
    pub fn command(&mut self, c: Command) -> Step<(GitHubTarget, bool)> {
        let at = GitHubFocus::ORDER
            .iter()
            .position(|f| *f == self.focus)
            .unwrap_or(0);
        let n = GitHubFocus::ORDER.len();
        match c {
            Command::Back => return Step::Cancel,
            Command::NextField | Command::Down => self.focus = GitHubFocus::ORDER[(at + 1) % n],
            Command::PrevField | Command::Up => {
                self.focus = GitHubFocus::ORDER[(at + n - 1) % n];
            }
            Command::Activate => match self.build() {
                Ok(t) => return Step::Send((t, self.variables)),
                Err(e) => self.invalid = Some(e),
            },
            _ => {}
        }
        Step::Stay
    }

    pub fn input(&mut self, key: &KeyEvent) {
        let field = match self.focus {
            GitHubFocus::Repo => &mut self.repo,
            GitHubFocus::Name => &mut self.name,
            GitHubFocus::Environment => &mut self.environment,
            GitHubFocus::Variables => {
                if key.code == KeyCode::Char(' ') && key.modifiers == KeyModifiers::NONE {
                    self.variables = !self.variables;
                }
                return;
            }
        };
        if field.handle_event(&Event::Key(*key)).is_some() {
            self.invalid = None;
        }
    }

    fn build(&self) -> Result<GitHubTarget, String> {
        let repo = self.repo.value().trim();
        if repo.is_empty() {
            return Err("Enter the repository as OWNER/REPO.".into());
        }
        let mut spec = format!("{repo}/{}", self.name.value().trim());
        let env = self.environment.value().trim();
        if !env.is_empty() {
            spec.push('@');
            spec.push_str(env);
        }
        GitHubTarget::parse(&spec)
    }
}

/// Run a command with the value on its stdin.
#[derive(Debug, Default)]
pub struct ExecForm {
    pub command: Input,
    pub invalid: Option<String>,
}

impl ExecForm {
    pub fn command(&mut self, c: Command) -> Step<ExecCommand> {
        match c {
            Command::Back => return Step::Cancel,
            Command::Activate => match ExecCommand::parse(self.command.value()) {
                Ok(cmd) => return Step::Send(cmd),
                Err(e) => self.invalid = Some(e),
            },
            _ => {}
        }
        Step::Stay
    }

    pub fn input(&mut self, key: &KeyEvent) {
        if self.command.handle_event(&Event::Key(*key)).is_some() {
            self.invalid = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::Tagged;

    fn vault(name: &str) -> Vault {
        Vault {
            id: format!(
                "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{name}"
            ),
            name: name.into(),
            location: None,
            subscription_id: "x".into(),
            resource_group: Some("rg".into()),
            vault_uri: url::Url::parse(&format!("https://{name}.vault.azure.net/")).ok(),
            tenant_id: None,
            enable_rbac_authorization: Some(true),
        }
    }

    fn typed(f: &mut VaultForm, s: &str) {
        for c in s.chars() {
            f.input(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    fn ready(names: &[&str]) -> VaultForm {
        let mut f = VaultForm::new(&SecretName::for_app("payments-api"), Listing::Loading(1));
        f.found(VaultsFound {
            choices: VaultChoices {
                vaults: names.iter().map(|n| vault(n)).collect(),
                problems: vec![],
            },
            remembered: None,
            tagged: None,
        });
        f
    }

    #[test]
    fn type_ahead_filters_and_free_typing_stays_possible() {
        let mut f = ready(&["contoso-prod-kv", "contoso-dev-kv", "fabrikam-kv"]);
        assert_eq!(f.choices().len(), 3);
        typed(&mut f, "contoso");
        let c = f.choices();
        assert_eq!(
            c[0],
            VaultChoice::Typed("contoso"),
            "what was typed is a choice"
        );
        assert_eq!(c.len(), 3);
        assert_eq!(f.selected, 1, "the first listed match is highlighted");
        let Step::Send(t) = f.command(Command::Activate) else {
            panic!()
        };
        assert_eq!(t.vault.to_string(), "contoso-prod-kv");
        assert!(t.uri.is_some() && t.model.is_some(), "from ARM");
        assert_eq!(
            t.name.map(|n| n.to_string()).as_deref(),
            Some("payments-api")
        );
        // Up reaches the typed text: a vault the listing does not show.
        f.command(Command::Up);
        let Step::Send(t) = f.command(Command::Activate) else {
            panic!()
        };
        assert_eq!(t.vault.to_string(), "contoso");
        assert_eq!(t.uri, None);
        // An exact name has no typed row.
        let mut f = ready(&["contoso-prod-kv"]);
        typed(&mut f, "CONTOSO-PROD-KV");
        assert_eq!(f.choices().len(), 1);
        // Nothing matches: the typed text, checked when sent.
        let mut f = ready(&[]);
        typed(&mut f, "a.b");
        assert!(matches!(f.command(Command::Activate), Step::Stay));
        assert!(f.invalid.is_some());
    }

    #[test]
    fn the_remembered_vault_or_the_rotated_secret_is_preselected() {
        let mut f = VaultForm::new(&SecretName::for_app("payments-api"), Listing::Loading(1));
        f.found(VaultsFound {
            choices: VaultChoices {
                vaults: vec![vault("a-kv"), vault("b-kv")],
                problems: vec![],
            },
            remembered: Some("b-kv".parse().unwrap()),
            tagged: None,
        });
        assert_eq!(f.vault.value(), "b-kv");
        assert_eq!(f.choices()[f.selected], VaultChoice::Listed(&vault("b-kv")));
        assert_eq!(f.choices().len(), 2, "a preselected vault filters nothing");
        let mut f = VaultForm::new(&SecretName::for_app("payments-api"), Listing::Loading(1));
        typed(&mut f, "mine-kv");
        f.found(VaultsFound {
            choices: VaultChoices::default(),
            remembered: Some("b-kv".parse().unwrap()),
            tagged: Some(Tagged {
                vault: "b-kv".parse().unwrap(),
                uri: url::Url::parse("https://b-kv.vault.azure.net/").unwrap(),
                name: SecretName::parse("old-name").unwrap(),
            }),
        });
        assert_eq!(f.vault.value(), "mine-kv", "what the user typed wins");
        let mut f = VaultForm::new(&SecretName::for_app("payments-api"), Listing::Loading(1));
        f.found(VaultsFound {
            choices: VaultChoices::default(),
            remembered: Some("b-kv".parse().unwrap()),
            tagged: Some(Tagged {
                vault: "c-kv".parse().unwrap(),
                uri: url::Url::parse("https://c-kv.vault.azure.net/").unwrap(),
                name: SecretName::parse("old-name").unwrap(),
            }),
        });
        assert_eq!(f.vault.value(), "c-kv");
        assert_eq!(
            f.name.value(),
            "old-name",
            "a new version of the same secret"
        );
    }

    #[test]
    fn github_form_builds_a_target_and_toggles_the_variables() {
        let mut f = GitHubForm::default();
        assert!(matches!(f.command(Command::Activate), Step::Stay));
        assert!(f.invalid.is_some());
        for c in "contoso/billing".chars() {
            f.input(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        f.command(Command::NextField);
        f.command(Command::NextField);
        for c in "prod".chars() {
            f.input(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        f.command(Command::NextField);
        assert_eq!(f.focus, GitHubFocus::Variables);
        f.input(&KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE));
        let Step::Send((t, variables)) = f.command(Command::Activate) else {
            panic!()
        };
        assert!(!variables);
        assert_eq!(t.to_string(), "contoso/billing/AZURE_CLIENT_SECRET@prod");
    }
}
