//! The paging limit for `bench/listing.sh`: a minimal keep-alive client that fetches the
//! applications one page after the other (`$select` as azsecrets' bulk listings,
//! `graph::client::LIST_SELECT`, `$top=999`) and discards them: sequential paging.
//!
//! usage: AZSECRETS_ACCESS_TOKEN=… cargo run --release --example raw_pager -- http://127.0.0.1:PORT/
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up
#![allow(clippy::print_stdout, clippy::print_stderr)] // a measuring tool reports on its terminal

use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args()
        .nth(1)
        .ok_or("usage: raw_pager GRAPH_ROOT_URL")?;
    let token = std::env::var("AZSECRETS_ACCESS_TOKEN")?;
    let http = reqwest::Client::new();
    let mut url = format!(
        "{}/v1.0/applications?$select={}&$top=999",
        root.trim_end_matches('/'),
        azsecrets::graph::client::LIST_SELECT
    );
    let started = Instant::now();
    let (mut pages, mut bytes) = (0usize, 0usize);
    let mut first_page_ms = None;
    loop {
        let body = http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        pages += 1;
        bytes += body.len();
        first_page_ms.get_or_insert(started.elapsed().as_secs_f64() * 1000.0);
        // Only the link is read; the rest is discarded (that is the point).
        #[derive(serde::Deserialize)]
        struct Link {
            #[serde(rename = "@odata.nextLink")]
            next: Option<String>,
        }
        match serde_json::from_slice::<Link>(&body)?.next {
            Some(n) => url = n,
            None => break,
        }
    }
    eprintln!(
        "pages={pages} bytes={bytes} first_page_ms={:.1} total_ms={:.1}",
        first_page_ms.unwrap_or(0.0),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
