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
    println!("azsecrets sandbox: tenant \"Contoso Sandbox\" is running.");
    println!();
    println!("  Graph URL:    {graph}  (API at {graph}v1.0/)");
    println!(
        "  Login URL:    {login}  (token endpoint {login}{}/oauth2/v2.0/token)",
        running.tenant_id
    );
    println!("  Tenant ID:    {}", running.tenant_id);
    println!("  Signed in as: Sandra Box <sandra@contoso-sandbox.onmicrosoft.com>");
    println!("  Access token: {token}");
    println!(
        "  (valid for 1 hour; device-code sign-in against the login URL is approved automatically)"
    );
    println!();
    println!("Try it:");
    println!(
        "  curl -s -H \"Authorization: Bearer {token}\" '{graph}v1.0/applications?$top=5&$select=displayName,appId'"
    );
    println!();
    println!("Point azsecrets at it:");
    println!(
        "  AZSECRETS_ACCESS_TOKEN={token} azsecrets --graph-url {graph} --login-url {login} apps list"
    );
    println!();
    println!("Key Vault and Resource Manager:");
    println!("  Vault URL template: {}", running.vault_url_template);
    println!("  Seeded vaults:      {}", running.vault_names.join(", "));
    println!("  ARM URL:            {}", running.arm_url);
    println!(
        "  azsecrets --graph-url {graph} --login-url {login} --vault-url-template '{}' --arm-url {} …",
        running.vault_url_template, running.arm_url
    );
    println!();
    println!("Service principal (client credentials):");
    println!(
        "  AZURE_TENANT_ID={} AZURE_CLIENT_ID={client_id} AZURE_CLIENT_SECRET={}",
        running.tenant_id,
        secret.expose_secret()
    );
    println!();
    println!("Press Ctrl-C to stop.");

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
