//! A new federated credential, the portal's scenario picker: GitHub Actions (organization/
//! repository and an entity: branch, environment, pull request or tag), Kubernetes (issuer URL,
//! namespace, service account), or any other issuer (issuer, subject, audience); then a name
//! and a description. The subject is shown live as it is built, and Graph's rules (name,
//! duplicates, the limit) are checked before anything is sent (`crate::federated`).

use tui_input::Input;

use crate::app::action::RequestId;
use crate::app::effect::Effect;
use crate::federated::{self, GitHubEntity, Scenario};
use crate::graph::{
    AppRegistration, FederatedCredential, GraphError, NewFederatedCredential, ObjectId,
};
use crate::keymap::{Command, Context};

use super::form::{self, Focused, Form};
use super::{Cx, FollowUp, InFlight, Outcome, Room, Submit, Submits};

/// The scenarios, in the picker's order.
pub const SCENARIOS: [&str; 3] = [
    "GitHub Actions deploying Azure resources",
    "Kubernetes accessing Azure resources",
    "Other issuer",
];

/// The GitHub entity types, in the picker's order.
pub const ENTITIES: [&str; 4] = ["Branch", "Environment", "Pull request", "Tag"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FicFocus {
    Scenario,
    Repository,
    Entity,
    EntityValue,
    Issuer,
    Namespace,
    ServiceAccount,
    Subject,
    Audience,
    Name,
    Description,
    Add,
    Cancel,
}

#[derive(Debug)]
pub struct NewFederated {
    pub app: ObjectId,
    pub app_name: String,
    pub existing: Vec<FederatedCredential>,
    pub scenario: usize,
    pub entity: usize,
    /// The scenarios' fields (boxed: the dialog stack holds every dialog type).
    pub inputs: Box<FicInputs>,
    pub name: Input,
    pub description: Input,
    pub focus: FicFocus,
    pub submit: Submit,
}

/// The fields of the three scenarios.
#[derive(Debug, Default)]
pub struct FicInputs {
    pub repository: Input,
    pub entity_value: Input,
    pub issuer: Input,
    pub namespace: Input,
    pub service_account: Input,
    pub subject: Input,
    /// Empty: the cloud's default token-exchange audience.
    pub audience: Input,
}

/// The audience shown when none is typed (the runner sends the cloud's own).
pub const DEFAULT_AUDIENCE: &str = "api://AzureADTokenExchange";

impl NewFederated {
    pub fn new(app: &AppRegistration, existing: Vec<FederatedCredential>) -> Self {
        Self {
            app: app.id.clone(),
            app_name: app.display_name.clone(),
            existing,
            scenario: 0,
            entity: 0,
            inputs: Box::default(),
            name: Input::default(),
            description: Input::default(),
            focus: FicFocus::Scenario,
            submit: Submit::default(),
        }
    }

    pub fn focus_order(&self) -> Vec<FicFocus> {
        use FicFocus as F;
        let mut v = vec![F::Scenario];
        match self.scenario {
            0 => {
                v.extend([F::Repository, F::Entity]);
                if self.entity != 2 {
                    v.push(F::EntityValue);
                }
            }
            1 => v.extend([F::Issuer, F::Namespace, F::ServiceAccount]),
            _ => v.extend([F::Issuer, F::Subject, F::Audience]),
        }
        v.extend([F::Name, F::Description, F::Add, F::Cancel]);
        v
    }

    /// The scenario as typed so far.
    pub fn scenario(&self) -> Scenario {
        let v = |i: &Input| i.value().to_owned();
        match self.scenario {
            0 => Scenario::GitHub {
                repository: v(&self.inputs.repository),
                entity: match self.entity {
                    0 => GitHubEntity::Branch(v(&self.inputs.entity_value)),
                    1 => GitHubEntity::Environment(v(&self.inputs.entity_value)),
                    2 => GitHubEntity::PullRequest,
                    _ => GitHubEntity::Tag(v(&self.inputs.entity_value)),
                },
            },
            1 => Scenario::Kubernetes {
                issuer: v(&self.inputs.issuer),
                namespace: v(&self.inputs.namespace),
                service_account: v(&self.inputs.service_account),
            },
            _ => Scenario::Other {
                issuer: v(&self.inputs.issuer),
                subject: v(&self.inputs.subject),
            },
        }
    }

    /// The issuer as it will be sent, if it can be built yet.
    pub fn issuer_preview(&self) -> Option<String> {
        self.scenario().issuer_subject().ok().map(|(i, _)| i)
    }

    /// The name to send: the typed one, or one made from the subject.
    pub fn name_or_suggestion(&self) -> String {
        let typed = self.name.value().trim();
        if !typed.is_empty() {
            return typed.to_owned();
        }
        self.scenario()
            .preview()
            .map(|s| federated::suggest_name(&s))
            .unwrap_or_default()
    }

    pub fn audience(&self) -> Option<String> {
        let a = self.inputs.audience.value().trim();
        (!a.is_empty()).then(|| a.to_owned())
    }

    /// What Graph would refuse, before sending.
    pub fn check(&self) -> Result<NewFederatedCredential, String> {
        let audience = self
            .audience()
            .unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned());
        let description = self.description.value();
        federated::build(
            &self.name_or_suggestion(),
            &self.scenario(),
            &audience,
            Some(description),
            &self.existing,
        )
        .map(|mut c| {
            // The runner puts the cloud's own audience when none was typed.
            if self.audience().is_none() {
                c.audiences.clear();
            }
            c
        })
        .map_err(|e| {
            let mut s = e.to_string();
            if let Some(first) = s.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            format!("{s}.")
        })
    }
}

impl Room for NewFederated {
    fn context(&self) -> Context {
        Context::NewFederated
    }

    fn pending(&self) -> Option<RequestId> {
        self.submit.pending
    }

    fn in_flight(&self) -> InFlight {
        if self.submit.pending.is_some() {
            InFlight::Wait
        } else {
            InFlight::None
        }
    }

    fn command(&mut self, command: Command, cx: &mut Cx<'_>) -> Outcome {
        form::command(self, command, cx)
    }

    fn input(&mut self, key: &ratatui::crossterm::event::KeyEvent) {
        form::input(self, key);
    }
}

/// The request body and the typed audience (`None`: the cloud's default).
pub type FederatedRequest = (NewFederatedCredential, Option<String>);

impl Form for NewFederated {
    type Request = FederatedRequest;

    fn focused(&self) -> Focused {
        match self.focus {
            FicFocus::Scenario | FicFocus::Entity => Focused::Choice,
            FicFocus::Add => Focused::Send,
            FicFocus::Cancel => Focused::Cancel,
            _ => Focused::Field,
        }
    }

    fn cycle_focus(&mut self, forward: bool) {
        let order = self.focus_order();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        self.focus = order[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }];
    }

    fn step_choice(&mut self, down: bool) {
        let step = |i: usize, n: usize| if down { (i + 1) % n } else { (i + n - 1) % n };
        match self.focus {
            FicFocus::Scenario => self.scenario = step(self.scenario, SCENARIOS.len()),
            FicFocus::Entity => self.entity = step(self.entity, ENTITIES.len()),
            _ => {}
        }
        self.submit.invalid = None;
    }

    fn focused_input(&mut self) -> Option<&mut Input> {
        Some(match self.focus {
            FicFocus::Repository => &mut self.inputs.repository,
            FicFocus::EntityValue => &mut self.inputs.entity_value,
            FicFocus::Issuer => &mut self.inputs.issuer,
            FicFocus::Namespace => &mut self.inputs.namespace,
            FicFocus::ServiceAccount => &mut self.inputs.service_account,
            FicFocus::Subject => &mut self.inputs.subject,
            FicFocus::Audience => &mut self.inputs.audience,
            FicFocus::Name => &mut self.name,
            FicFocus::Description => &mut self.description,
            _ => return None,
        })
    }

    fn build(&self, _cx: &Cx<'_>) -> Result<FederatedRequest, String> {
        Ok((self.check()?, self.audience()))
    }

    fn send(&self, request: RequestId, (credential, audience): FederatedRequest) -> Effect {
        Effect::AddFederated {
            request,
            app: self.app.clone(),
            credential,
            audience,
        }
    }
}

impl Submits for NewFederated {
    type Answer = FederatedCredential;
    type Error = GraphError;

    fn submit_state(&mut self) -> &mut Submit {
        &mut self.submit
    }

    fn succeeded(&mut self, made: FederatedCredential) -> Outcome {
        tracing::info!(app = %self.app, credential = %made.id, "federated credential added");
        Outcome::close()
            .then(FollowUp::FederatedChanged(self.app.clone()))
            .then(FollowUp::Info(format!(
                "Added federated credential \"{}\" to {}. Token exchange can take a few minutes to start working.",
                made.name, self.app_name
            )))
    }
}
