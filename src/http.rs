//! The HTTP plumbing every Azure client shares (Graph, Key Vault, Resource Manager, the login
//! endpoint): how a reqwest client is built, how `Retry-After` and other headers are read, how a
//! failed exchange is worded, the origin rule that keeps a token at home, the bounded retry
//! policy, and the `nextLink` paging loop of Key Vault and Resource Manager. Each fact lives
//! here once; where the clients differ on purpose (timeouts, which statuses are retried,
//! jitter, words users have seen) the difference is a parameter the client passes. Each client
//! keeps its own error type and maps from the pieces here. Knows no terminal and no client's
//! error type.

use std::future::Future;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::zeroize::Zeroizing;
use url::Url;

/// What a client was doing when building the HTTP client failed ("could not start the HTTP
/// client: …").
pub const START: &str = "start the HTTP client";

/// The one way azsecrets builds an HTTP client. It never follows a redirect: a redirect would
/// carry the bearer token, a token request's form body or a secret value wherever it points,
/// so every client (the login endpoint above all) sees the 3xx itself. Connecting may take
/// 10 s; the whole exchange `timeout`. TLS is rustls, the crate's only TLS stack.
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(timeout)
        .user_agent(concat!("azsecrets/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A header's value as text, when it is present and readable.
pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` in seconds. The HTTP-date form is not read: the caller falls back on its
/// backoff.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// A reply's whole body in a buffer that is wiped when dropped. Taken over without a copy when
/// reqwest's buffer is not shared, so the one copy is the one wiped.
pub async fn read_wiped(resp: reqwest::Response) -> Result<Zeroizing<Vec<u8>>, reqwest::Error> {
    Ok(Zeroizing::new(Vec::from(resp.bytes().await?)))
}

/// How a client words a request that got no whole answer: "timed out (host/path)". Which of
/// the words applies is decided here, the same for every client; the words themselves are the
/// client's, pinned word for word because users and scripts have read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportWords {
    pub timed_out: &'static str,
    pub connect: &'static str,
    /// The reply broke off after its head (a body or decode error).
    pub cut_off: &'static str,
    pub other: &'static str,
    pub place: Place,
}

/// How a transport failure names where it went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// `timed out (graph.microsoft.com/v1.0/applications)`.
    HostAndPath,
    /// `timed out: kv.vault.azure.net`.
    Host,
}

impl TransportWords {
    pub const STANDARD: TransportWords = TransportWords {
        timed_out: "timed out",
        connect: "could not connect",
        cut_off: "the reply was cut off",
        other: "network error",
        place: Place::HostAndPath,
    };

    /// A sentence for `e`, naming the URL reqwest reports (none when it reports none).
    pub fn detail(&self, e: &reqwest::Error) -> String {
        self.detail_at(e, e.url())
    }

    /// A sentence for `e`, naming `url`.
    pub fn detail_at(&self, e: &reqwest::Error, url: Option<&Url>) -> String {
        let kind = if e.is_timeout() {
            self.timed_out
        } else if e.is_connect() {
            self.connect
        } else if e.is_body() || e.is_decode() {
            self.cut_off
        } else {
            self.other
        };
        let Some(u) = url else {
            return kind.to_owned();
        };
        let host = u.host_str().unwrap_or("");
        match self.place {
            Place::HostAndPath => format!("{kind} ({host}{})", u.path()),
            Place::Host => format!("{kind}: {host}"),
        }
    }
}

/// A URL the origin rule refused: shown without its query (which may carry a skip token or
/// a filter), beside the root the token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignLink {
    pub url: String,
    pub expected: String,
}

/// The origin rule: a token for `root` goes only to `root`'s scheme, host (any case), port
/// (the default one written or not: Key Vault's nextLinks carry `:443`) and path, never with
/// credentials in the URL. A root with a path (a vault in the sandbox, `/kv/a/`) keeps its
/// token from a sibling on the same host.
pub fn check_origin(root: &Url, url: &Url) -> Result<(), ForeignLink> {
    let same = url.scheme() == root.scheme()
        && url.host_str().map(str::to_ascii_lowercase)
            == root.host_str().map(str::to_ascii_lowercase)
        && url.port_or_known_default() == root.port_or_known_default()
        && url.path().starts_with(root.path())
        && url.username().is_empty()
        && url.password().is_none();
    if same {
        Ok(())
    } else {
        let mut shown = url.clone();
        shown.set_query(None);
        Err(ForeignLink {
            url: shown.to_string(),
            expected: root.to_string(),
        })
    }
}

/// Pages followed at most in one listing: a guard against a `nextLink` that loops.
pub const MAX_PAGES: usize = 1_000;

/// Every item of a listing paged by `nextLink` (Key Vault's and Resource Manager's shape).
/// `fetch` reads one page into its items and its `nextLink`; `follow` turns a link into the
/// next page's URL (the client holds it to its origin); a missing or empty link ends the
/// listing. More than [`MAX_PAGES`] pages fail with `too_many`'s error.
pub async fn collect_linked<T, E, Fut>(
    first: Url,
    mut fetch: impl FnMut(Url) -> Fut,
    mut follow: impl FnMut(&str) -> Result<Url, E>,
    too_many: impl FnOnce(String) -> E,
) -> Result<Vec<T>, E>
where
    Fut: Future<Output = Result<(Vec<T>, Option<String>), E>>,
{
    let mut out = Vec::new();
    let mut next = Some(first);
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(too_many(format!("more than {MAX_PAGES} pages")));
        }
        let (items, link) = fetch(url).await?;
        out.extend(items);
        next = match link.filter(|l| !l.is_empty()) {
            Some(link) => Some(follow(&link)?),
            None => None,
        };
    }
    Ok(out)
}

/// How often and how long a request is retried. Each client has its own numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff when no Retry-After is given; doubles each time.
    pub base_delay: Duration,
    /// No single wait is longer than this, whatever Retry-After says.
    pub max_delay: Duration,
}

/// Whether backoffs are spread out at random.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly `base_delay × 2^attempt`.
    None,
    /// Anywhere in [half, whole] of that, so that clients throttled together do not return
    /// together.
    Full,
}

/// Which failed answers are worth another attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryOn {
    /// 429 only: the service refused the request before doing anything.
    Throttling,
    /// 429 and 503.
    ThrottlingOrUnavailable,
    /// 429 and the server errors a retry can outlive (500, 502, 503, 504): for requests that
    /// may be repeated.
    Transient,
}

impl RetryOn {
    pub fn covers(self, status: StatusCode) -> bool {
        match self {
            RetryOn::Throttling => status == StatusCode::TOO_MANY_REQUESTS,
            RetryOn::ThrottlingOrUnavailable => matches!(status.as_u16(), 429 | 503),
            RetryOn::Transient => matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry `attempt + 1` (`attempt` retries made so far), bounded.
    pub fn backoff(&self, attempt: u32, jitter: Jitter) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX));
        let wait = match jitter {
            Jitter::None => exp,
            Jitter::Full => {
                let half = exp / 2;
                let jitter_ms = rand::random_range(0..=half.as_millis().max(1) as u64);
                half + Duration::from_millis(jitter_ms)
            }
        };
        wait.min(self.max_delay)
    }

    /// How long to wait before another attempt, `attempt` retries having been made: what
    /// Retry-After asked, else the backoff, never more than `max_delay`; `None` once the
    /// retries are spent.
    pub fn next_wait(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        jitter: Jitter,
    ) -> Option<Duration> {
        (attempt < self.max_retries).then(|| {
            retry_after
                .unwrap_or_else(|| self.backoff(attempt, jitter))
                .min(self.max_delay)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn tokens_stay_on_their_origin() {
        let root = url("https://graph.microsoft.com/");
        for same in [
            "https://graph.microsoft.com/v1.0/applications?$skiptoken=x",
            "https://GRAPH.microsoft.com/v1.0/me",
            "https://graph.microsoft.com:443/v1.0/me",
        ] {
            assert_eq!(check_origin(&root, &url(same)), Ok(()), "{same}");
        }
        for foreign in [
            "http://graph.microsoft.com/v1.0/me",
            "https://graph.microsoft.com.evil.example/v1.0/me",
            "https://graph.microsoft.com:8443/v1.0/me",
            "https://u:p@graph.microsoft.com/v1.0/me",
        ] {
            assert!(check_origin(&root, &url(foreign)).is_err(), "{foreign}");
        }
        assert_eq!(
            check_origin(
                &url("http://127.0.0.1:9/kv/a/"),
                &url("http://127.0.0.1:9/kv/b/x?q=1")
            ),
            Err(ForeignLink {
                url: "http://127.0.0.1:9/kv/b/x".into(),
                expected: "http://127.0.0.1:9/kv/a/".into(),
            }),
            "a sibling path on the same host, shown without its query"
        );
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, " 12 ".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(12)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn waits_are_bounded_and_retries_counted() {
        let p = RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        };
        let exact: Vec<_> = (0..4).map(|a| p.next_wait(a, None, Jitter::None)).collect();
        let s = |n| Some(Duration::from_secs(n));
        assert_eq!(exact, [s(1), s(2), s(4), None]);
        assert_eq!(
            p.next_wait(0, s(120), Jitter::None),
            s(30),
            "Retry-After is capped"
        );
        assert_eq!(p.next_wait(2, s(0), Jitter::Full), s(0), "Retry-After wins");
        assert_eq!(p.backoff(40, Jitter::None), Duration::from_secs(30));
        for attempt in 0..6 {
            let w = p.backoff(attempt, Jitter::Full);
            let exact = p.backoff(attempt, Jitter::None);
            assert!(w >= exact / 2 && w <= exact, "{attempt}: {w:?}");
        }
    }

    #[test]
    fn statuses_retried() {
        let yes = |on: RetryOn| -> Vec<u16> {
            [400, 401, 404, 429, 500, 501, 502, 503, 504]
                .into_iter()
                .filter(|s| on.covers(StatusCode::from_u16(*s).unwrap()))
                .collect()
        };
        assert_eq!(yes(RetryOn::Throttling), [429]);
        assert_eq!(yes(RetryOn::ThrottlingOrUnavailable), [429, 503]);
        assert_eq!(yes(RetryOn::Transient), [429, 500, 502, 503, 504]);
    }

    #[tokio::test]
    async fn linked_pages_end_at_an_empty_link_and_never_loop() {
        let first = url("https://management.azure.com/subscriptions");
        let follow = |l: &str| Url::parse(l).map_err(|e| e.to_string());
        let mut served = 0;
        let two = collect_linked(
            first.clone(),
            |u: Url| {
                served += 1;
                let link = (served == 1).then(|| format!("{u}?page=2"));
                async move { Ok((vec![served], link.or(Some(String::new())))) }
            },
            follow,
            |d| d,
        )
        .await;
        assert_eq!(two, Ok(vec![1, 2]));
        let looping = collect_linked(
            first.clone(),
            |u: Url| async move { Ok((vec![()], Some(u.to_string()))) },
            follow,
            |d| d,
        )
        .await;
        assert_eq!(looping, Err(format!("more than {MAX_PAGES} pages")));
    }

    /// The login endpoint above all must never follow a redirect: the form body holds a secret.
    #[tokio::test]
    async fn redirects_are_never_followed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.2:9/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await
            .unwrap();
        });
        let resp = client(Duration::from_secs(5))
            .unwrap()
            .post(format!("http://{addr}/token"))
            .body("client_secret=x")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
        server.await.unwrap();
    }
}
