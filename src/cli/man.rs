//! `azsecrets man`: one man page for the whole program. clap_mangen writes the head and the
//! global options; the commands, the terminal UI's keys (from the key map itself), exit status,
//! environment and files are written here. It refers to no other page: there is only this one.

use std::io::Write;

use clap::CommandFactory;
use clap_mangen::roff::{Roff, bold, italic, roman};

use crate::keymap::BINDINGS;

use super::exit::ExitCode;
use super::{Cli, CliError};

/// The variables azsecrets reads, and what for.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "AZSECRETS_ACCESS_TOKEN",
        "A ready Graph access token; the first sign-in source tried (--auth token uses it alone).",
    ),
    (
        "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET",
        "A service principal's client credentials; tried after AZSECRETS_ACCESS_TOKEN (--auth env uses them alone). AZURE_TENANT_ID is also the default for --tenant.",
    ),
    (
        "AZSECRETS_GRAPH_URL, AZSECRETS_LOGIN_URL",
        "Defaults for --graph-url and --login-url.",
    ),
    (
        "AZSECRETS_LOG",
        "The log filter (tracing's syntax, e.g. debug or azsecrets=trace).",
    ),
    (
        "XDG_CACHE_HOME",
        "Where the sign-in cache goes (default ~/.cache).",
    ),
    (
        "XDG_STATE_HOME",
        "Where the default log file and the creation journal go (default ~/.local/state).",
    ),
    ("COLUMNS", "The width of command tables (default 80)."),
    (
        "DISPLAY, WAYLAND_DISPLAY, SSH_TTY, SSH_CONNECTION, TMUX",
        "How --clipboard auto reaches a clipboard: the desktop's when there is a display and no SSH session, else the terminal's (OSC 52).",
    ),
    (
        "XDG_CONFIG_HOME",
        "Where the config file goes (default ~/.config): the key vault last used per app.",
    ),
    (
        "AZSECRETS_VAULT_URL_TEMPLATE, AZSECRETS_ARM_URL",
        "Defaults for --vault-url-template and --arm-url.",
    ),
    (
        "PATH",
        "Where the Azure CLI (az), the GitHub CLI (gh, for --to github:) and exec: commands are looked for.",
    ),
];

/// The files azsecrets writes on its own.
const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CACHE_HOME/azsecrets/signin.json",
        "The device-code sign-in's refresh tokens, readable by the owner only (the folder is created 0700). azsecrets logout removes it.",
    ),
    (
        "$XDG_STATE_HOME/azsecrets/azsecrets.log",
        "The default log file (see --log-file), readable by the owner only. It never holds a secret value or a token.",
    ),
    (
        "$XDG_STATE_HOME/azsecrets/journal.jsonl",
        "The creation journal: every client secret azsecrets sets out to create (app, description, dates, Secret ID; never its value), until its value was handed off or it was deleted again. What an interrupted run left is offered for deletion at the next start and by azsecrets recover. Readable by the owner only; emptied when nothing in it is open.",
    ),
    (
        "$XDG_CONFIG_HOME/azsecrets/config.json",
        "The key vault last used for each app in each tenant (tenant and application ids, vault names or URLs; never a value, a token or a secret's name), preselected the next time. Readable by the owner only; safe to delete.",
    ),
];

/// Write the page to stdout.
pub fn print() -> Result<ExitCode, CliError> {
    let mut out = std::io::stdout().lock();
    render(&mut out)
        .and_then(|()| out.flush())
        .map_err(CliError::output)?;
    Ok(ExitCode::Ok)
}

/// The whole page, as roff.
pub fn render(w: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;

    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in visible_subcommands(&cmd) {
        commands(&mut roff, sub, "azsecrets");
    }
    keys(&mut roff);
    roff.control("SH", ["EXIT STATUS"]);
    for code in ExitCode::ALL {
        roff.control("TP", []);
        roff.text([bold((code as u8).to_string())]);
        roff.text([roman(code.meaning())]);
    }
    section(&mut roff, "ENVIRONMENT", ENVIRONMENT);
    section(&mut roff, "FILES", FILES);
    roff.to_writer(w)?;
    man.render_version_section(w)
}

fn visible_subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// One sub-section per command that does something (`azsecrets secrets add`), with its options.
fn commands(roff: &mut Roff, cmd: &clap::Command, parent: &str) {
    let name = format!("{parent} {}", cmd.get_name());
    if cmd.has_subcommands() {
        for sub in visible_subcommands(cmd) {
            commands(roff, sub, &name);
        }
        return;
    }
    roff.control("SS", [name.as_str()]);
    if let Some(about) = cmd.get_long_about().or_else(|| cmd.get_about()) {
        roff.text([roman(about.to_string())]);
    }
    for arg in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && a.get_id() != "help")
    {
        roff.control("TP", []);
        let value = arg
            .get_value_names()
            .map(|v| v.join(" "))
            .unwrap_or_else(|| arg.get_id().as_str().to_ascii_uppercase());
        let mut head = Vec::new();
        match arg.get_long() {
            Some(long) => {
                head.push(bold(format!("--{long}")));
                if arg.get_action().takes_values() {
                    head.push(roman(" "));
                    head.push(italic(value));
                }
            }
            None => head.push(italic(value)),
        }
        roff.text(head);
        let mut body = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        if !body.is_empty() && !body.ends_with('.') {
            body.push('.');
        }
        let possible: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|p| !p.is_hide_set())
            .map(|p| p.get_name().to_owned())
            .collect();
        if !possible.is_empty() {
            body.push_str(&format!(" One of: {}.", possible.join(", ")));
        }
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|d| d.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() && arg.get_action().takes_values() {
            body.push_str(&format!(" Default: {}.", defaults.join(", ")));
        }
        roff.text([roman(body.trim().to_owned())]);
    }
}

/// The terminal UI's keys, straight from the key map: one sub-section per place the keyboard
/// focus can be, in the table's order.
fn keys(roff: &mut Roff) {
    roff.control("SH", ["KEYS"]);
    roff.text([roman(
        "Without a command, azsecrets opens the terminal UI. Its keys, where they apply (? shows them in the UI too):",
    )]);
    let mut contexts = Vec::new();
    for b in BINDINGS {
        if !contexts.contains(&b.context) {
            contexts.push(b.context);
        }
    }
    for context in contexts {
        roff.control("SS", [context_title(&format!("{context:?}")).as_str()]);
        for b in BINDINGS.iter().filter(|b| b.context == context) {
            roff.control("TP", []);
            roff.text([bold(b.shown)]);
            roff.text([roman(b.label)]);
        }
    }
}

/// `AddSecret` → "Add secret".
fn context_title(debug_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in debug_name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn section(roff: &mut Roff, title: &str, items: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (name, what) in items {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*what)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_titles_read_as_words() {
        assert_eq!(context_title("AddSecret"), "Add secret");
        assert_eq!(context_title("Global"), "Global");
        assert_eq!(context_title("RevealConfirmClose"), "Reveal confirm close");
    }

    #[test]
    fn the_page_has_every_section_and_every_key() {
        let mut out = Vec::new();
        render(&mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        for s in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH \"GLOBAL OPTIONS\"",
            ".SH COMMANDS",
            ".SH KEYS",
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
        ] {
            assert!(page.contains(s), "{s} missing");
        }
        for b in BINDINGS {
            // roff writes a hyphen as `\-`.
            let label = b.label.replace('-', "\\-");
            assert!(page.contains(&label), "{} missing", b.label);
        }
        assert!(page.contains(".SS \"azsecrets secrets add\""), "{page}");
        assert!(!page.contains("(1)"), "refers to no other page");
    }
}
