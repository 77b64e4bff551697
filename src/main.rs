//! `rulepack-verify` command-line interface: a thin wrapper over
//! [`rulepack_verify::run_cli`] (`docs/cli.md`).
//!
//! Exit status: 0 verified; 1 a verification failed; 2 usage or configuration error;
//! 3 trust root or registry unreachable. Failures print one line
//! `error[<code>]: <sentence>` on stderr.

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    rulepack_verify::run_cli(&argv)
}
