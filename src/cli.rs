//! The command line: the only module that knows clap. It parses the flags once
//! ([`args`]), builds plain configuration from them ([`config`]), runs the terminal UI or one
//! non-interactive command (the scripting twin), and maps every layer's error to an exit code
//! and words in one place ([`error`]).

pub mod apps;
pub mod args;
pub mod certs;
pub mod config;
pub mod delivery;
pub mod error;
pub mod exit;
pub mod federated;
pub mod man;
pub mod output;
pub mod recover;
pub mod resolve;
pub mod rotate;
pub mod sandbox;
pub mod secrets;
mod spool;
pub mod whoami;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

pub use args::{
    AppsCommand, AuthMethod, CertsCommand, Cli, ClipboardChoice, Command, FederatedCommand,
    GlobalArgs, ListSort, OutputFormat, SandboxCommand, SandboxServeArgs, SecretsCommand,
};
pub use config::Settings;
pub use error::{CliError, advice};
pub use exit::ExitCode;

/// Parse the process's arguments, or print clap's message (with a hint when a global option
/// came after the command) and exit with code 2.
pub fn parse() -> Cli {
    match try_parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            let hint = misplaced_global(&e);
            let _ = e.print();
            if let Some(flag) = hint {
                crate::console::err_line(&format!(
                    "\nnote: {flag} is a global option: write it before the command, as in `azsecrets {flag} secrets list`"
                ));
            }
            std::process::exit(code);
        }
    }
}

/// [`parse`] without exiting: for tests.
pub fn try_parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut cmd = Cli::command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    refuse_session_flags_on_serve(&mut cmd, &matches)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// `sandbox serve` is the sandbox: the options that choose a tenant, a sign-in or a clipboard
/// mean nothing to it, so they are refused rather than silently ignored.
fn refuse_session_flags_on_serve(
    cmd: &mut clap::Command,
    matches: &ArgMatches,
) -> Result<(), clap::Error> {
    if matches.subcommand_name() != Some("sandbox") {
        return Ok(());
    }
    let given: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.get_help_heading() == Some("Global options"))
        .filter(|a| a.get_id() != "log_file")
        .filter(|a| matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine))
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    match given.first() {
        None => Ok(()),
        Some(flag) => Err(cmd.error(
            ErrorKind::ArgumentConflict,
            format!("{flag} does not apply to `azsecrets sandbox serve`, which runs the emulated tenant on its own (only --log-file does)"),
        )),
    }
}

/// The global option a "not expected here" error is about, if it is one.
fn misplaced_global(e: &clap::Error) -> Option<String> {
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let flag = arg.split('=').next().unwrap_or(arg);
    Cli::command()
        .get_arguments()
        .filter(|a| a.get_help_heading() == Some("Global options"))
        .filter_map(|a| a.get_long())
        .any(|l| flag == format!("--{l}"))
        .then(|| flag.to_owned())
}

/// Run what the flags ask for: the terminal UI, or one command.
pub async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let global = cli.global;
    if matches!(
        cli.command,
        Some(
            Command::Apps(_)
                | Command::Secrets(_)
                | Command::Certs(_)
                | Command::Federated(_)
                | Command::Whoami { .. }
        )
    ) {
        recover::warn_pending(&global.session());
    }
    match cli.command {
        None => {
            crate::tui::run(global.tui()).await?;
            Ok(ExitCode::Ok)
        }
        Some(Command::Completions { shell }) => {
            // Into memory first: clap_complete panics when its writer fails (`| head`).
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "azsecrets", &mut script);
            output::emit(&script)?;
            Ok(ExitCode::Ok)
        }
        Some(Command::Man) => man::print(),
        Some(Command::Sandbox(SandboxCommand::Serve(args))) => sandbox::serve(args.config()).await,
        Some(Command::Apps(AppsCommand::List {
            filter,
            search,
            prefix,
            owned,
            sort,
            output,
        })) => {
            let opts = apps::ListOptions {
                filter,
                search,
                prefix,
                owned,
                sort,
                format: output,
                concurrency: usize::from(global.list_concurrency),
            };
            apps::list(&global.session(), opts).await
        }
        Some(Command::Secrets(cmd)) => {
            secrets::run(cmd, &global.session(), global.settings()).await
        }
        Some(Command::Certs(cmd)) => certs::run(cmd, &global.session(), global.settings()).await,
        Some(Command::Federated(cmd)) => {
            federated::run(cmd, &global.session(), global.settings()).await
        }
        Some(Command::Whoami { output }) => whoami::run(&global.session(), output).await,
        Some(Command::Recover { yes }) => {
            recover::run(&global.session(), global.settings(), yes).await
        }
        Some(Command::Logout) => whoami::logout(),
        // Handled in `main` before any runtime or logging starts.
        Some(Command::ClipboardHolder { .. }) => Ok(ExitCode::Ok),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let mut argv = vec!["azsecrets"];
        argv.extend_from_slice(args);
        try_parse(argv)
    }

    #[test]
    fn global_options_go_before_the_command() {
        assert!(parse(&["--sandbox", "secrets", "list"]).is_ok());
        let e = parse(&["secrets", "list", "--sandbox"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownArgument);
        assert_eq!(misplaced_global(&e).as_deref(), Some("--sandbox"));
        let e = parse(&["apps", "list", "--clipboard=none"]).unwrap_err();
        assert_eq!(misplaced_global(&e).as_deref(), Some("--clipboard"));
        let e = parse(&["apps", "list", "--nope"]).unwrap_err();
        assert_eq!(misplaced_global(&e), None);
    }

    #[test]
    fn sandbox_serve_takes_no_session_options() {
        assert!(parse(&["sandbox", "serve", "--apps", "3"]).is_ok());
        assert!(parse(&["--log-file", "/tmp/x.log", "sandbox", "serve"]).is_ok());
        for flags in [
            vec!["--sandbox"],
            vec!["--clipboard", "none"],
            vec!["--tenant", "x"],
            vec!["--read-only"],
        ] {
            let mut a = flags.clone();
            a.extend(["sandbox", "serve"]);
            let e = parse(&a).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ArgumentConflict, "{flags:?}");
            assert!(e.to_string().contains(flags[0]), "{e}");
            let mut a = vec!["sandbox", "serve"];
            a.extend(flags.iter().copied());
            assert!(parse(&a).is_err(), "{flags:?} after serve");
        }
    }

    /// Every option and argument a user can see says what it is for.
    #[test]
    fn every_visible_flag_has_a_help_line() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if a.is_hide_set() || id == "help" || id == "version" {
                    continue;
                }
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (about)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        walk(&cmd, "azsecrets", &mut missing);
        assert!(missing.is_empty(), "no help line: {missing:?}");
    }

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
