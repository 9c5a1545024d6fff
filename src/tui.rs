//! Terminal init/restore, signals, the event loop, running effects. (in progress)

use crate::cli::{CliError, ExitCode, GlobalArgs};

pub async fn run(_global: &GlobalArgs) -> Result<ExitCode, CliError> {
    Err(CliError::new(ExitCode::Failure, "the TUI is not built yet"))
}
