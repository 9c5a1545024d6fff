//! Thin entry: harden the process, parse the CLI, install logging and color-eyre, hand off to
//! the TUI or a command.

use azsecrets::cli::{self, Command, ExitCode};
use azsecrets::{console, hardening};

fn main() -> std::process::ExitCode {
    // First of all: this process will hold tokens and secret values, which a core dump would
    // write to disk (README "Safety"; `AZSECRETS_ALLOW_CORE_DUMPS=1` opts out for debugging).
    if !hardening::opted_out() {
        hardening::deny_core_dumps();
    }
    let cli = cli::parse();

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
            console::err_line(&format!("error: could not start the async runtime: {e}"));
            return ExitCode::Failure.into();
        }
    };
    let result = runtime.block_on(cli::run(cli));
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
