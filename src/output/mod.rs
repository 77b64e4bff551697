//! The output directory of `pull`: an exact, atomically switched picture of what one run
//! verified. The full description for operators is `docs/pull.md`.
//!
//! ```text
//! DIR/
//!   .rulepack-verify-output      marker: DIR is managed by pull (also the run's lock)
//!   current -> gen-000008        symlink to the complete generation of the last run
//!   gen-000008/
//!     index.json                 every pack of this generation, with provenance
//!     packs/<name>/<title path>  one directory per pack, its layers as files
//! ```
//!
//! - **One directory per pack, named injectively.** `<name>` is
//!   [`pack_dir_name`]: the pack's full reference percent-encoded into a single path
//!   component, so no two references share a directory or nest inside each other's
//!   (a tag cannot pose as a repository component, or the other way round).
//! - **One generation per run.** A run writes a new generation in a temporary
//!   `.staging-*` directory, renames it to `gen-<N>` when complete, and then switches
//!   `current` with one `rename(2)` of a new symlink over the old one (POSIX: "If the
//!   link named by the new argument exists, it shall be removed and old renamed to
//!   new", atomically for other processes). Readers see the previous complete
//!   generation or the new one, never a mix. Older generations are removed after the
//!   switch.
//! - **Cleanup.** A run holds an exclusive lock on the marker file (`flock`, released
//!   by the kernel when the process dies), so whatever `.staging-*` directory or
//!   unreferenced generation it finds was left by a killed run, and is removed.
//! - **Refusal.** A directory that is neither empty nor marked is not written to (it
//!   may be an old-style output or anything else; nothing in it is deleted).

use core::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::oci::Reference;

/// The marker (and lock) file's name.
pub const MARKER: &str = ".rulepack-verify-output";
/// The symlink naming the current generation.
pub const CURRENT: &str = "current";
/// Each generation's description of itself.
pub const INDEX: &str = "index.json";
/// The directory of the pack directories inside a generation.
pub const PACKS: &str = "packs";

const GENERATION_PREFIX: &str = "gen-";
const STAGING_PREFIX: &str = ".staging-";
const LINK_PREFIX: &str = ".current-";
/// `NAME_MAX` of common file systems: longer names fall back to a digest.
const MAX_NAME_BYTES: usize = 255;

/// The directory name of a pack: its reference without `oci://`
/// (`registry/repository[:tag][@sha256:hex]`, the normalized form), with every byte
/// other than `a–z 0–9 . _ -` written `%XX` (uppercase hex; RFC 3986 §2.1
/// percent-encoding). Percent-encoding with a fixed set of kept bytes is one-to-one, and
/// the result is a single path component (`/` becomes `%2F`), never `.` or `..`.
/// Uppercase letters (tags may have them) are encoded too, so names also differ on
/// case-insensitive file systems.
///
/// A name longer than 255 bytes is replaced by `sha256-<hex of the unencoded form>`;
/// encoded names always contain `%2F` and digest names never contain `%`, so the two
/// kinds cannot meet.
pub fn pack_dir_name(r: &Reference) -> String {
    let full = r.to_string();
    let s = full.strip_prefix("oci://").unwrap_or(&full);
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push_str(&format!("{b:02X}"));
        }
    }
    if out.len() <= MAX_NAME_BYTES {
        out
    } else {
        format!("sha256-{}", crate::oci::Digest::of(s.as_bytes()).hex())
    }
}

/// Writing the output directory failed (CLI code `io.write-failed`).
#[derive(Debug)]
pub struct WriteError {
    /// The path involved.
    pub path: PathBuf,
    /// What was being done.
    pub action: &'static str,
    /// The operating system's reason (or ours, for a refused directory).
    pub err: std::io::Error,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot write {} ({}): {}",
            self.path.display(),
            self.action,
            self.err
        )
    }
}

impl std::error::Error for WriteError {}

fn werr<'a>(
    path: &'a Path,
    action: &'static str,
) -> impl FnOnce(std::io::Error) -> WriteError + 'a {
    move |err| WriteError {
        path: path.to_path_buf(),
        action,
        err,
    }
}

/// The generation `DIR/current` names, as a path (`DIR/gen-000008`), or `None` when
/// no run has completed yet. This is how a consumer finds what to load; reading
/// through `DIR/current/` directly is equivalent.
#[cfg(any(test, feature = "unstable-internals"))]
pub fn current_generation(dir: &Path) -> std::io::Result<Option<PathBuf>> {
    match fs::read_link(dir.join(CURRENT)) {
        Ok(target) => Ok(Some(dir.join(target))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn generation_number(name: &str) -> Option<u64> {
    let n = name.strip_prefix(GENERATION_PREFIX)?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// An output directory opened for one run: created or recognized, locked, and cleaned
/// of what killed runs left behind. The lock is held until this value is dropped.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    _lock: File,
    next: u64,
    /// Stale entries removed when the directory was opened (for the caller to report).
    pub removed: Vec<PathBuf>,
    /// Entries in the directory that pull does not manage (left alone).
    pub foreign: Vec<PathBuf>,
}

impl OutputDir {
    /// Opens `dir` for writing a new generation: creates it if needed, refuses a
    /// directory that is neither empty nor marked, takes the lock (failing at once if
    /// another run holds it), and removes stale staging directories and generations
    /// `current` does not name.
    pub fn open(dir: &Path) -> Result<Self, WriteError> {
        fs::create_dir_all(dir).map_err(werr(dir, "creating the output directory"))?;
        let marker = dir.join(MARKER);
        if !marker.is_file() {
            let mut entries = fs::read_dir(dir).map_err(werr(dir, "listing the directory"))?;
            if entries.next().is_some() {
                return Err(WriteError {
                    path: dir.to_path_buf(),
                    action: "checking it is a pull output directory",
                    err: std::io::Error::other(format!(
                        "it is not empty and has no {MARKER} marker: pull writes only into an empty or new directory, or one an earlier pull wrote (nothing in it was changed; choose another directory or empty this one)"
                    )),
                });
            }
            match OpenOptions::new().write(true).create_new(true).open(&marker) {
                Ok(mut f) => f
                    .write_all(b"rulepack-verify pull output directory (layout 1): read current/, see docs/pull.md\n")
                    .map_err(werr(&marker, "writing the marker"))?,
                // Another run created it in the meantime: the lock below decides.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(werr(&marker, "creating the marker")(e)),
            }
        }
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&marker)
            .map_err(werr(&marker, "opening the lock"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(WriteError {
                    path: dir.to_path_buf(),
                    action: "taking the lock",
                    err: std::io::Error::other(
                        "another rulepack-verify pull is writing this directory; run again when it has finished",
                    ),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(werr(&marker, "taking the lock")(e))
            }
        }
        let current = fs::read_link(dir.join(CURRENT))
            .ok()
            .and_then(|t| t.to_str().map(str::to_owned));
        let mut next = current.as_deref().and_then(generation_number).unwrap_or(0);
        let mut removed = Vec::new();
        let mut foreign = Vec::new();
        for e in fs::read_dir(dir).map_err(werr(dir, "listing the directory"))? {
            let e = e.map_err(werr(dir, "listing the directory"))?;
            let name = e.file_name();
            let Some(name) = name.to_str() else {
                foreign.push(e.path());
                continue;
            };
            if name == MARKER || name == CURRENT || Some(name) == current.as_deref() {
                continue;
            }
            let stale = name.starts_with(STAGING_PREFIX)
                || name.starts_with(LINK_PREFIX)
                || generation_number(name).is_some();
            if let Some(n) = generation_number(name) {
                next = next.max(n);
            }
            if stale {
                remove_any(&e.path()).map_err(werr(&e.path(), "removing a stale entry"))?;
                removed.push(e.path());
            } else {
                foreign.push(e.path());
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            _lock: lock,
            next: next.saturating_add(1),
            removed,
            foreign,
        })
    }

    /// The directory.
    #[cfg(any(test, feature = "unstable-internals"))]
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Starts the new generation in a staging directory.
    pub fn stage(&self) -> Result<Staging<'_>, WriteError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = self
            .dir
            .join(format!("{STAGING_PREFIX}{}-{nanos}", std::process::id()));
        fs::create_dir(&path).map_err(werr(&path, "creating the staging directory"))?;
        let s = Staging {
            out: self,
            path,
            committed: false,
        };
        let packs = s.path.join(PACKS);
        fs::create_dir(&packs).map_err(werr(&packs, "creating the staging directory"))?;
        Ok(s)
    }
}

fn remove_any(p: &Path) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(p)?;
    if meta.is_dir() {
        fs::remove_dir_all(p)
    } else {
        fs::remove_file(p)
    }
}

fn sync_dir(p: &Path) -> std::io::Result<()> {
    // Directory entries (new files, renames) reach the disk with an fsync of the
    // directory itself (POSIX fsync; Linux fsync(2) "Calling fsync() does not
    // necessarily ensure that the entry in the directory containing the file has also
    // reached disk").
    File::open(p)?.sync_all()
}

/// A generation being written. Dropped without [`Staging::commit`], it is removed and
/// `current` is untouched.
#[derive(Debug)]
pub struct Staging<'a> {
    out: &'a OutputDir,
    path: PathBuf,
    committed: bool,
}

/// The result of a switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generation {
    /// `gen-<N>`, what `current` now names.
    pub name: String,
    /// `DIR/gen-<N>`.
    pub path: PathBuf,
    /// `N`.
    pub number: u64,
}

impl Staging<'_> {
    /// The staging directory (`DIR/.staging-…`).
    #[cfg(any(test, feature = "unstable-internals"))]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The generation number this staging becomes.
    pub fn number(&self) -> u64 {
        self.out.next
    }

    /// Creates the pack directory `packs/<name>` (the name from [`pack_dir_name`]).
    pub fn add_pack(&self, name: &str) -> Result<PathBuf, WriteError> {
        let p = self.path.join(PACKS).join(name);
        fs::create_dir(&p).map_err(werr(&p, "creating a pack directory"))?;
        Ok(p)
    }

    /// Removes a pack directory again (the pack failed after it was started).
    pub fn remove_pack(&self, name: &str) -> Result<(), WriteError> {
        let p = self.path.join(PACKS).join(name);
        match fs::remove_dir_all(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(werr(&p, "removing a failed pack")(e)),
        }
    }

    /// Writes `bytes` to `pack_dir/rel` (`rel` a checked `/`-separated relative path,
    /// see `pack::layers`), creating its directories. The file must not exist yet:
    /// nothing is overwritten and no existing link is followed.
    pub fn write_file(&self, pack_dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let mut p = pack_dir.to_path_buf();
        for c in rel.split('/') {
            p.push(c);
        }
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).map_err(werr(parent, "creating a layer directory"))?;
        }
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .map_err(werr(&p, "creating a layer file"))?;
        f.write_all(bytes).map_err(werr(&p, "writing a layer"))?;
        f.sync_all().map_err(werr(&p, "writing a layer"))
    }

    /// Writes the generation's `index.json`, renames the staging directory to
    /// `gen-<N>`, switches `current` to it atomically, and removes the previous
    /// generations. On error before the switch, `current` still names the previous
    /// generation.
    pub fn commit(mut self, index: &[u8]) -> Result<Generation, WriteError> {
        let dir = self.out.dir.clone();
        let idx = self.path.join(INDEX);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&idx)
            .map_err(werr(&idx, "writing the index"))?;
        f.write_all(index)
            .map_err(werr(&idx, "writing the index"))?;
        f.sync_all().map_err(werr(&idx, "writing the index"))?;
        sync_tree(&self.path).map_err(werr(&self.path, "syncing the new generation"))?;
        let number = self.out.next;
        let name = format!("{GENERATION_PREFIX}{number:06}");
        let gen = dir.join(&name);
        fs::rename(&self.path, &gen).map_err(werr(&gen, "renaming the new generation"))?;
        self.committed = true;
        let staged_link = dir.join(format!("{LINK_PREFIX}{}", std::process::id()));
        let _ = fs::remove_file(&staged_link);
        symlink(&name, &staged_link).map_err(|e| {
            let _ = fs::remove_dir_all(&gen);
            werr(&staged_link, "creating the new current link")(e)
        })?;
        fs::rename(&staged_link, dir.join(CURRENT)).map_err(|e| {
            let _ = fs::remove_file(&staged_link);
            let _ = fs::remove_dir_all(&gen);
            werr(&dir, "switching current to the new generation")(e)
        })?;
        // `current` names the new generation from here on: a failed sync is reported,
        // but it does not make this run's output "unchanged".
        if let Err(e) = sync_dir(&dir) {
            eprintln!(
                "warning: syncing {} failed ({e}); current names the new generation, which a crash now could still lose",
                dir.display()
            );
        }
        // The previous generations: nothing names them any more.
        if let Ok(entries) = fs::read_dir(&dir) {
            for e in entries.flatten() {
                let n = e.file_name();
                let is_old = n
                    .to_str()
                    .is_some_and(|n| n != name && generation_number(n).is_some_and(|k| k < number));
                if is_old {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        Ok(Generation {
            name,
            path: gen,
            number,
        })
    }
}

/// fsync every directory of the new generation (the files were synced when written).
fn sync_tree(p: &Path) -> std::io::Result<()> {
    for e in fs::read_dir(p)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            sync_tree(&e.path())?;
        }
    }
    sync_dir(p)
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &str, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "the pull output directory needs symbolic links (a Unix system)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> String {
        pack_dir_name(&Reference::parse(s).unwrap())
    }

    #[test]
    fn names_are_single_components_and_distinct() {
        assert_eq!(
            name("oci://ghcr.io/lithastra/rules/eks:0.1.0"),
            "ghcr.io%2Flithastra%2Frules%2Feks%3A0.1.0"
        );
        let refs = [
            "oci://ghcr.io/lithastra/rules/eks:0.1.0",
            "oci://ghcr.io/lithastra:rules",
            "oci://ghcr.io/lithastra/rules:eks",
            "oci://ghcr.io/acme/rules:argo",
            "oci://ghcr.io/acme/rules/argo:0.2.0",
            "oci://ghcr.io/acme/rules/argo:0.2.0.json",
            "oci://ghcr.io/acme/rules/argo:V1",
            "oci://ghcr.io/acme/rules/argo:v1",
            "oci://ghcr.io:5000/acme/rules:v1",
            "oci://ghcr.io/acme/rules@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "oci://ghcr.io/acme/rules:1@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "oci://[::1]:5000/acme/rules:1",
        ];
        let names: Vec<String> = refs.iter().map(|r| name(r)).collect();
        for (i, a) in names.iter().enumerate() {
            assert!(
                !a.contains('/') && a != "." && a != ".." && a.len() <= 255,
                "{a}"
            );
            for b in names.iter().skip(i + 1) {
                assert_ne!(a.to_ascii_lowercase(), b.to_ascii_lowercase());
            }
        }
    }

    #[test]
    fn long_names_fall_back_to_a_digest() {
        let repo = vec!["a".repeat(60); 4].join("/");
        let r = format!("oci://ghcr.io/{repo}:1");
        let n = name(&r);
        assert!(n.starts_with("sha256-") && !n.contains('%'), "{n}");
        assert_eq!(n.len(), 7 + 64);
        assert_ne!(n, name(&format!("oci://ghcr.io/{repo}:2")));
    }
}
