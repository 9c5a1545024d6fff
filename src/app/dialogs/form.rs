//! What the two forms (Add a client secret, New registration) share: the submit state and
//! the one protocol for their keys: Tab and the arrows move the focus or change the focused
//! choice, Enter activates the focused button, Esc cancels, and nothing but a note happens
//! while Graph has the request.

use tui_input::Input;

use crate::app::READ_ONLY_REASON;
use crate::app::action::RequestId;
use crate::app::effect::Effect;
use crate::app::loadable::ErrorInfo;
use crate::keymap::Command;

use super::{Cx, FollowUp, Outcome, Submits};

/// A submit's state: the request in flight, invalid input, or Graph's refusal.
#[derive(Debug, Default)]
pub struct Submit {
    pub pending: Option<RequestId>,
    /// Inline message for invalid input (set on submit, cleared on edit).
    pub invalid: Option<String>,
    /// Graph's refusal, explained; the dialog stays open.
    pub error: Option<ErrorInfo>,
}

/// What the focused row is, as the protocol sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focused {
    /// A list of choices: the arrows change the choice.
    Choice,
    /// The button that sends.
    Send,
    Cancel,
    /// A text field.
    Field,
}

/// A form: its focus, its choice list, its fields, and how its request is built and sent.
pub trait Form: Submits {
    /// The validated request body.
    type Request;

    /// What Esc says while the request is pending (`None`: nothing).
    const WAITING: Option<&'static str> = None;

    fn focused(&self) -> Focused;
    fn cycle_focus(&mut self, forward: bool);
    fn step_choice(&mut self, down: bool);
    fn focused_input(&mut self) -> Option<&mut Input>;

    /// Validate the fields, or say what is wrong in words.
    fn build(&self, cx: &Cx<'_>) -> Result<Self::Request, String>;

    /// The effect that sends `body` as `request`.
    fn send(&self, request: RequestId, body: Self::Request) -> Effect;
}

/// A form's command.
pub fn command<F: Form>(form: &mut F, c: Command, cx: &mut Cx<'_>) -> Outcome {
    if form.submit_state().pending.is_some() {
        // Closing now would lose Graph's answer (for a new secret: its value).
        return match (c, F::WAITING) {
            (Command::Back, Some(note)) => Outcome::stay().then(FollowUp::Info(note.to_owned())),
            _ => Outcome::stay(),
        };
    }
    match c {
        Command::NextField => form.cycle_focus(true),
        Command::PrevField => form.cycle_focus(false),
        Command::Up | Command::Down if form.focused() == Focused::Choice => {
            form.step_choice(c == Command::Down);
        }
        Command::Up => form.cycle_focus(false),
        Command::Down => form.cycle_focus(true),
        Command::Back => return Outcome::close(),
        Command::Activate => match form.focused() {
            Focused::Cancel => return Outcome::close(),
            Focused::Send => return send(form, cx),
            Focused::Choice | Focused::Field => form.cycle_focus(true),
        },
        _ => {}
    }
    Outcome::stay()
}

/// Text for the focused field; an edit clears the inline message.
pub fn input<F: Form>(form: &mut F, key: &ratatui::crossterm::event::KeyEvent) {
    use tui_input::backend::crossterm::EventHandler;
    if form.submit_state().pending.is_some() {
        return;
    }
    if let Some(i) = form.focused_input() {
        i.handle_event(&ratatui::crossterm::event::Event::Key(*key));
        form.submit_state().invalid = None;
    }
}

fn send<F: Form>(form: &mut F, cx: &mut Cx<'_>) -> Outcome {
    if cx.read_only {
        form.submit_state().invalid = Some(format!("Disabled: {READ_ONLY_REASON}."));
        return Outcome::stay();
    }
    match form.build(cx) {
        Err(message) => {
            form.submit_state().invalid = Some(message);
            Outcome::stay()
        }
        Ok(body) => {
            let request = cx.request();
            let state = form.submit_state();
            state.pending = Some(request);
            state.error = None;
            state.invalid = None;
            Outcome::stay().effect(form.send(request, body))
        }
    }
}
