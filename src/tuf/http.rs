//! The HTTPS [`Fetcher`]: ureq 3 + rustls (webpki roots). Bodies are capped while
//! reading (`max_len + 1` bytes are taken, never trusting `Content-Length`), timeouts come
//! from [`crate::limits`], redirects are bounded and may not leave HTTPS, and plain
//! `http://` is accepted only for loopback hosts (local test repositories).

use std::io::Read as _;
use std::time::Duration;

use super::fetch::{FetchError, Fetched, Fetcher};
use crate::limits::{HTTP_CONNECT_TIMEOUT_SECS, HTTP_REQUEST_TIMEOUT_SECS, MAX_HTTP_REDIRECTS};
use crate::oci::Deadline;

/// An HTTP(S) fetcher for TUF repositories.
pub struct HttpFetcher {
    https: ureq::Agent,
    loopback: ureq::Agent,
    connect: Duration,
    total: Duration,
    deadline: Option<Deadline>,
}

impl core::fmt::Debug for HttpFetcher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HttpFetcher")
    }
}

impl Default for HttpFetcher {
    fn default() -> Self {
        Self::new()
    }
}

fn agent(connect: Duration, total: Duration, https_only: bool, redirects: u32) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(connect))
        .timeout_global(Some(total))
        .https_only(https_only)
        .max_redirects(redirects)
        .http_status_as_error(false)
        .user_agent(concat!(
            "rulepack-verify/",
            env!("CARGO_PKG_VERSION"),
            " (tuf)"
        ))
        .build()
        .into()
}

impl HttpFetcher {
    /// A fetcher with the crate's default timeouts (`src/limits.rs`: connect 10 s, request 60 s).
    pub fn new() -> Self {
        Self::with_timeouts(
            Duration::from_secs(HTTP_CONNECT_TIMEOUT_SECS),
            Duration::from_secs(HTTP_REQUEST_TIMEOUT_SECS),
        )
    }

    /// A fetcher with explicit connect and whole-request timeouts.
    pub fn with_timeouts(connect: Duration, total: Duration) -> Self {
        Self {
            https: agent(connect, total, true, MAX_HTTP_REDIRECTS),
            // Loopback test servers: no redirects at all.
            loopback: agent(connect, total, false, 0),
            connect,
            total,
            deadline: None,
        }
    }

    /// This fetcher under the run's deadline: every request's timeouts are cut to the
    /// time left, and once it has passed a fetch fails with
    /// [`FetchError::DeadlineExceeded`] without sending anything.
    pub fn until(mut self, deadline: Deadline) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The timeouts of the next request, cut to the deadline (and whether they were
    /// cut); `Err` once it has passed.
    fn timeouts(&self) -> Result<(Duration, Duration, bool), FetchError> {
        let Some(d) = self.deadline else {
            return Ok((self.connect, self.total, false));
        };
        let left = d.left();
        if left.is_zero() {
            return Err(FetchError::DeadlineExceeded {
                seconds: d.seconds(),
            });
        }
        Ok((
            self.connect.min(left),
            self.total.min(left),
            left < self.connect || left < self.total,
        ))
    }

    /// `e`, or the deadline when a cut timeout is what ended the request.
    fn or_deadline(&self, cut: bool, e: FetchError) -> FetchError {
        match self.deadline {
            Some(d) if cut && d.passed() => FetchError::DeadlineExceeded {
                seconds: d.seconds(),
            },
            _ => e,
        }
    }
}

/// Whether `url` is `http://` to 127.0.0.0/8, `[::1]` or `localhost`.
pub(crate) fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    let v4_loopback = host.strip_prefix("127.").is_some_and(|r| {
        let parts: Vec<&str> = r.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|c| c.is_ascii_digit()))
    });
    v4_loopback || host == "::1" || host.eq_ignore_ascii_case("localhost")
}

impl Fetcher for HttpFetcher {
    fn fetch(&self, url: &str, max_len: u64) -> Result<Fetched, FetchError> {
        let agent = if url.starts_with("https://") {
            &self.https
        } else if is_loopback_http(url) {
            &self.loopback
        } else {
            return Err(FetchError::InvalidUrl {
                detail: "only https:// (or plain http:// to a loopback address) is allowed".into(),
            });
        };
        let (connect, total, cut) = self.timeouts()?;
        let mut resp = agent
            .get(url)
            .config()
            .timeout_connect(Some(connect))
            .timeout_global(Some(total))
            .build()
            .call()
            .map_err(|e| match e {
                ureq::Error::StatusCode(status) => status_error(status),
                other => self.or_deadline(
                    cut,
                    FetchError::Unreachable {
                        detail: other.to_string(),
                    },
                ),
            })?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(status_error(status));
        }
        let mut bytes = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(max_len.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| {
                self.or_deadline(
                    cut,
                    FetchError::Unreachable {
                        detail: format!("reading the body failed: {e}"),
                    },
                )
            })?;
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max_len {
            return Err(FetchError::TooLarge { limit: max_len });
        }
        Ok(Fetched { bytes })
    }
}

fn status_error(status: u16) -> FetchError {
    // GCS and S3 answer 403 for a missing object (python-tuf `_load_root`).
    if status == 404 || status == 403 {
        FetchError::NotFound { status }
    } else {
        FetchError::Status { status }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for (u, ok) in [
            ("http://127.0.0.1:8080/metadata/", true),
            ("http://127.1.2.3/x", true),
            ("http://[::1]:9/x", true),
            ("http://localhost/x", true),
            ("http://127.0.0.1.evil.example/x", false),
            ("http://user@127.0.0.1/x", false),
            ("http://example.com/x", false),
            ("https://127.0.0.1/x", false),
        ] {
            assert_eq!(is_loopback_http(u), ok, "{u}");
        }
        let f = HttpFetcher::new();
        assert!(matches!(
            f.fetch("http://example.com/x", 10),
            Err(FetchError::InvalidUrl { .. })
        ));
        assert!(matches!(
            f.fetch("file:///etc/passwd", 10),
            Err(FetchError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn a_passed_deadline_sends_nothing() {
        use crate::oci::DeadlineKind;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/1.root.json", listener.local_addr().unwrap());
        let f = HttpFetcher::new().until(Deadline::after(DeadlineKind::Run, Duration::ZERO));
        assert_eq!(
            f.fetch(&url, 10),
            Err(FetchError::DeadlineExceeded { seconds: 1 })
        );
        // No connection was attempted.
        assert!(listener.accept().is_err());
    }
}
