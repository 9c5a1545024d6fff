//! The one key map: (context, key) -> command + label. Dispatch, the footer and the `?` help
//! overlay all read this table, so what the footer says is what the keys do.
//!
//! Contexts holding a text field bind no printable characters: unbound keys go to the field.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where the keyboard focus is; the top dialog wins over the screen below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    /// Bindings that work everywhere (checked last).
    Global,
    Apps,
    /// Typing in the apps filter.
    Filter,
    /// The App screen: what every tab shares (moving, tabs, refresh, copy, back).
    App,
    /// The App screen's Client secrets tab (then [`Context::App`]).
    AppSecrets,
    /// The App screen's Certificates tab (then [`Context::App`]).
    AppCertificates,
    /// The App screen's Federated credentials tab (then [`Context::App`]).
    AppFederated,
    /// Upload a certificate (the path and description fields).
    UploadCertificate,
    /// New self-signed certificate.
    NewCertificate,
    /// New federated credential (the scenario picker and its fields).
    NewFederated,
    /// One federated credential shown whole.
    FederatedDetail,
    AddSecret,
    Reveal,
    /// Typing the .env path inside the reveal dialog.
    RevealPath,
    /// "Nobody holds the value: delete the secret or keep it?" inside the reveal dialog.
    RevealConfirmClose,
    /// "The .env file is another app's: replace its values?" inside the reveal dialog.
    RevealConfirmReplace,
    /// Choosing the key vault (and the secret's name) to send the value to.
    RevealVault,
    /// The GitHub repository (and secret name, environment) to send the value to.
    RevealGitHub,
    /// The command line to run with the value on its stdin.
    RevealExec,
    /// "Finishing…": a quit waits for Graph's answer to an add.
    Finishing,
    /// Secrets left by an interrupted run: delete or keep each.
    Recovery,
    ConfirmDelete,
    RotatePrompt,
    NewRegistration,
    CopyMenu,
    Help,
    /// The device-code sign-in screen.
    SignIn,
    /// Choosing a tenant to switch to.
    Tenants,
}

/// What a key asks for. Results of effects are not commands; see `app::Action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    Quit,
    Help,
    Up,
    Down,
    First,
    Last,
    PageUp,
    PageDown,
    Open,
    /// Esc: close the top dialog, clear the filter, or go back. Never quits.
    Back,
    Refresh,
    StartFilter,
    /// Leave the filter field, keeping the filter.
    AcceptFilter,
    NextTab,
    /// Shift-Tab / ← on the App screen: the tab before.
    PrevTab,
    /// `1`/`2`/`3` on the App screen: that tab.
    GoToTab(u8),
    CycleSort,
    NewRegistration,
    NewSecret,
    DeleteSecret,
    RotateSecret,
    /// `u` on the Certificates tab: upload a public certificate.
    UploadCertificate,
    /// `n` on the Certificates tab: a new self-signed certificate.
    NewCertificate,
    /// `d` on the Certificates tab.
    DeleteCertificate,
    /// `n` on the Federated credentials tab.
    NewFederated,
    /// `d` on the Federated credentials tab.
    DeleteFederated,
    CopyMenu,
    NextField,
    PrevField,
    /// Enter in a form or dialog: activate the focused button (or submit).
    Activate,
    ToggleReveal,
    CopyValue,
    CopyEnvBlock,
    WriteEnvFile,
    /// `y`: yes to the question the dialog asks.
    ConfirmYes,
    /// `p` in the reveal dialog: an unconfirmed copy (OSC 52) was pasted and arrived.
    ConfirmPaste,
    /// Keep a secret nobody holds (the reveal's close question, a left-over secret).
    KeepSecret,
    /// `k` in the reveal dialog: store the value in a key vault.
    SendToKeyVault,
    /// `g` in the reveal dialog: set the value as a GitHub Actions secret.
    SendToGitHub,
    /// `x` in the reveal dialog: run a command with the value on its stdin.
    SendToCommand,
    /// `t` in the reveal dialog: check that the new secret signs in.
    TestSignIn,
    CopyItem(u8),
    /// `c` on the sign-in screen: copy the user code.
    CopyCode,
    /// Esc or `q` on the sign-in screen: give up signing in and quit.
    CancelSignIn,
    /// Ctrl-Z: stop the process and give the shell back (the event loop does it).
    Suspend,
    /// `T`: choose another tenant of the signed-in account.
    SwitchTenant,
}

impl Command {
    /// Commands that change the tenant; refused under `--read-only`.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Command::NewRegistration
                | Command::NewSecret
                | Command::DeleteSecret
                | Command::RotateSecret
                | Command::UploadCertificate
                | Command::NewCertificate
                | Command::DeleteCertificate
                | Command::NewFederated
                | Command::DeleteFederated
        )
    }
}

/// A key as the table spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    /// How the keys are written in the footer and help ("j/↓").
    pub shown: &'static str,
    pub command: Command,
    pub label: &'static str,
    /// Shown in the footer (the help overlay shows every binding).
    pub footer: bool,
}

const fn b(
    context: Context,
    keys: &'static [Key],
    shown: &'static str,
    command: Command,
    label: &'static str,
    footer: bool,
) -> Binding {
    Binding {
        context,
        keys,
        shown,
        command,
        label,
        footer,
    }
}

use Command as C;
use Context as X;

const UP: &[Key] = &[k('k'), code(KeyCode::Up)];
const DOWN: &[Key] = &[k('j'), code(KeyCode::Down)];
const FIRST: &[Key] = &[k('g'), code(KeyCode::Home)];
const LAST: &[Key] = &[k('G'), code(KeyCode::End)];
const PGUP: &[Key] = &[code(KeyCode::PageUp), ctrl('u')];
const PGDN: &[Key] = &[code(KeyCode::PageDown), ctrl('d')];
const ENTER: &[Key] = &[code(KeyCode::Enter)];
const ESC: &[Key] = &[code(KeyCode::Esc)];
const TAB: &[Key] = &[code(KeyCode::Tab)];
const BACKTAB: &[Key] = &[code(KeyCode::BackTab)];
const LEFT: &[Key] = &[code(KeyCode::Left)];
const RIGHT: &[Key] = &[code(KeyCode::Right)];
const ARROW_UP: &[Key] = &[code(KeyCode::Up)];
const ARROW_DOWN: &[Key] = &[code(KeyCode::Down)];

/// The table, one binding per line. Order within a context is the order of the footer and
/// help. Keys carry no SHIFT: a capital letter is its own character (see [`lookup`]).
#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    // Apps screen
    b(X::Apps,               ENTER,           "Enter",  C::Open,             "open",            true),
    b(X::Apps,               &[k('/')],       "/",      C::StartFilter,      "filter",          true),
    b(X::Apps,               ESC,             "Esc",    C::Back,             "clear filter",    false),
    b(X::Apps,               TAB,             "Tab",    C::NextTab,          "tabs",            true),
    b(X::Apps,               &[k('s')],       "s",      C::CycleSort,        "sort",            true),
    b(X::Apps,               &[k('r')],       "r",      C::Refresh,          "refresh",         true),
    b(X::Apps,               &[k('N')],       "N",      C::NewRegistration,  "new app",         true),
    b(X::Apps,               &[k('T')],       "T",      C::SwitchTenant,     "tenant",          true),
    b(X::Apps,               UP,              "k/↑",    C::Up,               "up",              false),
    b(X::Apps,               DOWN,            "j/↓",    C::Down,             "down",            false),
    b(X::Apps,               FIRST,           "g",      C::First,            "first",           false),
    b(X::Apps,               LAST,            "G",      C::Last,             "last",            false),
    b(X::Apps,               PGUP,            "PgUp",   C::PageUp,           "page up",         false),
    b(X::Apps,               PGDN,            "PgDn",   C::PageDown,         "page down",       false),
    b(X::Apps,               &[k('q')],       "q",      C::Quit,             "quit",            true),
    // Filter field
    b(X::Filter,             ENTER,           "Enter",  C::AcceptFilter,     "open",            true),
    b(X::Filter,             ESC,             "Esc",    C::Back,             "clear filter",    true),
    b(X::Filter,             ARROW_UP,        "↑",      C::Up,               "up",              false),
    b(X::Filter,             ARROW_DOWN,      "↓",      C::Down,             "down",            false),
    b(X::Filter,             TAB,             "Tab",    C::NextTab,          "all/owned",       false),
    // App screen: each tab's own keys, then what every tab shares
    b(X::AppSecrets,         &[k('n')],       "n",      C::NewSecret,        "new secret",      true),
    b(X::AppSecrets,         &[k('d')],       "d",      C::DeleteSecret,     "delete",          true),
    b(X::AppSecrets,         &[k('R')],       "R",      C::RotateSecret,     "rotate",          true),
    b(X::AppCertificates,    &[k('u')],       "u",      C::UploadCertificate, "upload",         true),
    b(X::AppCertificates,    &[k('n')],       "n",      C::NewCertificate,   "new self-signed", true),
    b(X::AppCertificates,    &[k('d')],       "d",      C::DeleteCertificate, "delete",         true),
    b(X::AppFederated,       &[k('n')],       "n",      C::NewFederated,     "new credential",  true),
    b(X::AppFederated,       ENTER,           "Enter",  C::Open,             "show whole",      true),
    b(X::AppFederated,       &[k('d')],       "d",      C::DeleteFederated,  "delete",          true),
    b(X::App,                &[k('y')],       "y",      C::CopyMenu,         "copy…",           true),
    b(X::App,                TAB,             "Tab",    C::NextTab,          "next tab",        true),
    b(X::App,                BACKTAB,         "S-Tab",  C::PrevTab,          "previous tab",    false),
    b(X::App,                RIGHT,           "→",      C::NextTab,          "next tab",        false),
    b(X::App,                LEFT,            "←",      C::PrevTab,          "previous tab",    false),
    b(X::App,                &[k('1')],       "1",      C::GoToTab(0),       "Certificates",    false),
    b(X::App,                &[k('2')],       "2",      C::GoToTab(1),       "Client secrets",  false),
    b(X::App,                &[k('3')],       "3",      C::GoToTab(2),       "Federated credentials", false),
    b(X::App,                &[k('r')],       "r",      C::Refresh,          "refresh",         true),
    b(X::App,                ESC,             "Esc",    C::Back,             "back",            true),
    b(X::App,                UP,              "k/↑",    C::Up,               "up",              false),
    b(X::App,                DOWN,            "j/↓",    C::Down,             "down",            false),
    b(X::App,                FIRST,           "g",      C::First,            "first",           false),
    b(X::App,                LAST,            "G",      C::Last,             "last",            false),
    b(X::App,                PGUP,            "PgUp",   C::PageUp,           "page up",         false),
    b(X::App,                PGDN,            "PgDn",   C::PageDown,         "page down",       false),
    // Upload a certificate (text fields: no printable keys)
    b(X::UploadCertificate,  TAB,             "Tab",    C::NextField,        "next field",      true),
    b(X::UploadCertificate,  BACKTAB,         "S-Tab",  C::PrevField,        "previous",        false),
    b(X::UploadCertificate,  ENTER,           "Enter",  C::Activate,         "read/upload",     true),
    b(X::UploadCertificate,  ESC,             "Esc",    C::Back,             "cancel",          true),
    // New self-signed certificate
    b(X::NewCertificate,     TAB,             "Tab",    C::NextField,        "next field",      true),
    b(X::NewCertificate,     BACKTAB,         "S-Tab",  C::PrevField,        "previous",        false),
    b(X::NewCertificate,     ARROW_UP,        "↑",      C::Up,               "choice up",       false),
    b(X::NewCertificate,     ARROW_DOWN,      "↓",      C::Down,             "choice down",     true),
    b(X::NewCertificate,     ENTER,           "Enter",  C::Activate,         "create",          true),
    b(X::NewCertificate,     ESC,             "Esc",    C::Back,             "cancel",          true),
    // New federated credential
    b(X::NewFederated,       TAB,             "Tab",    C::NextField,        "next field",      true),
    b(X::NewFederated,       BACKTAB,         "S-Tab",  C::PrevField,        "previous",        false),
    b(X::NewFederated,       ARROW_UP,        "↑",      C::Up,               "choice up",       false),
    b(X::NewFederated,       ARROW_DOWN,      "↓",      C::Down,             "choice down",     true),
    b(X::NewFederated,       ENTER,           "Enter",  C::Activate,         "add",             true),
    b(X::NewFederated,       ESC,             "Esc",    C::Back,             "cancel",          true),
    // One federated credential, whole
    b(X::FederatedDetail,    UP,              "k/↑",    C::Up,               "scroll up",       false),
    b(X::FederatedDetail,    DOWN,            "j/↓",    C::Down,             "scroll down",     false),
    b(X::FederatedDetail,    ESC,             "Esc",    C::Back,             "close",           true),
    b(X::FederatedDetail,    ENTER,           "Enter",  C::Back,             "close",           false),
    // Add a client secret
    b(X::AddSecret,          TAB,             "Tab",    C::NextField,        "next field",      true),
    b(X::AddSecret,          BACKTAB,         "S-Tab",  C::PrevField,        "previous",        false),
    b(X::AddSecret,          ARROW_UP,        "↑",      C::Up,               "choice up",       false),
    b(X::AddSecret,          ARROW_DOWN,      "↓",      C::Down,             "choice down",     true),
    b(X::AddSecret,          ENTER,           "Enter",  C::Activate,         "add",             true),
    b(X::AddSecret,          ESC,             "Esc",    C::Back,             "cancel",          true),
    // Reveal once
    b(X::Reveal,             &[k('v')],       "v",      C::ToggleReveal,     "show/hide",       true),
    b(X::Reveal,             &[k('c')],       "c",      C::CopyValue,        "copy value",      true),
    b(X::Reveal,             &[k('e')],       "e",      C::CopyEnvBlock,     "copy env",        true),
    b(X::Reveal,             &[k('w')],       "w",      C::WriteEnvFile,     "write .env",      true),
    b(X::Reveal,             &[k('p')],       "p",      C::ConfirmPaste,     "paste worked",    false),
    b(X::Reveal,             &[k('k')],       "k",      C::SendToKeyVault,   "key vault",       true),
    b(X::Reveal,             &[k('g')],       "g",      C::SendToGitHub,     "GitHub",          true),
    b(X::Reveal,             &[k('x')],       "x",      C::SendToCommand,    "command",         true),
    b(X::Reveal,             &[k('t')],       "t",      C::TestSignIn,       "test sign-in",    true),
    b(X::Reveal,             ESC,             "Esc",    C::Back,             "close",           true),
    b(X::Reveal,             &[k('q')],       "q",      C::Quit,             "quit",            false),
    b(X::RevealPath,         ENTER,           "Enter",  C::Activate,         "write",           true),
    b(X::RevealPath,         ESC,             "Esc",    C::Back,             "cancel",          true),
    b(X::RevealConfirmClose, TAB,             "Tab",    C::NextField,        "switch",          true),
    b(X::RevealConfirmClose, LEFT,            "←",      C::PrevField,        "switch",          false),
    b(X::RevealConfirmClose, RIGHT,           "→",      C::NextField,        "switch",          false),
    b(X::RevealConfirmClose, ENTER,           "Enter",  C::Activate,         "choose",          true),
    b(X::RevealConfirmClose, &[k('d')],       "d",      C::DeleteSecret,     "delete it",       true),
    b(X::RevealConfirmClose, &[k('k')],       "k",      C::KeepSecret,       "keep it",         true),
    b(X::RevealConfirmClose, &[code(KeyCode::Esc), k('n')], "Esc/n", C::Back, "go back",        true),
    b(X::RevealConfirmReplace, &[k('y')],     "y",      C::ConfirmYes,       "replace them",    true),
    b(X::RevealConfirmReplace, &[code(KeyCode::Esc), k('n')], "Esc/n", C::Back, "keep the file", true),
    b(X::RevealVault,        TAB,             "Tab",    C::NextField,        "next field",      true),
    b(X::RevealVault,        BACKTAB,         "S-Tab",  C::PrevField,        "previous",        false),
    b(X::RevealVault,        ARROW_UP,        "↑",      C::Up,               "vault up",        false),
    b(X::RevealVault,        ARROW_DOWN,      "↓",      C::Down,             "vault down",      true),
    b(X::RevealVault,        ENTER,           "Enter",  C::Activate,         "store",           true),
    b(X::RevealVault,        ESC,             "Esc",    C::Back,             "cancel",          true),
    b(X::RevealGitHub,       TAB,             "Tab",    C::NextField,        "next field",      true),
    b(X::RevealGitHub,       BACKTAB,         "S-Tab",  C::PrevField,        "previous",        false),
    b(X::RevealGitHub,       ARROW_UP,        "↑",      C::Up,               "previous",        false),
    b(X::RevealGitHub,       ARROW_DOWN,      "↓",      C::Down,             "next field",      false),
    b(X::RevealGitHub,       ENTER,           "Enter",  C::Activate,         "set secret",      true),
    b(X::RevealGitHub,       ESC,             "Esc",    C::Back,             "cancel",          true),
    b(X::RevealExec,         ENTER,           "Enter",  C::Activate,         "run",             true),
    b(X::RevealExec,         ESC,             "Esc",    C::Back,             "cancel",          true),
    // Finishing before a quit (Ctrl-C, global, quits at once)
    // Left behind by an interrupted run
    b(X::Recovery,           TAB,             "Tab",    C::NextField,        "switch",          true),
    b(X::Recovery,           LEFT,            "←",      C::PrevField,        "switch",          false),
    b(X::Recovery,           RIGHT,           "→",      C::NextField,        "switch",          false),
    b(X::Recovery,           ENTER,           "Enter",  C::Activate,         "choose",          true),
    b(X::Recovery,           &[k('d')],       "d",      C::DeleteSecret,     "delete it",       true),
    b(X::Recovery,           &[k('k')],       "k",      C::KeepSecret,       "keep it",         true),
    b(X::Recovery,           ESC,             "Esc",    C::Back,             "decide later",    true),
    // Delete confirmation
    b(X::ConfirmDelete,      TAB,             "Tab",    C::NextField,        "switch",          true),
    b(X::ConfirmDelete,      LEFT,            "←",      C::PrevField,        "switch",          false),
    b(X::ConfirmDelete,      RIGHT,           "→",      C::NextField,        "switch",          false),
    b(X::ConfirmDelete,      ENTER,           "Enter",  C::Activate,         "choose",          true),
    b(X::ConfirmDelete,      ESC,             "Esc",    C::Back,             "cancel",          true),
    // Rotate: delete the old one?
    b(X::RotatePrompt,       TAB,             "Tab",    C::NextField,        "switch",          true),
    b(X::RotatePrompt,       LEFT,            "←",      C::PrevField,        "switch",          false),
    b(X::RotatePrompt,       RIGHT,           "→",      C::NextField,        "switch",          false),
    b(X::RotatePrompt,       ENTER,           "Enter",  C::Activate,         "choose",          true),
    b(X::RotatePrompt,       ESC,             "Esc",    C::Back,             "keep both",       true),
    // New registration
    b(X::NewRegistration,    TAB,             "Tab",    C::NextField,        "next field",      true),
    b(X::NewRegistration,    BACKTAB,         "S-Tab",  C::PrevField,        "previous",        false),
    b(X::NewRegistration,    ARROW_UP,        "↑",      C::Up,               "choice up",       false),
    b(X::NewRegistration,    ARROW_DOWN,      "↓",      C::Down,             "choice down",     true),
    b(X::NewRegistration,    ENTER,           "Enter",  C::Activate,         "register",        true),
    b(X::NewRegistration,    ESC,             "Esc",    C::Back,             "cancel",          true),
    // Copy menu
    b(X::CopyMenu,           &[k('1')],       "1",      C::CopyItem(0),      "Application ID",  false),
    b(X::CopyMenu,           &[k('2')],       "2",      C::CopyItem(1),      "Tenant ID",       false),
    b(X::CopyMenu,           &[k('3')],       "3",      C::CopyItem(2),      "Object ID",       false),
    b(X::CopyMenu,           &[k('4')],       "4",      C::CopyItem(3),      "Secret ID",       false),
    b(X::CopyMenu,           UP,              "k/↑",    C::Up,               "up",              true),
    b(X::CopyMenu,           DOWN,            "j/↓",    C::Down,             "down",            true),
    b(X::CopyMenu,           ENTER,           "Enter",  C::Activate,         "copy",            true),
    b(X::CopyMenu,           ESC,             "Esc",    C::Back,             "close",           true),
    // Device-code sign-in
    b(X::SignIn,             &[k('c')],       "c",      C::CopyCode,         "copy code",       true),
    b(X::SignIn,             &[code(KeyCode::Esc), k('q')], "Esc/q", C::CancelSignIn, "cancel and quit", true),
    // Switch tenant
    b(X::Tenants,            UP,              "k/↑",    C::Up,               "up",              true),
    b(X::Tenants,            DOWN,            "j/↓",    C::Down,             "down",            true),
    b(X::Tenants,            ENTER,           "Enter",  C::Activate,         "switch",          true),
    b(X::Tenants,            ESC,             "Esc",    C::Back,             "cancel",          true),
    // Help
    b(X::Help,               ESC,             "Esc",    C::Back,             "close",           true),
    b(X::Help,               &[k('?')],       "?",      C::Back,             "close",           false),
    // Everywhere
    b(X::Global,             &[ctrl('c')],    "Ctrl-C", C::Quit,             "quit",            false),
    b(X::Global,             &[ctrl('z')],    "Ctrl-Z", C::Suspend,          "suspend",         false),
    b(X::Global,             &[k('?'), code(KeyCode::F(1))], "?", C::Help,  "help",            true),
];

/// The event as the table spells keys. A character already says whether Shift was held
/// (`G`, `?`), and terminals disagree on whether they also report SHIFT, so SHIFT is dropped
/// here, once, instead of listing every capital twice in the table.
fn normalize(ev: &KeyEvent) -> Key {
    Key {
        code: ev.code,
        mods: ev.modifiers - KeyModifiers::SHIFT,
    }
}

/// A printable character with no modifier: text, where a field has the focus.
fn is_text(key: &Key) -> bool {
    matches!(key.code, KeyCode::Char(_)) && key.mods == KeyModifiers::NONE
}

/// The binding for `ev` in `context`, falling back to the global ones. Text-input contexts do
/// not see the global `?` (it is a character the user may type); F1 still opens help.
pub fn lookup(context: Context, ev: &KeyEvent) -> Option<&'static Binding> {
    let key = normalize(ev);
    let local = family(context).iter().find_map(|c| {
        BINDINGS
            .iter()
            .find(|b| b.context == *c && b.keys.contains(&key))
    });
    if local.is_some() {
        return local;
    }
    // In a text field a printable key is text, so only the global keys that are not
    // (Ctrl-C, Ctrl-Z, F1) apply there.
    let text = takes_text(context);
    BINDINGS.iter().find(|b| {
        b.context == Context::Global && b.keys.iter().any(|k| *k == key && !(text && is_text(k)))
    })
}

/// Contexts where printable characters are text.
pub fn takes_text(context: Context) -> bool {
    matches!(
        context,
        Context::Filter
            | Context::AddSecret
            | Context::RevealPath
            | Context::NewRegistration
            | Context::RevealVault
            | Context::RevealGitHub
            | Context::RevealExec
            | Context::UploadCertificate
            | Context::NewCertificate
            | Context::NewFederated
    )
}

/// A context and the ones whose keys it also answers, nearest first: each App screen tab
/// shares the screen's keys. `App` alone stands for the whole screen (words that name a key
/// of any tab find it).
fn family(context: Context) -> &'static [Context] {
    use Context as X;
    match context {
        X::AppSecrets => &[X::AppSecrets, X::App],
        X::AppCertificates => &[X::AppCertificates, X::App],
        X::AppFederated => &[X::AppFederated, X::App],
        X::App => &[X::App, X::AppSecrets, X::AppCertificates, X::AppFederated],
        X::Global => &[X::Global],
        X::Apps => &[X::Apps],
        X::Filter => &[X::Filter],
        X::UploadCertificate => &[X::UploadCertificate],
        X::NewCertificate => &[X::NewCertificate],
        X::NewFederated => &[X::NewFederated],
        X::FederatedDetail => &[X::FederatedDetail],
        X::AddSecret => &[X::AddSecret],
        X::Reveal => &[X::Reveal],
        X::RevealVault => &[X::RevealVault],
        X::RevealGitHub => &[X::RevealGitHub],
        X::RevealExec => &[X::RevealExec],
        X::RevealPath => &[X::RevealPath],
        X::RevealConfirmClose => &[X::RevealConfirmClose],
        X::RevealConfirmReplace => &[X::RevealConfirmReplace],
        X::Finishing => &[X::Finishing],
        X::Recovery => &[X::Recovery],
        X::ConfirmDelete => &[X::ConfirmDelete],
        X::RotatePrompt => &[X::RotatePrompt],
        X::NewRegistration => &[X::NewRegistration],
        X::CopyMenu => &[X::CopyMenu],
        X::Help => &[X::Help],
        X::SignIn => &[X::SignIn],
        X::Tenants => &[X::Tenants],
    }
}

/// The bindings of `context` (and the global ones it sees), footer or help order, one per command.
pub fn bindings_for(context: Context) -> impl Iterator<Item = &'static Binding> {
    let global = !takes_text(context);
    // A tab's own keys first, then the screen's; `App` alone lists only the shared ones.
    let own: &'static [Context] = match context {
        Context::App => &[Context::App],
        c => family(c),
    };
    own.iter()
        .flat_map(|c| BINDINGS.iter().filter(move |b| b.context == *c))
        .chain(
            BINDINGS.iter().filter(move |b| {
                global && b.context == Context::Global && context != Context::Help
            }),
        )
}

/// The bindings for `command` in `context`, then the global ones.
fn bound(context: Context, command: Command) -> impl Iterator<Item = &'static Binding> {
    let local = family(context).iter().flat_map(move |c| {
        BINDINGS
            .iter()
            .filter(move |b| b.context == *c && b.command == command)
    });
    let global = BINDINGS
        .iter()
        .filter(move |b| b.context == Context::Global && b.command == command);
    local.chain(global)
}

/// How the key for `command` in `context` is written ("d", "Ctrl-C"), as the footer writes it.
/// Words that name a key take it from here, never from a letter typed into the sentence, so
/// they follow the table.
pub fn key_for(context: Context, command: Command) -> &'static str {
    #[cfg(test)]
    if let Some(shown) = test_rebind::get(context, command) {
        return shown;
    }
    match bound(context, command).next() {
        Some(b) => b.shown,
        None => {
            // A sentence names a key the table does not have: a bug the tests catch.
            debug_assert!(false, "no key for {command:?} in {context:?}");
            "(unbound)"
        }
    }
}

/// Every key for `command` in `context`, as a sentence says them: "Esc or q".
pub fn keys_said(context: Context, command: Command) -> String {
    #[cfg(test)]
    if let Some(shown) = test_rebind::get(context, command) {
        return shown.to_owned();
    }
    let words: Vec<&str> = bound(context, command)
        .flat_map(|b| b.shown.split('/'))
        .collect();
    debug_assert!(!words.is_empty(), "no key for {command:?} in {context:?}");
    words.join(" or ")
}

/// Unit tests rebind a key for the length of one closure, to show that the words follow the
/// table rather than a letter written into them.
#[cfg(test)]
pub(crate) mod test_rebind {
    use std::cell::RefCell;

    use super::{Command, Context};

    thread_local! {
        static REBOUND: RefCell<Vec<(Context, Command, &'static str)>> = const { RefCell::new(Vec::new()) };
    }

    pub(crate) fn get(context: Context, command: Command) -> Option<&'static str> {
        REBOUND.with(|r| {
            r.borrow()
                .iter()
                .find(|(x, c, _)| *x == context && *c == command)
                .map(|(_, _, s)| *s)
        })
    }

    /// Run `f` with `command` in `context` shown as `shown`.
    pub(crate) fn with<T>(
        context: Context,
        command: Command,
        shown: &'static str,
        f: impl FnOnce() -> T,
    ) -> T {
        REBOUND.with(|r| r.borrow_mut().push((context, command, shown)));
        let out = f();
        REBOUND.with(|r| r.borrow_mut().pop());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn each_key_is_bound_once_per_context() {
        for a in BINDINGS {
            for b in BINDINGS {
                if std::ptr::eq(a, b) || a.context != b.context {
                    continue;
                }
                for ka in a.keys {
                    assert!(
                        !b.keys.contains(ka),
                        "{:?} bound twice in {:?}",
                        ka,
                        a.context
                    );
                }
            }
        }
    }

    #[test]
    fn text_contexts_bind_no_printable_keys() {
        for b in BINDINGS.iter().filter(|b| takes_text(b.context)) {
            for k in b.keys {
                assert!(
                    !(matches!(k.code, KeyCode::Char(_)) && k.mods == KeyModifiers::NONE),
                    "{:?} would eat typed text in {:?}",
                    k,
                    b.context
                );
            }
        }
    }

    #[test]
    fn lookup_falls_back_to_global_and_accepts_shifted_capitals() {
        let q = lookup(
            Context::App,
            &key(KeyCode::Char('c'), KeyModifiers::CONTROL),
        );
        assert_eq!(q.map(|b| b.command), Some(Command::Quit));
        let r = lookup(Context::App, &key(KeyCode::Char('R'), KeyModifiers::SHIFT));
        assert_eq!(r.map(|b| b.command), Some(Command::RotateSecret));
        assert!(
            lookup(
                Context::Filter,
                &key(KeyCode::Char('?'), KeyModifiers::NONE)
            )
            .is_none()
        );
        assert!(
            lookup(
                Context::Filter,
                &key(KeyCode::Char('q'), KeyModifiers::NONE)
            )
            .is_none()
        );
    }

    #[test]
    fn the_table_lists_no_shift_and_lookup_accepts_it() {
        for b in BINDINGS {
            for k in b.keys {
                assert!(
                    !k.mods.contains(KeyModifiers::SHIFT),
                    "{k:?} in {:?}: lookup drops SHIFT, so the table never lists it",
                    b.context
                );
            }
        }
        for mods in [KeyModifiers::NONE, KeyModifiers::SHIFT] {
            let g = lookup(Context::Apps, &key(KeyCode::Char('G'), mods));
            assert_eq!(g.map(|b| b.command), Some(Command::Last), "{mods:?}");
            let back = lookup(Context::AddSecret, &key(KeyCode::BackTab, mods));
            assert_eq!(
                back.map(|b| b.command),
                Some(Command::PrevField),
                "{mods:?}"
            );
        }
    }

    #[test]
    fn ctrl_z_suspends_everywhere_and_help_lists_it() {
        for ctx in [
            Context::Apps,
            Context::Filter,
            Context::AddSecret,
            Context::SignIn,
        ] {
            let z = lookup(ctx, &key(KeyCode::Char('z'), KeyModifiers::CONTROL));
            assert_eq!(z.map(|b| b.command), Some(Command::Suspend), "{ctx:?}");
        }
        assert!(bindings_for(Context::App).any(|b| b.command == Command::Suspend));
        // A plain z is still text in a field.
        assert!(
            lookup(
                Context::Filter,
                &key(KeyCode::Char('z'), KeyModifiers::NONE)
            )
            .is_none()
        );
    }

    #[test]
    fn key_words_come_from_the_table() {
        assert_eq!(key_for(Context::App, Command::DeleteSecret), "d");
        assert_eq!(key_for(Context::Reveal, Command::Back), "Esc");
        // Global bindings answer for any context without its own (the reveal dialog binds q).
        assert_eq!(key_for(Context::AddSecret, Command::Quit), "Ctrl-C");
        assert_eq!(keys_said(Context::Reveal, Command::Quit), "q or Ctrl-C");
        assert_eq!(
            keys_said(Context::SignIn, Command::CancelSignIn),
            "Esc or q"
        );
        assert_eq!(keys_said(Context::Help, Command::Back), "Esc or ?");
        let shown = test_rebind::with(Context::App, Command::DeleteSecret, "Del", || {
            key_for(Context::App, Command::DeleteSecret)
        });
        assert_eq!(shown, "Del");
        assert_eq!(
            key_for(Context::App, Command::DeleteSecret),
            "d",
            "rebinding ends"
        );
    }
}
