//! A small, strict command-line parser: `--flag value` and `--flag=value` options,
//! boolean switches, positionals. Unknown flags are usage errors.

use std::collections::BTreeMap;

/// A usage error (exit status 2).
#[derive(Debug)]
pub(crate) struct UsageError(pub String);

/// Parsed arguments of one subcommand.
#[derive(Debug, Default)]
pub(crate) struct Args {
    values: BTreeMap<&'static str, Vec<String>>,
    switches: Vec<&'static str>,
    /// Positional arguments in order.
    pub(crate) positionals: Vec<String>,
}

impl Args {
    /// Parses `argv` given the option names that take a value and the boolean switches.
    pub(crate) fn parse(
        argv: &[String],
        valued: &[&'static str],
        switches: &[&'static str],
    ) -> Result<Self, UsageError> {
        let mut a = Args::default();
        let mut it = argv.iter();
        while let Some(arg) = it.next() {
            if arg == "--" {
                a.positionals.extend(it.by_ref().cloned());
                break;
            }
            if let Some(flag) = arg.strip_prefix("--") {
                let (name, inline) = match flag.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_owned())),
                    None => (flag, None),
                };
                if let Some(n) = valued.iter().find(|v| **v == name) {
                    let v = match inline {
                        Some(v) => v,
                        None => it
                            .next()
                            .cloned()
                            .ok_or_else(|| UsageError(format!("--{name} needs a value")))?,
                    };
                    a.values.entry(n).or_default().push(v);
                } else if let Some(n) = switches.iter().find(|v| **v == name) {
                    if inline.is_some() {
                        return Err(UsageError(format!("--{name} takes no value")));
                    }
                    a.switches.push(n);
                } else {
                    return Err(UsageError(format!("unknown option --{name}")));
                }
            } else {
                a.positionals.push(arg.clone());
            }
        }
        Ok(a)
    }

    /// The single value of an option, if given (given twice is an error).
    pub(crate) fn one(&self, name: &str) -> Result<Option<&str>, UsageError> {
        match self.values.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([v]) => Ok(Some(v.as_str())),
            Some(_) => Err(UsageError(format!("--{name} given more than once"))),
        }
    }

    /// Every value of a repeatable option.
    pub(crate) fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether a switch was given.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }
}
