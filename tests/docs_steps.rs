//! The verification steps are numbered once: `docs/verification.md` ("## The steps") and the
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
