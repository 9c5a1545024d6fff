//! `azsecrets sandbox serve`: start the emulated tenant, say how to reach it, serve until stopped.

use secrecy::ExposeSecret;

use crate::sandbox::{self, SandboxConfig};

use super::{CliError, ExitCode};

pub async fn serve(config: SandboxConfig) -> Result<ExitCode, CliError> {
    let running = sandbox::start(config).await?;

    let graph = running.graph_url.as_str();
    let login = running.login_url.as_str();
    let token = running.access_token.expose_secret();
    let (client_id, secret) = running.control().automation_credentials();
    let name = crate::sanitize::clean(&running.tenant_name);
    let user = crate::sanitize::clean(&running.user_label);
    let mut text = String::new();
    let mut line = |l: String| {
        text.push_str(&l);
        text.push('\n');
    };
    line(format!("azsecrets sandbox: tenant \"{name}\" is running."));
    line(String::new());
    line(format!("  Graph URL:    {graph}  (API at {graph}v1.0/)"));
    line(format!(
        "  Login URL:    {login}  (token endpoint {login}{}/oauth2/v2.0/token)",
        running.tenant_id
    ));
    line(format!("  Tenant ID:    {}", running.tenant_id));
    line(format!("  Signed in as: {user}"));
    line(format!("  Access token: {token}"));
    line(
        "  (valid for 1 hour; device-code sign-in against the login URL is approved automatically)"
            .to_owned(),
    );
    line(String::new());
    line("Try it:".to_owned());
    line(format!(
        "  curl -s -H \"Authorization: Bearer {token}\" '{graph}v1.0/applications?$top=5&$select=displayName,appId'"
    ));
    line(String::new());
    line("Point azsecrets at it:".to_owned());
    line(format!(
        "  AZSECRETS_ACCESS_TOKEN={token} azsecrets --graph-url {graph} --login-url {login} apps list"
    ));
    line(String::new());
    line("Key Vault and Resource Manager:".to_owned());
    line(format!(
        "  Vault URL template: {}",
        running.vault_url_template
    ));
    line(format!(
        "  Seeded vaults:      {}",
        running.vault_names.join(", ")
    ));
    line(format!("  ARM URL:            {}", running.arm_url));
    line(format!(
        "  azsecrets --graph-url {graph} --login-url {login} --vault-url-template '{}' --arm-url {} …",
        running.vault_url_template, running.arm_url
    ));
    line(String::new());
    line("Service principal (client credentials):".to_owned());
    line(format!(
        "  AZURE_TENANT_ID={} AZURE_CLIENT_ID={client_id} AZURE_CLIENT_SECRET={}",
        running.tenant_id,
        secret.expose_secret()
    ));
    line(String::new());
    line("Press Ctrl-C to stop.".to_owned());
    // A closed stdout does not stop the sandbox: whoever started it may only want it running.
    let _ = crate::console::out(text.as_bytes());

    wait_for_stop().await;
    drop(running);
    Ok(ExitCode::Ok)
}

/// Ctrl-C or SIGTERM.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
