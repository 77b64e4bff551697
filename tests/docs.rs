//! Documentation that must agree with the code. The verification steps are numbered once: `docs/verification.md` ("## The steps") and the
//! `// Step N. Title` comments of `src/verify/mod.rs` must list the same numbers with the
//! same titles, each step exactly once in the code, and so must `verify::Step`.

use std::collections::BTreeMap;
use std::path::Path;

use rulepack_verify::verify::Step;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `N. **Title**` items of the docs' "## The steps" section.
fn doc_steps() -> BTreeMap<u32, String> {
    let text = std::fs::read_to_string(root().join("docs/verification.md")).unwrap();
    let section = text
        .split("\n## The steps\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("docs/verification.md has a '## The steps' section");
    let mut steps = BTreeMap::new();
    for line in section.lines() {
        let Some((n, rest)) = line.split_once(". **") else {
            continue;
        };
        let Ok(n) = n.trim().parse::<u32>() else {
            continue;
        };
        let title = rest.split("**").next().unwrap().trim_end_matches('.');
        assert!(
            steps.insert(n, title.to_owned()).is_none(),
            "docs list step {n} twice"
        );
    }
    steps
}

/// `Step N. Title` in `//` or `///` comments of src/verify/mod.rs; the title runs to the
/// first `:`, `.` or `(` (or the end of the line).
fn code_steps() -> BTreeMap<u32, String> {
    let text = std::fs::read_to_string(root().join("src/verify/mod.rs")).unwrap();
    let mut steps = BTreeMap::new();
    for line in text.lines() {
        let l = line.trim_start().trim_start_matches('/').trim_start();
        let Some(rest) = l.strip_prefix("Step ") else {
            continue;
        };
        let Some((n, title)) = rest.split_once(". ") else {
            continue;
        };
        let Ok(n) = n.parse::<u32>() else { continue };
        let title = title
            .split([':', '(', ','])
            .next()
            .unwrap()
            .trim()
            .trim_end_matches('.')
            .trim();
        assert!(
            steps.insert(n, title.to_owned()).is_none(),
            "src/verify/mod.rs marks step {n} twice"
        );
    }
    steps
}

#[test]
fn verification_steps_are_numbered_once() {
    let docs = doc_steps();
    let code = code_steps();
    assert!(
        docs.len() >= 10,
        "found only {} steps in the docs",
        docs.len()
    );
    assert_eq!(
        docs.keys().copied().collect::<Vec<_>>(),
        (1..=u32::try_from(docs.len()).unwrap()).collect::<Vec<_>>(),
        "docs steps are not numbered 1..N"
    );
    assert_eq!(
        docs, code,
        "docs/verification.md and src/verify/mod.rs disagree"
    );
    // The pipeline's own `Step` values (by which failures are ranked) carry the same
    // numbers and titles.
    let steps: BTreeMap<u32, String> = Step::ALL
        .iter()
        .filter(|s| s.number() > 0)
        .map(|s| (u32::from(s.number()), s.title().to_owned()))
        .collect();
    assert_eq!(
        docs, steps,
        "docs/verification.md and verify::Step disagree"
    );
}

/// Every citation in the code resolves for an outside auditor: upstream sources (RFC
/// sections, the Sigstore client spec, protobuf-specs fields, C2SP notes) or the
/// repository's own docs, never a notebook outside the repository (the "SPEC" notebook) and never
/// an issue-tracker number.
#[test]
fn citations_resolve_inside_the_repository() {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .extension()
                .is_some_and(|x| x == "rs" || x == "md" || x == "toml" || x == "sh")
            {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    for d in [
        "src",
        "tests",
        "benches",
        "examples",
        "docs",
        "scripts",
        "fuzz/fuzz_targets",
    ] {
        walk(&root().join(d), &mut files);
    }
    for f in [
        "README.md",
        "Cargo.toml",
        "testdata/README.md",
        "fuzz/README.md",
    ] {
        files.push(root().join(f));
    }
    let spec = ["SPEC", " §"].concat();
    let spec_md = ["SPEC", ".md"].concat();
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_ascii_lowercase();
            let issue_number = lower.match_indices("issue").any(|(i, _)| {
                let rest = &lower[i + "issue".len()..];
                let rest = rest.trim_start_matches([' ', '-', '#']);
                rest.starts_with(|c: char| c.is_ascii_digit())
            });
            if line.contains(&spec) || line.contains(&spec_md) || issue_number {
                bad.push(format!(
                    "{}:{}: {}",
                    f.strip_prefix(root()).unwrap().display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "citations an auditor cannot resolve:\n{}",
        bad.join("\n")
    );
}
