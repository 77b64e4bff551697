//! Subcommands.

mod args;
mod inspect;
mod packs;
mod pull;
mod trust;
mod verify_bundle;

use std::process::ExitCode;

pub(crate) use args::{Args, UsageError};
use rulepack_verify::time::UnixTime;
use rulepack_verify::Error;

const USAGE: &str = "\
usage: rulepack-verify <command> [options]

commands:
  verify --config values.yaml        verify every pack of rulePacks.extras (the main job)
  verify oci://REF... [identity]     one-off check of packs
  pull --config values.yaml --out DIR
                                     verify, then make DIR/current hold exactly the packs
                                     that verified (one generation per run, switched atomically)
  inspect BUNDLE_FILE | oci://REF    show what a bundle claims (unverified), to write trustedIdentities
  trust-root update|show             fetch (TUF) and print the trust root
  verify-bundle ...                  verify one bundle (sigstore-conformance client protocol)
  help                               this text

identity (one-off verify; third-party packs only, first-party packs are pinned):
  --certificate-identity ID | --certificate-identity-regexp RE
  --certificate-oidc-issuer URL | --certificate-oidc-issuer-regexp RE

trust root (every command; default: Sigstore public-good through TUF, refreshed online):
  --trusted-root FILE                use this trusted_root.json as is (no network for trust)
  --tuf-url URL --tuf-root FILE      another TUF repository and its trusted root.json
  --staging                          the Sigstore staging TUF repository

packs:
  --layout DIR                       resolve every oci:// reference from an OCI image layout
  --registry-mirror HOST=URL         fetch HOST's packs from a mirror (repeatable)
  --insecure-registry HOST           allow plain http:// for HOST (loopback tests)
  --ca-file PEM                      CA bundle for registries (replaces the built-in roots)
  --output text|json                 json: {\"packs\": [...]} (schema in README)
  --jobs N                           packs (and pull's layers) fetched at once, 1-64 (default 50)
  --connect-timeout D, --request-timeout D
                                     per request (default 10s, 60s); D is 500ms, 90s, 2m or seconds
  --pack-timeout D, --run-timeout D  deadlines for one pack's and the whole run's network
                                     work (default 120s, 300s; exit 3 when they pass)

verify-bundle [--staging] --bundle FILE
              (--certificate-identity ID --certificate-oidc-issuer URL | --key PEM)
              [--trusted-root FILE] FILE_OR_DIGEST

exit status: 0 verified, 1 verification failed, 2 usage or configuration error,
             3 trust root or registry unreachable";

/// Runs the CLI and maps the outcome to an exit status.
pub(crate) fn run(argv: &[String]) -> ExitCode {
    let Some((cmd, rest)) = argv.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
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
        other => Err(Failure::Usage(UsageError(format!(
            "unknown command {other:?}"
        )))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", f.line());
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
    Write(rulepack_verify::output::WriteError),
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

    pub(crate) fn line(&self) -> String {
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
                "error[{}]: {failed} rule pack(s) failed verification and must not be loaded",
                self.code()
            ),
        }
    }

    fn exit_status(&self) -> u8 {
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
                Error::Config(_) | Error::Reference(_) => 2,
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

/// The wall clock, read once per command (the library never reads it).
pub(crate) fn now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
