//! What `secrets add` and `secrets rotate` share: their destinations checked before the secret
//! exists, the creation through the journaled transaction (`crate::create`), the hand-off to
//! every destination with each answer said as it comes, the rule for several destinations
//! ([`HandOff`]: kept when one took the value, deleted again when none did), the sign-in check
//! with its countdown, and the receipt. Ctrl-C, SIGTERM, SIGHUP and SIGQUIT are caught from the
//! moment the secret is asked for: what exists afterwards is always said.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use serde::Serialize;

use crate::create::{self, AddError, AddPlan, Added, HandOff, Interruption, Settled};
use crate::destination::{About, Clients, Destination, Target, words};
use crate::graph::{AppRegistration, ClientSecret, GraphClient, GraphError, SecretId, TenantId};
use crate::handoff::{self, Clipboard, ClipboardMode, CopyReport, EnvBlock, HandoffError};
use crate::journal::{AppRef, Journal, OpId};
use crate::new_secret::NewSecretRequest;
use crate::secret::SecretValue;
use crate::verify::{Verified, VerifyError, VerifyEvent};

use super::output::{note, quote};
use super::{CliError, ExitCode, OutputFormat, Settings};

/// Checks that need no sign-in: a destination the flags make useless, a flag without its
/// destination, the same destination twice. Nothing is asked of anyone yet.
pub fn check_flags(
    to: &[Destination],
    settings: Settings,
    force: bool,
    github_variables: bool,
) -> Result<(), CliError> {
    if to.contains(&Destination::Clipboard) && settings.clipboard == ClipboardMode::None {
        return Err(CliError::usage(
            "--to clipboard with --clipboard none: the value could go nowhere; nothing was created",
        ));
    }
    if force && !to.iter().any(|d| matches!(d, Destination::EnvFile(_))) {
        return Err(CliError::usage(
            "--force applies only to --to env-file:PATH",
        ));
    }
    if github_variables && !to.iter().any(|d| matches!(d, Destination::GitHub(_))) {
        return Err(CliError::usage(
            "--github-variables applies only to --to github:OWNER/REPO",
        ));
    }
    for (i, d) in to.iter().enumerate() {
        if to[..i].contains(d) {
            return Err(CliError::usage(format!(
                "--to {d} is given twice; nothing was created"
            )));
        }
    }
    Ok(())
}

/// One creation: the app, where its value goes, and how the outcome is reported.
pub struct Creation<'a> {
    pub client: &'a GraphClient,
    pub journal: &'a Journal,
    pub clients: &'a Clients,
    pub settings: Settings,
    pub app: &'a AppRegistration,
    pub tenant_id: &'a str,
    pub to: Vec<Destination>,
    pub github_variables: bool,
    pub force: bool,
    pub output: OutputFormat,
    pub verify: bool,
    /// Rotate: the secret the new one replaces (named in the JSON).
    pub replaces: Option<SecretId>,
}

/// What one destination answered.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// The destination as given (`keyvault:contoso-kv/app`).
    pub to: String,
    pub ok: bool,
    /// What it said: where the value is now, or why it is not there.
    pub answer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// A part that failed though the value arrived (GitHub variables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// What a command (or gh) printed, with any copy of the value redacted.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
}

/// How the sign-in check ended.
#[derive(Debug)]
pub enum Check {
    NotAsked,
    Verified(Verified),
    Failed(VerifyError),
    /// Stopped by a signal; the secret stays.
    Interrupted(&'static str),
}

/// A created secret that reached at least one destination.
pub struct Created {
    pub meta: ClientSecret,
    pub answers: Vec<Answer>,
    pub verdict: HandOff,
    pub check: Check,
    /// The JSON carrying the value went to stdout already (`--to stdout --output json`).
    pub json_done: bool,
    /// A signal stopped the hand-offs after one took the value.
    pub interrupted: Option<&'static str>,
    /// The value, kept until the caller is done (then dropped and zeroized).
    pub value: SecretValue,
}

/// Every destination would take the value: checked after signing in and before the secret
/// exists, so a refusal creates nothing. All refusals are reported at once.
pub async fn check_destinations(c: &Creation<'_>) -> Result<(), CliError> {
    let mut refusals: Vec<(String, Option<String>)> = Vec::new();
    let mut usage = false;
    for d in &c.to {
        if let Destination::EnvFile(path) = d {
            if let Err(e) =
                handoff::check_env_file(path, c.app.app_id.as_str(), c.tenant_id, c.force)
            {
                if matches!(e, HandoffError::EnvConflict { .. }) {
                    usage = true;
                    refusals.push((
                        format!("--to {d}: {e}"),
                        Some("Give another --to env-file:PATH, or --force to replace that app's values in this file.".into()),
                    ));
                } else {
                    refusals.push((format!("--to {d}: {e}"), None));
                }
            }
        } else if let Some(t) = Target::of(d, c.github_variables)
            && let Err(e) = c.clients.check(&t, &c.app.display_name).await
        {
            refusals.push((format!("--to {d}: {}", e.reason()), e.advice()));
        }
    }
    if refusals.is_empty() {
        return Ok(());
    }
    let code = if usage && refusals.len() == 1 {
        ExitCode::Usage
    } else {
        ExitCode::Failure
    };
    let message = refusals
        .iter()
        .map(|(m, _)| m.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let advice: Vec<String> = refusals.into_iter().filter_map(|(_, a)| a).collect();
    let mut e = CliError::new(code, format!("{message}; nothing was created"));
    if !advice.is_empty() {
        e = e.with_advice(advice.join(" "));
    }
    Err(e)
}

/// Create the secret and hand it to every destination. `Err` when nothing remains that anyone
/// holds (refused, rolled back) or the add itself failed; `Ok` when at least one destination
/// took the value.
pub async fn create_and_hand_off(
    c: &Creation<'_>,
    request: NewSecretRequest,
    signals: &mut Signals,
) -> Result<Created, CliError> {
    let app = c.app;
    if c.to.contains(&Destination::Stdout) && std::io::stdout().is_terminal() {
        note(
            "warning: --to stdout prints the secret value on this terminal, where it stays in scrollback; pipe it instead",
        );
    }
    let plan = AddPlan {
        tenant: Some(TenantId::new(c.tenant_id.to_owned())),
        app: AppRef {
            object_id: app.id.clone(),
            app_id: app.app_id.clone(),
            name: app.display_name.clone(),
        },
        request: request.to_graph(),
        destination: match c.to.as_slice() {
            [one] => one.kind(),
            _ => "several",
        },
    };
    let added = match create::add(c.client, c.journal, &plan, signals.next()).await {
        Ok(a) => a,
        Err(e) => return Err(add_failure(e, app, signals.caught)),
    };
    let Added { op, secret } = added;
    let meta = secret.metadata;
    let value = secret.secret_text;
    let undo = Undo {
        client: c.client,
        journal: c.journal,
        op: &op,
        app,
        key: &meta.key_id,
    };
    let about = About {
        app_name: app.display_name.clone(),
        application_id: app.app_id.clone(),
        tenant_id: c.tenant_id.to_owned(),
        secret_id: meta.key_id.clone(),
        hint: meta.hint.clone(),
        start: meta.start_date_time,
        end: meta.end_date_time,
    };

    // Stdout last: with --output json its JSON carries every other destination's answer.
    let mut order: Vec<&Destination> = c.to.iter().filter(|d| **d != Destination::Stdout).collect();
    order.extend(c.to.iter().filter(|d| **d == Destination::Stdout));
    let mut answers: Vec<Answer> = Vec::new();
    let mut interrupted = None;
    let mut json_done = false;
    for d in order {
        if interrupted.is_some() {
            break;
        }
        let answer = match d {
            Destination::Stdout => {
                let written = match c.output {
                    OutputFormat::Table => {
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "{}", value.expose()).and_then(|()| out.flush())
                    }
                    OutputFormat::Json => {
                        let mut so_far = answers.clone();
                        so_far.push(Answer::took(d, "printed on stdout (in this JSON)".into()));
                        let text =
                            receipt_json(c, &meta, &so_far, Some(&value), &Check::NotAsked, None)?;
                        let r = crate::console::out_line(&text);
                        json_done = r.is_ok();
                        r
                    }
                };
                match written {
                    Ok(()) => Answer::took(d, "printed on stdout".into()),
                    Err(e) => {
                        Answer::failed(d, format!("could not write the value to stdout: {e}"), None)
                    }
                }
            }
            Destination::Clipboard => {
                let copied = Clipboard::new(c.settings.clipboard, c.settings.clipboard_timeout)
                    .copy_secret(&value);
                match copied {
                    Ok(report) if report.confirmed => Answer::took(d, report.status),
                    Ok(report) => match confirm_paste(&report, signals).await {
                        Paste::Arrived => Answer::took(
                            d,
                            "sent to the terminal clipboard (OSC 52); you confirmed the paste".into(),
                        ),
                        Paste::NotConfirmed(why) => Answer::failed(
                            d,
                            why,
                            Some("Use --to env-file:PATH or --to stdout, or run it where the copy can be confirmed (a desktop clipboard, or tmux with `set -g set-clipboard on`).".into()),
                        ),
                        Paste::Interrupted(sig) => {
                            interrupted = Some(sig);
                            Answer::failed(d, format!("interrupted ({sig}) before the paste was confirmed"), None)
                        }
                    },
                    Err(e) => Answer::failed(
                        d,
                        clipboard_failure(&e, c.settings.clipboard),
                        Some("Use --to stdout or --to env-file:PATH, or another --clipboard mode.".into()),
                    ),
                }
            }
            Destination::EnvFile(path) => {
                let block = EnvBlock {
                    client_id: app.app_id.as_str(),
                    tenant_id: c.tenant_id,
                    secret: &value,
                };
                match handoff::write_env_file(path, &block, c.force) {
                    Ok(report) => {
                        let mut a = Answer::took(
                            d,
                            format!(
                                "written to {} (mode {:04o})",
                                report.path.display(),
                                report.mode
                            ),
                        );
                        let mut warnings = Vec::new();
                        if let Some(w) = &report.git_warning {
                            warnings.push(w.clone());
                        }
                        if report.mode & 0o077 != 0 {
                            warnings.push(format!(
                                "{} kept its mode {:04o}: others than you can read it",
                                report.path.display(),
                                report.mode
                            ));
                        }
                        if !warnings.is_empty() {
                            a.warning = Some(warnings.join("; "));
                        }
                        a
                    }
                    Err(e) => Answer::failed(d, e.to_string(), None),
                }
            }
            other => match Target::of(other, c.github_variables) {
                Some(target) => {
                    let sent = tokio::select! {
                        r = c.clients.send(&target, &value, &about) => Some(r),
                        () = signals.next() => None,
                    };
                    match sent {
                        Some(Ok(s)) => {
                            if let Destination::KeyVault { vault, .. } = other {
                                c.clients.remember_vault(c.tenant_id, &app.app_id, vault);
                            }
                            let mut a = Answer::took(d, s.describe());
                            a.warning = s.warning().map(str::to_owned);
                            if let Some(o) = s.output() {
                                a.stdout = o.stdout.clone();
                                a.stderr = o.stderr.clone();
                            }
                            a
                        }
                        Some(Err(e)) => {
                            let mut a = Answer::failed(d, e.reason(), e.advice());
                            if let Some((out, err)) = e.output() {
                                a.stdout = out.to_owned();
                                a.stderr = err.to_owned();
                            }
                            a
                        }
                        None => {
                            let sig = signals.caught.unwrap_or("a signal");
                            interrupted = Some(sig);
                            Answer::failed(
                                d,
                                format!(
                                    "interrupted ({sig}) while handing the value over; it may or may not have arrived"
                                ),
                                None,
                            )
                        }
                    }
                }
                None => Answer::failed(d, "not a destination azsecrets can send to".into(), None),
            },
        };
        say(&answer);
        answers.push(answer);
    }

    let verdict = HandOff::of(answers.iter().map(|a| (a.to.clone(), a.ok)));
    if !verdict.held() {
        let why = answers
            .iter()
            .map(|a| format!("{}: {}", a.to, a.answer))
            .collect::<Vec<_>>()
            .join("; ");
        let advice: Vec<String> = answers.iter().filter_map(|a| a.advice.clone()).collect();
        let mut e = undo
            .run(format!("no destination took the value ({why})"))
            .await;
        if e.advice.is_none() && !advice.is_empty() {
            e = e.with_advice(advice.join(" "));
        }
        if interrupted.is_some() {
            e.code = ExitCode::Interrupted;
        }
        return Err(e);
    }
    if let Err(e) = create::handed_off(c.journal, &op).await {
        note(&format!(
            "warning: could not record the hand-off in the journal ({e}); if `azsecrets recover` later offers to delete Secret ID {}, keep it",
            meta.key_id
        ));
    }
    if let HandOff::Partly { failed } = &verdict {
        note(&format!(
            "The new secret reached {} of {} destinations and is kept; not: {}.",
            answers.iter().filter(|a| a.ok).count(),
            answers.len(),
            failed.join(", ")
        ));
        note(&format!(
            "  to retry: azsecrets has not kept the value. Fix the cause, then replace this secret everywhere at once: azsecrets secrets rotate --app {} --key-id {} {} --verify --delete-old",
            app.app_id,
            meta.key_id,
            c.to.iter()
                .map(|d| format!("--to {}", shell_words::quote(&d.to_string())))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    let check = if c.verify && interrupted.is_none() {
        check_signs_in(c.clients, c.tenant_id, app, &value, signals).await
    } else {
        Check::NotAsked
    };
    Ok(Created {
        meta,
        answers,
        verdict,
        check,
        json_done,
        interrupted,
        value,
    })
}

impl Answer {
    fn took(d: &Destination, answer: String) -> Self {
        Self {
            to: d.to_string(),
            ok: true,
            answer,
            advice: None,
            warning: None,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    fn failed(d: &Destination, answer: String, advice: Option<String>) -> Self {
        Self {
            to: d.to_string(),
            ok: false,
            answer,
            advice,
            warning: None,
            stdout: String::new(),
            stderr: String::new(),
        }
    }
}

/// A destination's answer on stderr as it comes: ✓ or ✗, what it said, what it printed
/// (cleaned: a command's output is not trusted with the terminal), what to do.
fn say(a: &Answer) {
    let mark = if a.ok { "✓" } else { "✗" };
    note(&format!("{mark} --to {}: {}", a.to, a.answer));
    for (name, text) in [("stdout", &a.stdout), ("stderr", &a.stderr)] {
        for line in text.lines() {
            note(&format!("    {name} │ {}", crate::sanitize::clean(line)));
        }
    }
    if let Some(w) = &a.warning {
        note(&format!("  warning: {w}"));
    }
    if let Some(adv) = &a.advice {
        note(&format!("  what to do: {adv}"));
    }
}

/// The sign-in check, with its countdown on stderr (one line rewritten on a terminal, a line
/// per wait otherwise). A signal stops it; the secret stays either way.
pub async fn check_signs_in(
    clients: &Clients,
    tenant_id: &str,
    app: &AppRegistration,
    value: &SecretValue,
    signals: &mut Signals,
) -> Check {
    let verifier = match clients.verifier(tenant_id, &app.app_id) {
        Ok(v) => v,
        Err(e) => {
            note(&format!(
                "✗ could not check that the new secret signs in: {e}"
            ));
            return Check::Failed(e);
        }
    };
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel::<VerifyEvent>();
    let observer: crate::verify::VerifyObserver = std::sync::Arc::new(move |e| {
        let _ = tx.send(e);
    });
    let live = std::io::stderr().is_terminal();
    let started = tokio::time::Instant::now();
    let mut next_at: Option<(tokio::time::Instant, u32, u64)> = None;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let check = verifier.verify(value, &observer);
    tokio::pin!(check);
    let line = |attempt: u32, code: u64, left: Duration, so_far: Duration| {
        format!(
            "Checking that the new secret signs in: attempt {attempt} refused ({}); next try in {} ({} so far)",
            words::waiting_reason(code),
            words::seconds(left),
            words::seconds(so_far)
        )
    };
    // On a terminal: the countdown first, as it is what moves.
    let countdown = |attempt: u32, code: u64, left: Duration, so_far: Duration| {
        format!(
            "Checking the new secret: next try in {} ({} so far); attempt {attempt} refused: {}",
            words::seconds(left),
            words::seconds(so_far),
            words::waiting_reason(code)
        )
    };
    // The line is rewritten in place, so it must never wrap: cut to the width.
    let columns = crossterm::terminal::size()
        .map(|(w, _)| usize::from(w).saturating_sub(1).max(20))
        .unwrap_or(79);
    let live_line = |text: String| format!("\r\x1b[2K{}", crate::sanitize::fit(&text, columns));
    if !live {
        note(
            "Checking that the new secret signs in (client credentials; up to 120 s while it replicates)…",
        );
    }
    let end = loop {
        tokio::select! {
            r = &mut check => break match r {
                Ok(v) => Check::Verified(v),
                Err(e) => Check::Failed(e),
            },
            Some(e) = events.recv() => match e {
                VerifyEvent::Waiting { attempt, next_in, code, elapsed } => {
                    next_at = Some((tokio::time::Instant::now() + next_in, attempt, code));
                    if live {
                        crate::console::err(&live_line(countdown(attempt, code, next_in, elapsed)));
                    } else {
                        note(&line(attempt, code, next_in, elapsed));
                    }
                }
                VerifyEvent::Attempt { attempt, .. } if live => {
                    crate::console::err(&live_line(format!("Checking that the new secret signs in: attempt {attempt}…")));
                }
                VerifyEvent::Attempt { .. } => {}
            },
            _ = ticker.tick(), if live => {
                if let Some((at, attempt, code)) = next_at {
                    let left = at.saturating_duration_since(tokio::time::Instant::now());
                    crate::console::err(&live_line(countdown(attempt, code, left, started.elapsed())));
                }
            }
            () = signals.next() => break Check::Interrupted(signals.caught.unwrap_or("a signal")),
        }
    };
    if live {
        crate::console::err("\r\x1b[2K");
    }
    match &end {
        Check::Verified(v) => note(&format!(
            "The new secret {} ({} attempts).",
            words::signs_in(v),
            v.attempts
        )),
        Check::Failed(e) => {
            let (what, advice) = words::not_signing_in(e);
            note(&format!("✗ {}", crate::sanitize::clean(&what)));
            note(&format!("  what to do: {advice}"));
        }
        Check::Interrupted(sig) => note(&format!(
            "The sign-in check was stopped ({sig}); the new secret is kept where it was handed off."
        )),
        Check::NotAsked => {}
    }
    end
}

/// The exit code a kept secret ends with: the check first, then a partial hand-off.
pub fn exit_code(created: &Created) -> ExitCode {
    match (&created.check, created.interrupted) {
        (Check::Interrupted(_), _) | (_, Some(_)) => ExitCode::Interrupted,
        (Check::Failed(_), _) => ExitCode::NotVerified,
        _ if matches!(created.verdict, HandOff::Partly { .. }) => ExitCode::PartlyHandedOff,
        _ => ExitCode::Ok,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifiedJson {
    signs_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `secrets add|rotate --output json` (stable; the value only with `--to stdout`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptJson<'a> {
    app_name: &'a str,
    app_id: &'a str,
    object_id: &'a str,
    tenant_id: &'a str,
    description: Option<&'a str>,
    secret_id: &'a str,
    hint: Option<&'a str>,
    start_date_time: Option<String>,
    end_date_time: Option<String>,
    /// Every destination's answer, `; `-joined (kept from the one-destination receipt).
    destination: String,
    destinations: &'a [Answer],
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<VerifiedJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaces: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_secret_deleted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_text: Option<&'a str>,
}

/// The receipt as JSON.
pub fn receipt_json(
    c: &Creation<'_>,
    meta: &ClientSecret,
    answers: &[Answer],
    value: Option<&SecretValue>,
    check: &Check,
    old_deleted: Option<bool>,
) -> Result<String, CliError> {
    let verified = match check {
        Check::NotAsked => None,
        Check::Verified(v) => Some(VerifiedJson {
            signs_in: true,
            seconds: Some(v.elapsed.as_secs()),
            attempts: Some(v.attempts),
            error: None,
        }),
        Check::Failed(e) => Some(VerifiedJson {
            signs_in: false,
            seconds: None,
            attempts: None,
            error: Some(e.to_string()),
        }),
        Check::Interrupted(sig) => Some(VerifiedJson {
            signs_in: false,
            seconds: None,
            attempts: None,
            error: Some(format!("interrupted ({sig})")),
        }),
    };
    let json = ReceiptJson {
        app_name: &c.app.display_name,
        app_id: c.app.app_id.as_str(),
        object_id: c.app.id.as_str(),
        tenant_id: c.tenant_id,
        description: meta.display_name.as_deref(),
        secret_id: meta.key_id.as_str(),
        hint: meta.hint.as_deref(),
        start_date_time: meta.start_date_time.map(|d| d.to_rfc3339()),
        end_date_time: meta.end_date_time.map(|d| d.to_rfc3339()),
        destination: answers
            .iter()
            .filter(|a| a.ok)
            .map(|a| a.answer.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        destinations: answers,
        verified,
        replaces: c.replaces.as_ref().map(SecretId::as_str),
        old_secret_deleted: old_deleted,
        secret_text: value.map(SecretValue::expose),
    };
    crate::sanitize::json_pretty(&json).map_err(|e| CliError::new(ExitCode::Failure, e.to_string()))
}

/// The receipt: the JSON on stdout (unless it went out with the value), or one line on stderr.
pub fn receipt(
    c: &Creation<'_>,
    created: &Created,
    old_deleted: Option<bool>,
) -> Result<(), CliError> {
    let meta = &created.meta;
    match c.output {
        OutputFormat::Json if created.json_done => {}
        OutputFormat::Json => {
            let text = receipt_json(c, meta, &created.answers, None, &created.check, old_deleted)?;
            if let Err(e) = crate::console::out_line(&text) {
                tracing::info!(error = %e, "the receipt could not be written to stdout");
            }
        }
        OutputFormat::Table => {
            let took: Vec<&str> = created
                .answers
                .iter()
                .filter(|a| a.ok)
                .map(|a| a.answer.as_str())
                .collect();
            note(&format!(
                "Added client secret {} to '{}': Secret ID {}, value {}, expires {}; {}",
                meta.display_name
                    .as_deref()
                    .map(|d| format!("'{}'", quote(d, 80)))
                    .unwrap_or_else(|| "(no description)".into()),
                quote(&c.app.display_name, 80),
                meta.key_id,
                created.value.masked(),
                meta.end_date_time
                    .map(|d| d.to_rfc3339())
                    .as_deref()
                    .unwrap_or("-"),
                took.join("; ")
            ));
        }
    }
    Ok(())
}

/// The journal could not be found or used: nothing was created.
pub fn journal_error(e: crate::journal::JournalError) -> CliError {
    CliError::new(ExitCode::Failure, format!("{e}; nothing was created")).with_advice(
        "azsecrets records every new secret in its journal first, so none is ever lost: set XDG_STATE_HOME (or HOME) to a folder you can write to.",
    )
}

/// The add did not end in a secret to hand off: what exists now, and what to do.
fn add_failure(e: AddError, app: &AppRegistration, signal: Option<&'static str>) -> CliError {
    let settled = match &e {
        AddError::Journal(j) => {
            return CliError::new(ExitCode::Failure, e.to_string())
                .with_advice(format!("Fix the journal's folder ({j}), then try again."));
        }
        AddError::Refused(_) => {
            let AddError::Refused(g) = e else {
                return CliError::new(ExitCode::Failure, "refused");
            };
            return g.into();
        }
        AddError::Lost { settled, .. } => settled,
    };
    let advice = match settled {
        Settled::NothingCreated | Settled::RolledBack(_) => "It is safe to try again.".to_owned(),
        Settled::Orphaned { secret, .. } => format!(
            "Delete it: azsecrets secrets remove --app {} --key-id {} --yes (azsecrets recover finds it too).",
            app.app_id, secret.key_id
        ),
        Settled::Unverified { .. } | Settled::NotYetSeen | Settled::Ambiguous(_) => {
            "Run `azsecrets recover` in a moment: it reads the app back and deletes a secret nobody holds.".to_owned()
        }
    };
    let (code, message) = match (&e, signal) {
        (
            AddError::Lost {
                cause: Interruption::Cancelled,
                ..
            },
            Some(sig),
        ) => (ExitCode::Interrupted, format!("{sig}: {e}")),
        (
            AddError::Lost {
                cause: Interruption::Cancelled,
                ..
            },
            None,
        ) => (ExitCode::Interrupted, e.to_string()),
        _ => (ExitCode::Graph, e.to_string()),
    };
    let message = match e.graph().and_then(GraphError::request_id) {
        Some(id) => format!("{message} (request-id {id})"),
        None => message,
    };
    CliError::new(code, message).with_advice(advice)
}

/// Deleting a new secret whose value reached nobody, and saying so.
struct Undo<'a> {
    client: &'a GraphClient,
    journal: &'a Journal,
    op: &'a OpId,
    app: &'a AppRegistration,
    key: &'a SecretId,
}

impl Undo<'_> {
    async fn run(&self, why: String) -> CliError {
        let key = self.key;
        match create::roll_back(self.client, self.journal, self.op, &self.app.id, key).await {
            Ok(_) => CliError::new(
                ExitCode::Failure,
                format!(
                    "{why}; the new secret (Secret ID {key}) was deleted again because its value reached nobody. Nothing of it remains."
                ),
            ),
            Err(e) => CliError::new(
                ExitCode::Failure,
                format!(
                    "{why}; the new secret (Secret ID {key}) reached nobody and deleting it failed too ({e}): it is still in the tenant."
                ),
            )
            .with_advice(format!(
                "Delete it: azsecrets secrets remove --app {} --key-id {key} --yes (azsecrets recover finds it too).",
                self.app.app_id
            )),
        }
    }
}

/// How an unconfirmed copy ended.
enum Paste {
    Arrived,
    NotConfirmed(String),
    Interrupted(&'static str),
}

/// A copy nothing confirms (OSC 52): ask the person at the terminal whether the paste worked;
/// without one, it does not count.
async fn confirm_paste(report: &CopyReport, signals: &mut Signals) -> Paste {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Paste::NotConfirmed(format!(
            "{} — and with no terminal to ask, the copy cannot be confirmed",
            report.status
        ));
    }
    crate::console::err(&format!(
        "{}.\nPaste it somewhere to check: did it arrive? [y/N] ",
        report.status
    ));
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        line
    });
    tokio::select! {
        line = answer => match line {
            Ok(l) if matches!(l.trim().to_ascii_lowercase().as_str(), "y" | "yes") => Paste::Arrived,
            _ => Paste::NotConfirmed("you did not confirm that the copy arrived".into()),
        },
        () = signals.next() => Paste::Interrupted(signals.caught.unwrap_or("a signal")),
    }
}

/// Ctrl-C, SIGTERM, SIGHUP and SIGQUIT while a secret is being created or handed off: caught
/// (so the command can settle what exists and say so) instead of ending the process.
pub struct Signals {
    #[cfg(unix)]
    kinds: Vec<(tokio::signal::unix::Signal, &'static str)>,
    /// The first signal caught.
    pub caught: Option<&'static str>,
}

impl Default for Signals {
    fn default() -> Self {
        Self::new()
    }
}

impl Signals {
    pub fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [
                (SignalKind::interrupt(), "SIGINT"),
                (SignalKind::terminate(), "SIGTERM"),
                (SignalKind::hangup(), "SIGHUP"),
                (SignalKind::quit(), "SIGQUIT"),
            ]
            .into_iter()
            .filter_map(|(k, name)| signal(k).ok().map(|s| (s, name)))
            .collect();
            Self {
                kinds,
                caught: None,
            }
        }
        #[cfg(not(unix))]
        Self { caught: None }
    }

    /// The next signal (forever pending when none can be caught).
    pub async fn next(&mut self) {
        #[cfg(unix)]
        {
            if self.kinds.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.kinds.iter_mut().map(|(s, name)| {
                Box::pin(async move {
                    s.recv().await;
                    *name
                })
            });
            let (name, _, _) = futures::future::select_all(waits).await;
            tracing::info!(signal = name, "signal caught while adding a secret");
            self.caught.get_or_insert(name);
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
}

/// A failed copy in the command line's words. The hand-off layer's own reason is written for
/// the terminal UI (it names the UI's keys), so it goes to the log and the words come from the
/// mode the user chose.
fn clipboard_failure(e: &HandoffError, mode: ClipboardMode) -> String {
    tracing::info!(error = %e, "clipboard hand-off failed");
    match (e, mode) {
        (HandoffError::NoClipboard { .. }, ClipboardMode::None) => {
            "the clipboard is turned off (--clipboard none)".to_owned()
        }
        (HandoffError::NoClipboard { .. }, ClipboardMode::Native) => {
            "the desktop clipboard is not available here (no display, or it refused)".to_owned()
        }
        (HandoffError::NoClipboard { .. }, _) => {
            "no clipboard is available here: no working display, and no terminal to send OSC 52 to"
                .to_owned()
        }
        (
            HandoffError::Copy(_) | HandoffError::EnvFile { .. } | HandoffError::EnvConflict { .. },
            _,
        ) => e.to_string(),
    }
}
