//! `rulepack-verify` command-line interface.

fn main() {
    std::process::exit(2);
}
