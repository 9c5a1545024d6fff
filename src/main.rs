//! Thin entry: parse the CLI, install logging and color-eyre, hand off to the TUI or a command.

use clap::{CommandFactory, Parser};

use azsecrets::cli::{self, AppsCommand, Cli, CliError, Command, ExitCode, SandboxCommand};
use azsecrets::session::Session;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();

    // The clipboard holder is a tiny detached process: no logging, no runtime of ours.
    if let Some(Command::ClipboardHolder { timeout }) = &cli.command {
        return azsecrets::handoff::holder_main(*timeout);
    }

    let _guard = azsecrets::logging::init(cli.global.log_file.as_deref());
    let _ = color_eyre::install();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::Failure.into();
        }
    };
    let result = runtime.block_on(run(cli));
    // Do not wait for lingering background tasks (e.g. the sandbox) at exit.
    runtime.shutdown_background();
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            e.report();
            e.code.into()
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let global = cli.global;
    match cli.command {
        None => azsecrets::tui::run(&global).await,
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "azsecrets", &mut std::io::stdout());
            Ok(ExitCode::Ok)
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut std::io::stdout()).map_err(|e| {
                CliError::new(
                    ExitCode::Failure,
                    format!("could not write the man page: {e}"),
                )
            })?;
            Ok(ExitCode::Ok)
        }
        Some(Command::Sandbox(SandboxCommand::Serve(args))) => {
            azsecrets::sandbox::serve_cli(&args).await
        }
        Some(Command::Apps(AppsCommand::List {
            filter,
            owned,
            output,
        })) => {
            let session = Session::start(&global).await.map_err(CliError::session)?;
            cli::apps::list(&session.client, filter, owned, output).await
        }
        Some(Command::Secrets(cmd)) => {
            let session = Session::start(&global).await.map_err(CliError::session)?;
            cli::secrets::run(&session, &global, cmd).await
        }
        Some(Command::Whoami { output }) => {
            let session = Session::start(&global).await.map_err(CliError::session)?;
            cli::whoami::run(&session, output).await
        }
        Some(Command::Logout) => cli::whoami::logout(),
        Some(Command::ClipboardHolder { .. }) => Ok(ExitCode::Ok),
    }
}
