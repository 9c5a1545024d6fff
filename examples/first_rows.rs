//! First page to screen: time from starting `azsecrets` (in a pseudo-terminal, against a
//! running sandbox) until the first app rows are drawn, versus the time to fetch that first page
//! alone with a fresh connection. Used by `bench/first_rows.sh`.
//!
//! usage: AZSECRETS_ACCESS_TOKEN=… first_rows GRAPH_URL AZSECRETS_BINARY [RUNS]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up
#![allow(clippy::print_stdout, clippy::print_stderr)] // a measuring tool reports on its terminal

use std::io::Read;

use std::num::NonZeroU16;
use std::process::Command;
use std::time::{Duration, Instant};

fn has_rows(screen: &str) -> bool {
    // An app row carries its Application ID; the header's tenant line carries a GUID too.
    screen
        .lines()
        .filter(|l| !l.contains("Tenant"))
        .any(|l| l.split_whitespace().any(azsecrets::graph::is_guid))
}

fn to_screen(bin: &str, graph: &str) -> Result<Duration, Box<dyn std::error::Error>> {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--graph-url",
        graph,
        "--login-url",
        graph,
        "--log-file",
        "/dev/null",
    ])
    .env("TERM", "xterm-256color");
    let started = Instant::now();
    let mut session = expectrl::Session::spawn(cmd)?;
    session.get_process_mut().set_window_size(120, 40)?;
    let mut parser = vt100::Parser::new(
        NonZeroU16::new(40).ok_or("rows")?,
        NonZeroU16::new(120).ok_or("cols")?,
        0,
    );
    let mut buf = [0u8; 65536];
    let deadline = started + Duration::from_secs(30);
    let elapsed = loop {
        match session.try_read(&mut buf) {
            Ok(n) if n > 0 => {
                parser.process(&buf[..n]);
                if has_rows(&parser.screen().contents()) {
                    break started.elapsed();
                }
            }
            _ => std::thread::sleep(Duration::from_micros(200)),
        }
        if Instant::now() > deadline {
            return Err("no rows on screen after 30 s".into());
        }
    };
    let _ = session
        .get_process_mut()
        .kill(expectrl::process::unix::Signal::SIGKILL);
    let mut rest = Vec::new();
    let _ = session.read_to_end(&mut rest);
    Ok(elapsed)
}

async fn first_page(graph: &str, token: &str) -> Result<Duration, Box<dyn std::error::Error>> {
    let url = format!(
        "{}/v1.0/applications?$select={}&$top=999",
        graph.trim_end_matches('/'),
        azsecrets::graph::client::APP_SELECT
    );
    let started = Instant::now();
    let http = reqwest::Client::new();
    let body = http
        .get(&url)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let _page: azsecrets::graph::ODataPage<azsecrets::graph::AppRegistration> =
        serde_json::from_slice(&body)?;
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let graph = args
        .next()
        .ok_or("usage: first_rows GRAPH_URL BINARY [RUNS]")?;
    let bin = args
        .next()
        .ok_or("usage: first_rows GRAPH_URL BINARY [RUNS]")?;
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(7);
    let token = std::env::var("AZSECRETS_ACCESS_TOKEN")?;
    let (mut screen, mut page) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        page.push(first_page(&graph, &token).await?);
        let (g, b) = (graph.clone(), bin.clone());
        screen.push(
            tokio::task::spawn_blocking(move || to_screen(&b, &g).map_err(|e| e.to_string()))
                .await??,
        );
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (s, p) = (med(&mut screen), med(&mut page));
    println!(
        "first page alone (median):       {:.1} ms",
        p.as_secs_f64() * 1000.0
    );
    println!(
        "start to first rows drawn (med): {:.1} ms",
        s.as_secs_f64() * 1000.0
    );
    println!(
        "difference:                      {:.1} ms (target <= 50 ms)",
        (s.as_secs_f64() - p.as_secs_f64()) * 1000.0
    );
    Ok(())
}
