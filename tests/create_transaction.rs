//! The creation transaction against the sandbox and its addPassword faults: a clean add is
//! journaled (never its value); a refusal creates nothing and reads nothing back; a 5xx, 408,
//! 429, a cut reply or an interruption is reconciled by reading the app back, and a secret
//! created meanwhile is deleted again and named; what a killed run left is found and resolved
//! by the next one, by one process only.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices

use std::time::{Duration, Instant};

use azsecrets::auth::{SourceKind, StaticToken};
use azsecrets::create::{self, AddError, AddPlan, Choice, Interruption, Resolution, Settled};
use azsecrets::expiry::Lifetime;
use azsecrets::graph::TenantId;
use azsecrets::graph::{AppRegistration, GraphClient, GraphError, NewApplication, SignInAudience};
use azsecrets::journal::{AppRef, Done, Intent, Journal};
use azsecrets::new_secret::NewSecretRequest;
use azsecrets::sandbox::{Faults, Route, RunningSandbox, SandboxConfig, start};

struct Env {
    sb: RunningSandbox,
    client: GraphClient,
    journal: Journal,
    _dir: tempfile::TempDir,
}

async fn env(config: SandboxConfig) -> Env {
    let sb = start(config).await.expect("sandbox");
    let creds = StaticToken::new(sb.access_token.clone(), SourceKind::Sandbox);
    let client = GraphClient::new(sb.graph_url.clone(), creds).expect("client");
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::at(dir.path().join("state/azsecrets/journal.jsonl"));
    Env {
        sb,
        client,
        journal,
        _dir: dir,
    }
}

impl Env {
    async fn app(&self, name: &str) -> AppRegistration {
        self.client
            .create_application(&NewApplication {
                display_name: name.into(),
                sign_in_audience: SignInAudience::AzureADMyOrg,
                web: None,
            })
            .await
            .expect("new app")
    }

    fn plan(&self, app: &AppRegistration, description: &str) -> AddPlan {
        AddPlan {
            tenant: Some(TenantId::new(self.sb.tenant_id.clone())),
            app: AppRef {
                object_id: app.id.clone(),
                app_id: app.app_id.clone(),
                name: app.display_name.clone(),
            },
            request: NewSecretRequest::new(description, Lifetime::Days(30), chrono::Utc::now())
                .expect("valid")
                .to_graph(),
            destination: "stdout",
        }
    }

    async fn secrets(&self, app: &AppRegistration) -> usize {
        self.client
            .get_application(&app.id)
            .await
            .expect("read")
            .password_credentials
            .len()
    }

    fn faults(&self, f: impl FnOnce(&mut Faults)) {
        let mut faults = Faults::none();
        f(&mut faults);
        self.sb.control().set_faults(faults);
    }

    fn adds(&self) -> u64 {
        self.sb.control().requests(Route::AddPassword)
    }

    fn reads(&self) -> u64 {
        self.sb.control().requests(Route::GetApplication)
    }

    /// A journal entry kept open by this (live) process, so the file is not emptied and the
    /// records of a test can be read afterwards.
    fn keep_open(&self) {
        let (pid, start) = azsecrets::journal::this_process();
        self.journal
            .begin(Intent {
                tenant: Some(TenantId::new("00000000-0000-4000-8000-000000000000")),
                app: AppRef {
                    object_id: "x".into(),
                    app_id: "y".into(),
                    name: "placeholder".into(),
                },
                description: None,
                start_date_time: chrono::Utc::now(),
                end_date_time: chrono::Utc::now(),
                client_request_id: "none".into(),
                destination: "stdout".into(),
                pid,
                process_start: start,
            })
            .expect("journal");
    }
}

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_add_is_journaled_without_its_value_and_done_once_handed_off() {
    let e = env(SandboxConfig::default()).await;
    let app = e.app("clean add").await;
    let plan = e.plan(&app, "clean");
    let added = create::add(&e.client, &e.journal, &plan, never())
        .await
        .expect("added");
    let text = std::fs::read_to_string(e.journal.path()).expect("journal");
    assert!(
        !text.contains(added.secret.secret_text.expose()),
        "never the value"
    );
    assert!(
        text.contains(added.secret.metadata.key_id.as_str()),
        "{text}"
    );
    assert!(text.contains(r#""record":"intent""#) && text.contains(r#""record":"created""#));
    let entries = e.journal.entries().expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].intent.start_date_time,
        plan.request.start_date_time.unwrap()
    );
    assert!(
        e.journal.pending().expect("pending").is_empty(),
        "a live process is no orphan"
    );
    create::handed_off(&e.journal, &added.op)
        .await
        .expect("done");
    assert_eq!(
        std::fs::read_to_string(e.journal.path()).unwrap(),
        "",
        "compacted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_504_after_creating_is_reconciled_and_the_secret_deleted_again() {
    let e = env(SandboxConfig::default()).await;
    let app = e.app("gateway timeout").await;
    e.keep_open();
    e.faults(|f| f.add_password_status = Some(504));
    let err = create::add(&e.client, &e.journal, &e.plan(&app, "gw"), never())
        .await
        .expect_err("504");
    let AddError::Lost {
        cause: Interruption::Reply(GraphError::Api(api)),
        settled: Settled::RolledBack(secret),
    } = &err
    else {
        panic!("expected a reconciled 504, got {err:?}");
    };
    assert_eq!(api.status, 504);
    assert_eq!(e.adds(), 1, "never retried");
    assert_eq!(e.secrets(&app).await, 0, "created once, deleted again");
    let words = err.to_string();
    assert!(words.contains(secret.key_id.as_str()), "{words}");
    assert!(
        words.contains("deleted again") && words.contains("nothing remains"),
        "{words}"
    );
    // The client-request-id Graph saw is the journaled one; the entry ends rolled back.
    let entry = e
        .journal
        .entries()
        .unwrap()
        .into_iter()
        .find(|x| x.intent.description.as_deref() == Some("gw"))
        .expect("journaled");
    assert_eq!(
        api.client_request_id.as_deref(),
        Some(entry.intent.client_request_id.as_str())
    );
    assert_eq!(
        entry.done,
        Some(Done::RolledBack {
            secret_id: secret.key_id.clone()
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_unclean_answer_is_reconciled_and_a_refusal_is_not() {
    let e = env(SandboxConfig::default()).await;
    let app = e.app("many faults").await;
    for status in [500, 502, 503, 408, 429] {
        e.faults(|f| f.add_password_status = Some(status));
        let err = create::add(&e.client, &e.journal, &e.plan(&app, "x"), never())
            .await
            .expect_err("fault");
        assert!(
            matches!(
                err,
                AddError::Lost {
                    settled: Settled::RolledBack(_),
                    ..
                }
            ),
            "{status}: {err:?}"
        );
        assert_eq!(e.secrets(&app).await, 0, "{status}");
    }
    // A cut reply (the body never arrives whole): found and deleted again.
    e.faults(|f| f.drop_add_password = 1);
    let err = create::add(&e.client, &e.journal, &e.plan(&app, "cut"), never())
        .await
        .expect_err("cut");
    assert!(
        matches!(
            err,
            AddError::Lost {
                cause: Interruption::Reply(
                    GraphError::Transport { .. } | GraphError::Decode { .. }
                ),
                settled: Settled::RolledBack(_),
            }
        ),
        "{err:?}"
    );
    assert_eq!(e.secrets(&app).await, 0);

    // Graph's own refusal (a 400 with its error body): nothing exists, nothing is read back.
    e.faults(|_| {});
    let reads = e.reads();
    let mut plan = e.plan(&app, "refused");
    plan.request.end_date_time = plan.request.start_date_time;
    let err = create::add(&e.client, &e.journal, &plan, never())
        .await
        .expect_err("400");
    assert!(
        matches!(&err, AddError::Refused(g) if g.status() == Some(400)),
        "{err:?}"
    );
    assert_eq!(e.reads(), reads, "a refusal needs no read-back");
    assert!(e.journal.entries().unwrap().is_empty(), "every entry done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_add_waits_briefly_then_settles_and_deletes_what_was_created() {
    let e = env(SandboxConfig::default()).await;
    let app = e.app("interrupted").await;

    // The answer comes within the grace period: the value would reach nobody, so the new
    // secret is deleted again at once.
    e.faults(|f| f.add_password_delay = Duration::from_millis(1500));
    let started = Instant::now();
    let interrupt = tokio::time::sleep(Duration::from_millis(200));
    let err = create::add(&e.client, &e.journal, &e.plan(&app, "soon"), interrupt)
        .await
        .expect_err("interrupted");
    assert!(
        matches!(
            err,
            AddError::Lost {
                cause: Interruption::Cancelled,
                settled: Settled::RolledBack(_)
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "did not wait longer than needed"
    );
    assert_eq!(e.secrets(&app).await, 0);

    // No answer within the grace period: stop waiting, read the app back, delete what is there.
    e.faults(|f| f.add_password_delay = Duration::from_secs(60));
    let started = Instant::now();
    let interrupt = tokio::time::sleep(Duration::from_millis(200));
    let err = create::add(&e.client, &e.journal, &e.plan(&app, "late"), interrupt)
        .await
        .expect_err("interrupted");
    let waited = started.elapsed();
    assert!(
        waited >= create::GRACE && waited < create::GRACE + Duration::from_secs(10),
        "{waited:?}"
    );
    let AddError::Lost {
        cause: Interruption::Cancelled,
        settled: Settled::RolledBack(s),
    } = &err
    else {
        panic!("expected the read-back to find and delete it, got {err:?}");
    };
    assert_eq!(s.display_name.as_deref(), Some("late"));
    assert_eq!(e.secrets(&app).await, 0, "no orphan");
    assert!(e.journal.entries().unwrap().is_empty(), "every entry done");
}

/// What a killed run leaves: an intent (and maybe the secret) with no end. The next run finds
/// the secret by what was sent, and deletes or keeps it; one process resolves each entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_run_finds_what_a_killed_run_left_and_resolves_it_once() {
    let e = env(SandboxConfig::default()).await;
    let app = e.app("killed").await;
    let dead = {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    };
    let tenant = TenantId::new(e.sb.tenant_id.clone());
    // A killed run: it journaled, Graph created the secret, nobody heard back.
    let orphaned = e.plan(&app, "killed mid-add");
    let intent = |plan: &AddPlan| Intent {
        tenant: Some(tenant.clone()),
        app: plan.app.clone(),
        description: plan.request.display_name.clone(),
        start_date_time: plan.request.start_date_time.unwrap(),
        end_date_time: plan.request.end_date_time.unwrap(),
        client_request_id: "c".into(),
        destination: "clipboard".into(),
        pid: dead,
        process_start: None,
    };
    e.journal.begin(intent(&orphaned)).unwrap();
    let made = e
        .client
        .add_password(&app.id, &orphaned.request)
        .await
        .unwrap();
    // Another killed run whose request never reached Graph.
    let nothing = e.plan(&app, "never sent");
    e.journal.begin(intent(&nothing)).unwrap();
    // And an entry of another tenant, not this one's business.
    let mut other = intent(&nothing);
    other.tenant = Some(TenantId::new("11111111-2222-4333-8444-555555555555"));
    e.journal.begin(other).unwrap();
    // And one whose tenant was not known, on an app this tenant does not have: left alone.
    let mut unknown = intent(&nothing);
    unknown.tenant = None;
    unknown.app.object_id = "0f0f0f0f-0000-4000-8000-000000000000".into();
    e.journal.begin(unknown).unwrap();

    let scan = create::find_orphans(&e.client, &e.journal, &tenant)
        .await
        .expect("scan");
    assert_eq!(scan.cleared, 1, "the one that created nothing");
    assert!(scan.unchecked.is_empty());
    let [orphan] = scan.orphans.as_slice() else {
        panic!("one orphan: {scan:?}");
    };
    assert_eq!(orphan.secret_id, made.metadata.key_id);
    assert_eq!(orphan.description.as_deref(), Some("killed mid-add"));
    assert_eq!(orphan.app.app_id, app.app_id);

    // Two resolvers race: one deletes, the other finds it resolved.
    let (a, b) = tokio::join!(
        create::resolve(&e.client, &e.journal, orphan, Choice::Delete),
        create::resolve(&e.client, &e.journal, orphan, Choice::Delete)
    );
    let mut got = [a.expect("resolve"), b.expect("resolve")];
    got.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(got, [Resolution::AlreadyResolved, Resolution::Deleted]);
    assert_eq!(e.secrets(&app).await, 0);
    let again = create::find_orphans(&e.client, &e.journal, &tenant)
        .await
        .unwrap();
    assert!(again.orphans.is_empty() && again.cleared == 0, "{again:?}");
    // Only the other tenant's entry and the one whose app is elsewhere are still pending.
    let pending = e.journal.pending().unwrap();
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(
        pending
            .iter()
            .all(|p| p.intent.tenant != Some(tenant.clone()))
    );
}
