//! `azsecrets whoami` and `azsecrets logout`.

use crate::cli::{CliError, ExitCode, OutputFormat};
use crate::session::Session;

pub async fn run(session: &Session, _output: OutputFormat) -> Result<ExitCode, CliError> {
    let org = session
        .client
        .organization()
        .await
        .map_err(CliError::graph)?;
    println!(
        "tenant: {} ({})",
        org.display_name.as_deref().unwrap_or("-"),
        org.id
    );
    println!("signed in via: {}", session.source.label());
    Ok(ExitCode::Ok)
}

pub fn logout() -> Result<ExitCode, CliError> {
    Ok(ExitCode::Ok)
}
