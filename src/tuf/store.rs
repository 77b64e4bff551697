//! The local TUF metadata cache. Everything read back from it is **untrusted input**:
//! the updater re-verifies every file from the trust anchor on each run (sigstore-rust
//! PR #171/#179, audit TOB-SIGSTORE-10), so a tampered cache can at worst cost a
//! download. Writes are atomic (temporary file + rename in the same directory) so
//! concurrent runs sharing the directory only ever see complete files (cosign #1208).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::TufError;

/// Where verified metadata and targets are kept between runs.
///
/// File names are produced by the updater: `N.root.json`, `root.json`, `timestamp.json`,
/// `snapshot.json`, `targets.json`, `<role>.json` and `targets/<name>`, with every
/// character outside `[A-Za-z0-9._-]` percent-encoded.
pub trait MetadataStore {
    /// Reads `name`, or `None` when it is absent, unreadable or larger than `max_len`.
    fn load(&self, name: &str, max_len: u64) -> Option<Vec<u8>>;
    /// Atomically replaces `name` with `bytes`.
    fn store(&self, name: &str, bytes: &[u8]) -> Result<(), TufError>;
    /// Removes `name`; a missing file is not an error.
    fn remove(&self, name: &str);
}

/// A store that keeps nothing: every run downloads everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoStore;

impl MetadataStore for NoStore {
    fn load(&self, _name: &str, _max_len: u64) -> Option<Vec<u8>> {
        None
    }
    fn store(&self, _name: &str, _bytes: &[u8]) -> Result<(), TufError> {
        Ok(())
    }
    fn remove(&self, _name: &str) {}
}

/// A directory on disk.
#[derive(Clone, Debug)]
pub struct FsStore {
    dir: PathBuf,
}

/// Percent-encodes everything outside `[A-Za-z0-9._-]` (and a whole-`.`/`..` name), so
/// an untrusted role or target name can never escape the directory (python-tuf quotes
/// role names the same way with `parse.quote(name, "")`).
pub(crate) fn quote(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    if s.is_empty() || s.bytes().all(|b| b == b'.') {
        return s.replace('.', "%2E");
    }
    s
}

fn valid_component(c: &str) -> bool {
    !c.is_empty()
        && c != "."
        && c != ".."
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'%'))
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FsStore {
    /// A store in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    #[cfg(any(test, feature = "unstable-internals"))]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> Option<PathBuf> {
        let mut p = self.dir.clone();
        let mut n = 0;
        for c in name.split('/') {
            if !valid_component(c) {
                return None;
            }
            p.push(c);
            n += 1;
        }
        (n <= 2).then_some(p)
    }
}

impl MetadataStore for FsStore {
    fn load(&self, name: &str, max_len: u64) -> Option<Vec<u8>> {
        let path = self.path(name)?;
        let file = std::fs::File::open(path).ok()?;
        if file.metadata().ok()?.len() > max_len {
            return None;
        }
        // Bounded even if the file grows while we read it.
        let mut buf = Vec::new();
        file.take(max_len.saturating_add(1))
            .read_to_end(&mut buf)
            .ok()?;
        (u64::try_from(buf.len()).ok()? <= max_len).then_some(buf)
    }

    fn store(&self, name: &str, bytes: &[u8]) -> Result<(), TufError> {
        let err = |path: &Path, e: std::io::Error| TufError::CacheWrite {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let path = self.path(name).ok_or_else(|| TufError::CacheWrite {
            path: self.dir.join(name).display().to_string(),
            detail: "unsafe file name".into(),
        })?;
        let parent = path.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| err(&parent, e))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = parent.join(format!(
            ".tmp-{}-{}-{nanos}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(&path, e)
        })
    }

    fn remove(&self, name: &str) {
        if let Some(p) = self.path(name) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The default cache directory for a repository:
/// `$XDG_CACHE_HOME/rulepack-verify/tuf/<host>[_<path>]/`, else
/// `$HOME/.cache/rulepack-verify/tuf/…`; `None` when neither variable is set.
pub fn default_cache_dir(repository_url: &str) -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache"),
    };
    Some(
        base.join("rulepack-verify")
            .join("tuf")
            .join(repository_dir_name(repository_url)),
    )
}

/// `https://tuf-repo-cdn.sigstore.dev` → `tuf-repo-cdn.sigstore.dev`;
/// `https://sigstore.github.io/root-signing/` → `sigstore.github.io_root-signing`.
fn repository_dir_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let rest = rest.trim_end_matches('/');
    let name: String = rest
        .chars()
        .map(|c| match c {
            '/' | ':' => '_',
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' => c,
            _ => '-',
        })
        .collect();
    quote(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_never_escapes_the_directory() {
        assert_eq!(quote("registry.npmjs.org"), "registry.npmjs.org");
        assert_eq!(quote("../etc/passwd"), "..%2Fetc%2Fpasswd");
        assert_eq!(quote(".."), "%2E%2E");
        assert_eq!(quote(""), "");
        assert!(!valid_component(&quote("")));
        assert_eq!(
            repository_dir_name("https://tuf-repo-cdn.sigstore.dev"),
            "tuf-repo-cdn.sigstore.dev"
        );
        assert_eq!(
            repository_dir_name("https://sigstore.github.io/root-signing/"),
            "sigstore.github.io_root-signing"
        );
        assert_eq!(
            repository_dir_name("http://127.0.0.1:8080/metadata"),
            "127.0.0.1_8080_metadata"
        );
    }

    #[test]
    fn fs_store_round_trips_atomically_and_bounds_reads() {
        let dir = std::env::temp_dir().join(format!("rpv-tuf-store-{}", std::process::id()));
        let s = FsStore::new(&dir);
        s.store("timestamp.json", b"abc").unwrap();
        s.store("targets/trusted_root.json", b"xyz").unwrap();
        assert_eq!(s.load("timestamp.json", 3).as_deref(), Some(&b"abc"[..]));
        assert_eq!(s.load("timestamp.json", 2), None);
        assert_eq!(
            s.load("targets/trusted_root.json", 10).as_deref(),
            Some(&b"xyz"[..])
        );
        assert!(s.store("../x", b"1").is_err());
        assert!(s.store("a/b/c", b"1").is_err());
        assert_eq!(s.load("../timestamp.json", 10), None);
        s.remove("timestamp.json");
        assert_eq!(s.load("timestamp.json", 10), None);
        // No temporary files left behind.
        let leftovers = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
