//! A small, strict command-line parser: `--flag value` and `--flag=value` options,
//! boolean switches, positionals. Unknown flags (`--x`, and any other argument that
//! starts with `-`, such as `-q`) are usage errors; `--` ends the options.

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
            } else if arg.len() > 1 && arg.starts_with('-') {
                // `-q`, `-c values.yaml`: never a pack reference or a file name.
                return Err(UsageError(format!(
                    "unknown option {arg} (options are spelled --name; a value starting with - goes after --name=)"
                )));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn single_dash_options_are_not_positionals() {
        for bad in [&["-q"][..], &["-c", "values.yaml"], &["oci://a/b:1", "-v"]] {
            let e = Args::parse(&argv(bad), &["config"], &[]).unwrap_err();
            assert!(e.0.starts_with("unknown option -"), "{bad:?}: {}", e.0);
        }
        // A lone "-" is a positional, "--" ends the options, and a value may start with -.
        let a = Args::parse(&argv(&["-", "--config", "-", "--", "-x"]), &["config"], &[]).unwrap();
        assert_eq!(a.positionals, argv(&["-", "-x"]));
        assert_eq!(a.one("config").unwrap(), Some("-"));
    }
}
