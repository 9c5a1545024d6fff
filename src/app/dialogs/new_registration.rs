//! New registration: name, supported account types, optional redirect URI. Validation is
//! pure; Graph's answer closes the form and opens the new app, or stays inside it as an error.

use tui_input::Input;
use url::Url;

use crate::app::action::RequestId;
use crate::app::effect::Effect;
use crate::graph::{AppRegistration, NewApplication, SignInAudience, WebSettings};
use crate::keymap::{self, Command, Context};

use super::form::{self, Focused, Form};
use super::{Cx, FollowUp, Outcome, Room, Submit, Submits};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewFocus {
    Name,
    Audience,
    Redirect,
    Register,
    Cancel,
}

impl NewFocus {
    const ORDER: [NewFocus; 5] = [
        NewFocus::Name,
        NewFocus::Audience,
        NewFocus::Redirect,
        NewFocus::Register,
        NewFocus::Cancel,
    ];

    pub fn cycle(self, forward: bool) -> Self {
        let at = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let n = Self::ORDER.len();
        Self::ORDER[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }]
    }
}

/// The portal's limit on an application's display name.
pub const MAX_APP_NAME: usize = 120;

#[derive(Debug)]
pub struct NewRegistration {
    pub name: Input,
    pub audience: usize,
    pub redirect: Input,
    pub focus: NewFocus,
    pub submit: Submit,
}

impl Default for NewRegistration {
    fn default() -> Self {
        Self {
            name: Input::default(),
            audience: 0,
            redirect: Input::default(),
            focus: NewFocus::Name,
            submit: Submit::default(),
        }
    }
}

impl NewRegistration {
    pub fn audience(&self) -> SignInAudience {
        SignInAudience::ALL
            .get(self.audience)
            .copied()
            .unwrap_or_default()
    }

    pub fn request(&self) -> Result<NewApplication, String> {
        let name = self.name.value().trim();
        if name.is_empty() {
            return Err("Enter a name for the application.".into());
        }
        if name.chars().count() > MAX_APP_NAME {
            return Err(format!(
                "The name is too long: at most {MAX_APP_NAME} characters."
            ));
        }
        let redirect = self.redirect.value().trim();
        let web = if redirect.is_empty() {
            None
        } else {
            let url = Url::parse(redirect).map_err(|_| {
                format!(
                    "'{redirect}' is not a valid URL (e.g. https://localhost:5001/signin-oidc)."
                )
            })?;
            let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                return Err("A redirect URI must use https (http only for localhost).".into());
            }
            Some(WebSettings {
                redirect_uris: vec![redirect.to_owned()],
            })
        };
        Ok(NewApplication {
            display_name: name.to_owned(),
            sign_in_audience: self.audience(),
            web,
        })
    }
}

impl Room for NewRegistration {
    fn context(&self) -> Context {
        Context::NewRegistration
    }

    fn pending(&self) -> Option<RequestId> {
        self.submit.pending
    }

    fn in_flight(&self) -> super::InFlight {
        if self.submit.pending.is_some() {
            super::InFlight::Wait
        } else {
            super::InFlight::None
        }
    }

    fn command(&mut self, command: Command, cx: &mut Cx<'_>) -> Outcome {
        form::command(self, command, cx)
    }

    fn input(&mut self, key: &ratatui::crossterm::event::KeyEvent) {
        form::input(self, key);
    }
}

impl Form for NewRegistration {
    type Request = NewApplication;

    fn focused(&self) -> Focused {
        match self.focus {
            NewFocus::Audience => Focused::Choice,
            NewFocus::Register => Focused::Send,
            NewFocus::Cancel => Focused::Cancel,
            NewFocus::Name | NewFocus::Redirect => Focused::Field,
        }
    }

    fn cycle_focus(&mut self, forward: bool) {
        self.focus = self.focus.cycle(forward);
    }

    fn step_choice(&mut self, down: bool) {
        let n = SignInAudience::ALL.len();
        self.audience = if down {
            (self.audience + 1) % n
        } else {
            (self.audience + n - 1) % n
        };
    }

    fn focused_input(&mut self) -> Option<&mut Input> {
        match self.focus {
            NewFocus::Name => Some(&mut self.name),
            NewFocus::Redirect => Some(&mut self.redirect),
            _ => None,
        }
    }

    fn build(&self, _cx: &Cx<'_>) -> Result<NewApplication, String> {
        self.request()
    }

    fn send(&self, request: RequestId, app: NewApplication) -> Effect {
        Effect::CreateApp { request, app }
    }
}

impl Submits for NewRegistration {
    type Answer = AppRegistration;
    type Error = crate::graph::GraphError;

    fn submit_state(&mut self) -> &mut Submit {
        &mut self.submit
    }

    fn succeeded(&mut self, app: AppRegistration) -> Outcome {
        let news = format!(
            "Registered {}. Press {} to add a client secret.",
            app.display_name,
            keymap::key_for(Context::App, Command::NewSecret)
        );
        Outcome::close()
            .then(FollowUp::Info(news))
            .then(FollowUp::AppRegistered(app))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_registration_validation() {
        let mut f = NewRegistration::default();
        assert!(f.request().unwrap_err().contains("name"));
        f.name = Input::new("x".repeat(121));
        assert!(f.request().unwrap_err().contains("too long"));
        f.name = Input::new("payments-api".into());
        f.redirect = Input::new("not a url".into());
        assert!(f.request().unwrap_err().contains("not a valid URL"));
        f.redirect = Input::new("http://example.com/cb".into());
        assert!(f.request().is_err());
        f.redirect = Input::new("http://localhost:5000/cb".into());
        assert!(f.request().is_ok());
    }
}
