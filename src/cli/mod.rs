//! Subcommands.

mod args;
mod verify_bundle;

use std::process::ExitCode;

pub(crate) use args::{Args, UsageError};
use rulepack_verify::time::UnixTime;
use rulepack_verify::trust_root::TrustedRoot;
use rulepack_verify::Error;

const USAGE: &str = "\
usage: rulepack-verify <command> [options]

commands:
  verify-bundle   verify one Sigstore bundle for a file or digest (sigstore-conformance protocol)
  help            this text

verify-bundle [--staging] --bundle FILE
              (--certificate-identity ID | --certificate-identity-regexp RE)
              (--certificate-oidc-issuer URL | --certificate-oidc-issuer-regexp RE)
              | --key PEM
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
    /// Verification (or configuration, trust root, registry) failed.
    Verify(Error),
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
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Usage(_) => "usage",
            Self::Io { .. } => "io.read-failed",
            Self::Verify(e) => e.code(),
        }
    }

    fn line(&self) -> String {
        match self {
            Self::Usage(UsageError(m)) => {
                format!("error[usage]: {m}\n(run `rulepack-verify help` for usage)")
            }
            Self::Io { path, err } => format!("error[{}]: cannot read {path}: {err}", self.code()),
            Self::Verify(e) => format!("error[{}]: {e}", e.code()),
        }
    }

    fn exit_status(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Io { .. } => 2,
            Self::Verify(e) => match e {
                Error::Config(_) => 2,
                Error::Tuf(_) => 3,
                Error::Registry(r) if r.is_unreachable() => 3,
                _ => 1,
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

/// Loads the trust root: an explicit file (no network for trust), else the default.
pub(crate) fn load_trusted_root(path: Option<&str>, staging: bool) -> Result<TrustedRoot, Failure> {
    match path {
        Some(p) => {
            let bytes = read_file(p, rulepack_verify::limits::MAX_TRUSTED_ROOT_BYTES)?;
            Ok(TrustedRoot::from_json(&bytes).map_err(Error::from)?)
        }
        None if staging => Err(Failure::Usage(UsageError(
            "--staging needs --trusted-root FILE (the staging TUF repository is not built in)"
                .into(),
        ))),
        None => {
            eprintln!(
                "note: no --trusted-root given; using the embedded public-good trusted_root.json snapshot"
            );
            Ok(TrustedRoot::embedded_public_good().map_err(Error::from)?)
        }
    }
}
