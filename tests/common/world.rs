//! An offline world for the CLI tests: a temp dir with a `home/`, the virtual Sigstore's
//! trusted root and an OCI image layout of signed packs; values files are written into
//! it and the CLI binary runs against it.
//!
//! Use from an integration test next to `e2e.rs` and `vsig.rs`:
//!
//! ```ignore
//! #[path = "common/e2e.rs"] mod e2e;
//! #[path = "common/vsig.rs"] mod vsig;
//! #[path = "common/world.rs"] mod world;
//! ```
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use super::e2e::{run_cli, temp_dir, LayoutBuilder, Run, TRUSTED_ACME};
use super::vsig::VirtualSigstore;

/// The world's files and packs.
pub struct World {
    pub dir: PathBuf,
    pub layout: PathBuf,
    pub root: PathBuf,
    /// `(name, oci:// reference, manifest digest)`.
    pub packs: Vec<(&'static str, String, String)>,
}

impl World {
    /// A fresh world in `temp_dir(name)` trusting `vs`: `home/` and
    /// `trusted_root.json`, no layout or packs yet (see [`World::with_layout`]).
    pub fn new(name: &str, vs: &VirtualSigstore) -> Self {
        let dir = temp_dir(name);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let root = dir.join("trusted_root.json");
        std::fs::write(&root, vs.trusted_root_json()).unwrap();
        Self {
            layout: dir.join("layout"),
            dir,
            root,
            packs: Vec::new(),
        }
    }

    /// Writes `lb` as the world's layout, holding `packs`.
    pub fn with_layout(
        mut self,
        lb: &LayoutBuilder,
        packs: Vec<(&'static str, String, String)>,
    ) -> Self {
        lb.write(&self.layout);
        self.packs = packs;
        self
    }

    /// `(oci:// reference, manifest digest)` of the pack `name`.
    pub fn pack(&self, name: &str) -> (&str, &str) {
        let (_, r, d) = self
            .packs
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap_or_else(|| panic!("no pack {name}"));
        (r, d)
    }

    pub fn home(&self) -> PathBuf {
        self.dir.join("home")
    }

    pub fn cli(&self, args: &[&str]) -> Run {
        run_cli(&self.home(), args, &[])
    }

    /// A values file with `body` as the `rulePacks` section's content.
    pub fn values(&self, file: &str, body: &str) -> PathBuf {
        let p = self.dir.join(file);
        std::fs::write(&p, format!("image: {{tag: \"1\"}}\nrulePacks:\n{body}")).unwrap();
        p
    }

    /// `verify --config FILE EXTRA…` with a values file of `body`.
    pub fn verify_config(&self, file: &str, body: &str, extra: &[&str]) -> Run {
        let v = self.values(file, body);
        let mut args = vec!["verify", "--config", v.to_str().unwrap()];
        args.extend(extra);
        self.cli(&args)
    }

    /// `layout` and the acme identity, plus `extra`: no `trustedRoot`, the trust root
    /// comes through TUF.
    pub fn tuf_section(&self, extra: &str) -> String {
        format!("  layout: {}\n{TRUSTED_ACME}{extra}", self.layout.display())
    }

    /// `trustedRoot`, `layout` and the acme identity, plus `extra`.
    pub fn section(&self, extra: &str) -> String {
        self.section_with_layout(&self.layout, extra)
    }

    /// [`World::section`] over another layout (a changed copy of the world's).
    pub fn section_with_layout(&self, layout: &Path, extra: &str) -> String {
        format!(
            "  trustedRoot: {}\n  layout: {}\n{TRUSTED_ACME}{extra}",
            self.root.display(),
            layout.display()
        )
    }
}
