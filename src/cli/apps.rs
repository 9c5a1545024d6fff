//! `azsecrets apps list`.

use std::io::Write;

use chrono::Utc;
use futures::StreamExt;
use serde::Serialize;

use crate::expiry::Status;
use crate::graph::{AppQuery, AppRegistration};
use crate::session::{Session, SessionConfig};

use super::output::{self, Col};
use super::{CliError, ExitCode, OutputFormat};

/// One app in `apps list --output json` (stable; documented in the README).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppJson<'a> {
    pub display_name: &'a str,
    pub app_id: &'a str,
    pub object_id: &'a str,
    pub created_date_time: Option<String>,
    pub sign_in_audience: Option<&'a str>,
    pub secrets: usize,
    pub certificates: usize,
    pub next_expiry: Option<String>,
    pub status: Option<&'static str>,
}

impl<'a> AppJson<'a> {
    pub fn from_app(app: &'a AppRegistration, now: chrono::DateTime<Utc>) -> Self {
        let next = app.next_expiry();
        Self {
            display_name: &app.display_name,
            app_id: app.app_id.as_str(),
            object_id: app.id.as_str(),
            created_date_time: app.created_date_time.map(|d| d.to_rfc3339()),
            sign_in_audience: app.sign_in_audience.as_deref(),
            secrets: app.password_credentials.len(),
            certificates: app.key_credentials.len(),
            next_expiry: next.map(|d| d.to_rfc3339()),
            status: next.map(|d| Status::of(d, now).key()),
        }
    }
}

pub async fn list(
    session: &SessionConfig,
    filter: Option<String>,
    owned: bool,
    format: OutputFormat,
) -> Result<ExitCode, CliError> {
    let session = Session::start(session).await?;
    let client = &output::observed(session.client.clone());
    if owned && client.source_kind().is_app_only() {
        return Err(CliError::new(
            ExitCode::Usage,
            "--owned needs a signed-in user: a service principal has no /me",
        ));
    }
    let query = AppQuery {
        name_prefix: filter.filter(|f| !f.is_empty()),
        owned,
        top: None,
    };
    let now = Utc::now();
    let skipped = match format {
        OutputFormat::Json => {
            let mut pages = client.list_applications(&query);
            // Streamed page by page so 50,000 apps never sit in memory twice.
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let mut first = true;
            let mut skipped = 0;
            write_io(out.write_all(b"["))?;
            while let Some(page) = pages.next().await {
                let page = page?;
                skipped += page.skipped;
                for app in &page.items {
                    write_io(out.write_all(if first { b"\n  " } else { b",\n  " }))?;
                    first = false;
                    write_io(
                        crate::sanitize::json_to_writer(&mut out, &AppJson::from_app(app, now))
                            // Keeps an I/O error as it was, so a closed pipe is still one.
                            .map_err(std::io::Error::from),
                    )?;
                }
            }
            write_io(out.write_all(if first { b"]\n" } else { b"\n]\n" }))?;
            write_io(out.flush())?;
            skipped
        }
        OutputFormat::Table => {
            let listing = client.collect_applications(&query).await?;
            let mut apps = listing.items;
            apps.sort_by_cached_key(|a| a.display_name.to_lowercase());
            let rows: Vec<Vec<String>> = apps
                .iter()
                .map(|a| {
                    let next = a.next_expiry();
                    vec![
                        crate::sanitize::name(Some(&a.display_name)).into_owned(),
                        a.app_id.to_string(),
                        a.password_credentials.len().to_string(),
                        next.map(|d| {
                            format!("{} {}", d.format("%Y-%m-%d"), Status::of(d, now).label())
                        })
                        .unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            let t = output::table(
                &[
                    "DISPLAY NAME",
                    "APPLICATION (CLIENT) ID",
                    "SEC",
                    "NEXT EXPIRY",
                ],
                &rows,
                output::width(),
                &[Col::Name, Col::Id],
            );
            output::emit(t.as_bytes())?;
            output::note(&format!("{} app registration(s)", apps.len()));
            listing.skipped
        }
    };
    if skipped > 0 {
        output::note(&output::skipped_warning(skipped, "app registration"));
    }
    Ok(ExitCode::Ok)
}

fn write_io(r: std::io::Result<()>) -> Result<(), CliError> {
    r.map_err(CliError::output)
}
