//! `azsecrets secrets list|add|remove`.

use crate::cli::{CliError, ExitCode, GlobalArgs, SecretsCommand};
use crate::session::Session;

pub async fn run(
    _session: &Session,
    _global: &GlobalArgs,
    _cmd: SecretsCommand,
) -> Result<ExitCode, CliError> {
    Err(CliError::new(
        ExitCode::Failure,
        "secrets commands are not built yet",
    ))
}
