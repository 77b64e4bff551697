//! Subcommands.

mod args;
mod inspect;
mod packs;
mod pull;
mod trust;
mod verify_bundle;

use std::process::ExitCode;

use crate::time::UnixTime;
use crate::Error;
pub(crate) use args::{Args, UsageError};

const USAGE: &str = "\
usage: rulepack-verify <command> [options]      (rulepack-verify <command> --help for one command)

commands:
  verify --config values.yaml        verify every pack of rulePacks.extras (the main job)
  verify oci://REF... [identity]     one-off check of packs
  pull --config values.yaml --out DIR
                                     verify, then make DIR/current hold exactly the packs
                                     that verified (one generation per run, switched atomically)
  inspect BUNDLE_FILE | oci://REF    show what a bundle claims (unverified), to write trustedIdentities
  trust-root update|show             fetch (TUF) and print the trust root
  verify-bundle ...                  verify one bundle (sigstore-conformance client protocol)
  help, --help, --version

identity (verify oci://REF...; third-party packs only, first-party packs are pinned):
  --certificate-identity ID | --certificate-identity-regexp RE
  --certificate-oidc-issuer URL | --certificate-oidc-issuer-regexp RE

trust root (verify, pull, trust-root, verify-bundle; default: Sigstore public-good through TUF):
  --trusted-root FILE                use this trusted_root.json as is (no network for trust)
  --tuf-url URL --tuf-root FILE      another TUF repository and its trusted root.json
  --staging                          the Sigstore staging TUF repository

packs (verify, pull, inspect):
  --layout DIR                       resolve every oci:// reference from an OCI image layout
  --registry-mirror HOST=URL         fetch HOST's packs from a mirror (repeatable)
  --insecure-registry HOST           allow plain http:// for HOST (loopback tests)
  --ca-file PEM                      CA bundle for registries (replaces the built-in roots)

network (verify, pull):
  --jobs N                           packs (and pull's layers) fetched at once, 1-64 (default 50)
  --connect-timeout D, --request-timeout D
                                     per request (default 10s, 60s); D is 500ms, 90s, 2m or seconds
  --pack-timeout D, --run-timeout D  deadlines for one pack's and the whole run's network
                                     work (default 120s, 300s; exit 3 when they pass)

output (verify, pull):
  --output text|json                 json: exactly one document on stdout, errors included

  --config FILE                      the values file (verify, pull); - reads it from stdin

exit status: 0 verified, 1 verification failed, 2 usage or configuration error,
             3 trust root or registry unreachable";

const TRUST_HELP: &str = "\
trust root (default: the Sigstore public-good root through TUF, refreshed online):
  --trusted-root FILE                use this trusted_root.json as is (no network for trust)
  --tuf-url URL --tuf-root FILE      another TUF repository and its trusted root.json
  --staging                          the Sigstore staging TUF repository";

const NETWORK_HELP: &str = "\
network:
  --jobs N                           packs (and pull's layers) fetched at once, 1-64 (default 50)
  --connect-timeout D, --request-timeout D
                                     per request (default 10s, 60s); D is 500ms, 90s, 2m or seconds
  --pack-timeout D, --run-timeout D  deadlines for one pack's and the whole run's network
                                     work (default 120s, 300s; exit 3 when they pass)";

const REGISTRY_HELP: &str = "\
packs:
  --layout DIR                       resolve every oci:// reference from an OCI image layout
  --registry-mirror HOST=URL         fetch HOST's packs from a mirror (repeatable)
  --insecure-registry HOST           allow plain http:// for HOST (loopback tests)
  --ca-file PEM                      CA bundle for registries (replaces the built-in roots)";

/// The `--help` text of one command.
fn command_help(cmd: &str) -> Option<String> {
    let exit = "exit status: 0 verified, 1 verification failed, 2 usage or configuration error,\n             3 trust root or registry unreachable";
    Some(match cmd {
        "verify" | "pull" => {
            let head = if cmd == "verify" {
                "usage: rulepack-verify verify --config values.yaml [options]\n       rulepack-verify verify oci://REF... (--certificate-identity ID | --certificate-identity-regexp RE)\n                              (--certificate-oidc-issuer URL | --certificate-oidc-issuer-regexp RE) [options]\n\nVerifies every pack of rulePacks.extras (or the packs named), one line per pack."
            } else {
                "usage: rulepack-verify pull --config values.yaml --out DIR [options]\n\nVerifies every pack, then makes DIR/current hold exactly the packs that verified\n(one directory per pack, one generation per run, switched atomically; see docs/pull.md)."
            };
            format!("{head}\n\n  --config FILE                      the values file (- reads it from stdin)\n  --output text|json                 json: exactly one document on stdout, errors included\n\n{TRUST_HELP}\n\n{REGISTRY_HELP}\n\n{NETWORK_HELP}\n\n{exit}")
        }
        "inspect" => format!("usage: rulepack-verify inspect BUNDLE_FILE | oci://REF [options]\n\nShows what each attached bundle claims (nothing is verified) and suggests a\ntrustedIdentities entry.\n\n{REGISTRY_HELP}"),
        "trust-root" => format!("usage: rulepack-verify trust-root update|show [options]\n\nFetches the trust root (through TUF unless --trusted-root) and prints its authorities.\n\n{TRUST_HELP}"),
        "verify-bundle" => format!("usage: rulepack-verify verify-bundle [--staging] --bundle FILE\n              (--certificate-identity ID | --certificate-identity-regexp RE)\n              (--certificate-oidc-issuer URL | --certificate-oidc-issuer-regexp RE) | --key PEM\n              [--trusted-root FILE] FILE_OR_DIGEST\n\nThe sigstore-conformance client protocol: FILE_OR_DIGEST is a path or sha256:<64 hex>.\n\n{TRUST_HELP}"),
        _ => return None,
    })
}

/// Whether `rest` (a command's arguments) asks for help before any `--`.
fn wants_help(rest: &[String]) -> bool {
    rest.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--help" || a == "-h")
}

/// Whether `--output json` was asked for (before any `--`), so that every outcome,
/// usage and setup errors included, is one JSON document on stdout.
fn wants_json(rest: &[String]) -> bool {
    let mut it = rest.iter().take_while(|a| *a != "--");
    while let Some(a) = it.next() {
        if a == "--output=json" || (a == "--output" && it.next().is_some_and(|v| v == "json")) {
            return true;
        }
    }
    false
}

/// The packs of the `--output json` document, set by the pack report. The document is
/// printed once, at the end of the run, with the run's final outcome (a `pull` output
/// error found after the report included), so stdout holds exactly one document.
static JSON_PACKS: std::sync::Mutex<Vec<serde_json::Value>> = std::sync::Mutex::new(Vec::new());

/// Records the packs of this run's JSON document.
pub(crate) fn json_packs(packs: Vec<serde_json::Value>) {
    if let Ok(mut p) = JSON_PACKS.lock() {
        *p = packs;
    }
}

/// Runs the CLI and maps the outcome to an exit status.
pub(crate) fn run(argv: &[String]) -> ExitCode {
    let Some((cmd, rest)) = argv.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if let Some(help) = command_help(cmd).filter(|_| wants_help(rest)) {
        println!("{help}");
        return ExitCode::SUCCESS;
    }
    let json = matches!(cmd.as_str(), "verify" | "pull") && wants_json(rest);
    let result = match cmd.as_str() {
        "verify-bundle" => verify_bundle::run(rest),
        "verify" => packs::verify(rest),
        "pull" => pull::pull(rest),
        "inspect" => inspect::run(rest),
        "trust-root" => trust::run(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        "--version" | "-V" | "version" => {
            println!("rulepack-verify {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        other => Err(Failure::Usage(UsageError(format!(
            "unknown command {other:?}"
        )))),
    };
    let line = result.as_ref().err().map(Failure::line);
    if json {
        let packs = JSON_PACKS
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        let error = match (&result, &line) {
            (Err(f), Some(l)) => serde_json::json!({
                "code": f.code(), "message": l, "exitStatus": f.exit_status(),
            }),
            _ => serde_json::Value::Null,
        };
        println!("{}", serde_json::json!({ "packs": packs, "error": error }));
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", line.unwrap_or_default());
            ExitCode::from(f.exit_status())
        }
    }
}

/// Why a command failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad command line.
    Usage(UsageError),
    /// A file could not be read.
    Io { path: String, err: std::io::Error },
    /// `pull`'s output directory could not be written (the previous generation stays).
    Write(crate::output::WriteError),
    /// Verification (or configuration, trust root, registry) failed.
    Verify(Error),
    /// A `verify`/`pull`/`trust-root` run could not be set up (trust root, CA file,
    /// credentials file, layout, endpoint): nothing was verified.
    Setup(Error),
    /// One or more packs failed (each already reported on stdout).
    Packs {
        failed: usize,
        all_unreachable: bool,
    },
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Self::Usage(e)
    }
}
impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Verify(e)
    }
}

impl Failure {
    /// Marks a verification-stage error as a run-level setup failure (exit 2, or 3 when
    /// unreachable) instead of a verification failure (exit 1).
    pub(crate) fn setup(self) -> Self {
        match self {
            Self::Verify(e) => Self::Setup(e),
            other => other,
        }
    }

    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Usage(_) => "usage",
            Self::Io { .. } => "io.read-failed",
            Self::Write(_) => "io.write-failed",
            Self::Verify(e) | Self::Setup(e) => e.code(),
            Self::Packs { .. } => "packs.failed",
        }
    }

    /// The one `error[code]: sentence` line, with credentials removed from any URL in it.
    pub(crate) fn line(&self) -> String {
        crate::oci::redact_credentials(&self.raw_line()).into_owned()
    }

    fn raw_line(&self) -> String {
        match self {
            Self::Usage(UsageError(m)) => {
                format!("error[usage]: {m} (run `rulepack-verify help` for usage)")
            }
            Self::Io { path, err } => format!("error[{}]: cannot read {path}: {err}", self.code()),
            Self::Write(e) => format!(
                "error[{}]: {e}; the previous output (if any) is unchanged",
                self.code()
            ),
            Self::Verify(e) | Self::Setup(e) => format!("error[{}]: {e}", e.code()),
            Self::Packs { failed, .. } => format!(
                "error[{}]: {failed} rule pack(s) failed and must not be loaded; each one's own result says why",
                self.code()
            ),
        }
    }

    pub(crate) fn exit_status(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Io { .. } | Self::Write(_) => 2,
            Self::Packs {
                all_unreachable, ..
            } => {
                if *all_unreachable {
                    3
                } else {
                    1
                }
            }
            Self::Verify(e) => match e {
                // A bad pattern given on the command line is a usage error, as it is in
                // the values file (config.invalid-regex).
                Error::Config(_)
                | Error::Reference(_)
                | Error::Policy(crate::policy::PolicyError::InvalidRegex { .. }) => 2,
                Error::Tuf(_) => 3,
                Error::Registry(r) if r.is_unreachable() => 3,
                _ => 1,
            },
            // Nothing was verified: an unusable trust root, CA, credentials file, layout
            // or endpoint is a configuration error, never "verification failed".
            Self::Setup(e) => match e {
                Error::Tuf(_) => 3,
                Error::Registry(r) if r.is_unreachable() => 3,
                _ => 2,
            },
        }
    }
}

/// Reads a file, bounded.
pub(crate) fn read_file(path: &str, max: usize) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|err| Failure::Io {
        path: path.to_owned(),
        err,
    })?;
    let mut buf = Vec::new();
    f.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|err| Failure::Io {
            path: path.to_owned(),
            err,
        })?;
    if buf.len() > max {
        return Err(Failure::Io {
            path: path.to_owned(),
            err: std::io::Error::other(format!("larger than the limit of {max} bytes")),
        });
    }
    Ok(buf)
}

/// Reads a file, or standard input for `-`, bounded: at most `max` bytes are read
/// plus one, so the caller can report "too large" in its own terms.
pub(crate) fn read_file_or_stdin(path: &str, max: usize) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut buf = Vec::new();
    let res = if path == "-" {
        std::io::stdin().lock().take(cap).read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(cap).read_to_end(&mut buf))
    };
    res.map_err(|err| Failure::Io {
        path: if path == "-" {
            "standard input".into()
        } else {
            path.to_owned()
        },
        err,
    })?;
    Ok(buf)
}

/// The wall clock, read once per command (the library never reads it).
pub(crate) fn now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
