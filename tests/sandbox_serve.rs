//! `azsecrets sandbox serve`: prints the Graph URL, login URL, tenant id, a ready token and how
//! to use them; answers with that token; stops cleanly (exit 0) on SIGTERM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // tests may panic on what they set up, and print notices
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_prints_endpoints_and_stops_on_sigterm() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("azsecrets"))
        .args(["sandbox", "serve", "--apps", "10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stdout);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || Instant::now() > deadline {
            break;
        }
        let done = line.contains("Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    let out = lines.concat();
    let field = |label: &str| {
        lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|v| v.split_whitespace().next().unwrap_or("").to_owned())
            .unwrap_or_else(|| panic!("{label} in:\n{out}"))
    };
    let graph = field("Graph URL:");
    let login = field("Login URL:");
    let tenant = field("Tenant ID:");
    let token = field("Access token:");
    assert!(
        graph.starts_with("http://127.0.0.1:") && graph.ends_with('/'),
        "{graph}"
    );
    assert_eq!(graph, login);
    assert_eq!(tenant.len(), 36);
    assert!(out.contains("curl "), "{out}");
    assert!(out.contains(&format!("AZSECRETS_ACCESS_TOKEN={token} azsecrets --graph-url {graph} --login-url {login} apps list")), "{out}");

    // The printed token works against the printed URL.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let count: usize = rt.block_on(async {
        let r = reqwest::Client::new()
            .get(format!("{graph}v1.0/applications?$top=999&$select=id"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("the sandbox answers");
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        v["value"].as_array().unwrap().len()
    });
    assert!(count >= 50, "seed plus 10 generated apps, got {count}");

    // SIGTERM: a clean stop with exit code 0.
    let pid = child.id() as libc::pid_t;
    // SAFETY: sending a signal to our own child process by its id.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}
