//! The container image and the Kubernetes example (`Containerfile`, `container/etc/`,
//! `examples/kubernetes/`).
//!
//! - Static checks of the files: the image pulls no base image and runs as non-root; the
//!   example's values file is a valid configuration, the init container pulls into the
//!   volume the main container mounts read-only, the TUF cache is writable, every root
//!   file system is read-only.
//! - The binary **in an empty root** holding only the image's files, as the image's
//!   non-root user (`chroot --userspec=65532:65532`): it verifies and pulls the offline
//!   example, resolves a registry name through `/etc/hosts` and through DNS (a responder
//!   on 127.53.0.1:53 named in `/etc/resolv.conf`, as a container runtime provides them),
//!   and verifies a pack over TLS from the loopback test registry.
//!
//! The empty-root tests need root, `chroot`, and the image's files:
//! `RULEPACK_IMAGE_ROOTFS` (the image's file system, `scripts/container-image.sh rootfs`)
//! or `RULEPACK_STATIC_BIN` (the static binary; the root is then assembled as the
//! Containerfile does). Without them they are skipped with a notice, a failure when
//! `RULEPACK_REQUIRE_ALL=1`. The TLS test also needs the test registry
//! (`scripts/test-registry.sh`).

#[path = "common/e2e.rs"]
mod e2e;
#[cfg(feature = "online")]
#[path = "common/registry.rs"]
mod registry;
#[path = "common/vsig.rs"]
mod vsig;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use e2e::{copy_tree, read_tree, temp_dir, Run};
use yaml_rust2::{Yaml, YamlLoader};

const UID: u32 = 65532;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load_yaml(rel: &str) -> Vec<Yaml> {
    let text = std::fs::read_to_string(repo_root().join(rel)).unwrap();
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn containerfile_pulls_no_base_image_and_runs_as_non_root() {
    let text = std::fs::read_to_string(repo_root().join("Containerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms, [&"FROM scratch"], "every stage must be FROM scratch");
    let user = lines
        .iter()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("USER");
    let uid: u32 = user
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("numeric USER");
    assert_ne!(uid, 0);
    assert!(lines.contains(&r#"ENTRYPOINT ["/rulepack-verify"]"#));
    assert!(
        !text.contains("RUN "),
        "no shell in the image to RUN anything"
    );
    // Everything COPY names is in the build context (.containerignore keeps it).
    for l in lines.iter().filter(|l| l.starts_with("COPY ")) {
        let words: Vec<&str> = l.split_whitespace().skip(1).collect();
        for src in &words[..words.len() - 1] {
            assert!(
                src.starts_with("container/etc/") && repo_root().join(src).is_file()
                    || *src == "target/x86_64-unknown-linux-gnu/release/rulepack-verify",
                "{src}"
            );
        }
    }
    let nss = std::fs::read_to_string(repo_root().join("container/etc/nsswitch.conf")).unwrap();
    assert!(nss
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["hosts:", "files", "dns"]));
    let passwd = std::fs::read_to_string(repo_root().join("container/etc/passwd")).unwrap();
    assert!(passwd.contains(&format!(":{uid}:{uid}:")));
}

/// The example's documents by kind.
fn example() -> (Yaml, Yaml) {
    let cm = load_yaml("examples/kubernetes/configmap.yaml").remove(0);
    let dep = load_yaml("examples/kubernetes/deployment.yaml").remove(0);
    assert_eq!(cm["kind"].as_str(), Some("ConfigMap"));
    assert_eq!(dep["kind"].as_str(), Some("Deployment"));
    let kust = load_yaml("examples/kubernetes/kustomization.yaml").remove(0);
    assert_eq!(
        strings(&kust["resources"]),
        ["configmap.yaml", "deployment.yaml"]
    );
    (cm, dep)
}

/// A YAML sequence of strings.
fn strings(list: &Yaml) -> Vec<&str> {
    list.as_vec()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

fn mount<'a>(container: &'a Yaml, volume: &str) -> &'a Yaml {
    container["volumeMounts"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|m| m["name"].as_str() == Some(volume))
        .unwrap_or_else(|| panic!("no mount of {volume}"))
}

#[test]
fn kubernetes_example_is_consistent() {
    let (cm, dep) = example();
    let spec = &dep["spec"]["template"]["spec"];
    assert_eq!(
        spec["securityContext"]["runAsNonRoot"].as_bool(),
        Some(true)
    );
    let init = &spec["initContainers"].as_vec().unwrap()[0];
    let main = &spec["containers"].as_vec().unwrap()[0];
    for c in [init, main] {
        assert_eq!(
            c["securityContext"]["readOnlyRootFilesystem"].as_bool(),
            Some(true)
        );
        assert_eq!(
            c["securityContext"]["allowPrivilegeEscalation"].as_bool(),
            Some(false)
        );
    }
    let args = strings(&init["args"]);
    assert_eq!(args[0], "pull");
    let flag = |f: &str| {
        args.iter()
            .position(|a| *a == f)
            .map(|i| args[i + 1])
            .unwrap()
    };
    let (config, out) = (flag("--config"), flag("--out"));

    // The values file is the ConfigMap's key, mounted read-only, and a valid configuration.
    let values_mount = mount(init, "values");
    assert_eq!(values_mount["readOnly"].as_bool(), Some(true));
    let dir = values_mount["mountPath"].as_str().unwrap();
    let key = config.strip_prefix(&format!("{dir}/")).unwrap();
    let vol = spec["volumes"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|v| v["name"].as_str() == Some("values"))
        .unwrap();
    assert_eq!(
        vol["configMap"]["name"].as_str(),
        cm["metadata"]["name"].as_str()
    );
    let values = cm["data"][key].as_str().unwrap();
    let cfg = rulepack_verify::config::RulePacks::from_yaml(values.as_bytes(), Path::new("/"))
        .unwrap_or_else(|e| panic!("the example's values file: {e}"));
    assert!(cfg.verify_signature);
    assert!(!cfg.extras.is_empty());

    // pull writes into the emptyDir the main container mounts read-only, and the tool
    // reads the current generation.
    assert_eq!(mount(init, "rulepacks")["mountPath"].as_str(), Some(out));
    assert_ne!(mount(init, "rulepacks")["readOnly"].as_bool(), Some(true));
    assert_eq!(mount(main, "rulepacks")["mountPath"].as_str(), Some(out));
    assert_eq!(mount(main, "rulepacks")["readOnly"].as_bool(), Some(true));
    let main_args = strings(&main["args"]);
    assert!(
        main_args.contains(&format!("{out}/current/packs").as_str()),
        "{main_args:?}"
    );
    let vols = spec["volumes"].as_vec().unwrap();
    let empty_dir = |n: &str| {
        vols.iter()
            .any(|v| v["name"].as_str() == Some(n) && !v["emptyDir"].is_badvalue())
    };
    assert!(empty_dir("rulepacks") && empty_dir("tuf-cache"));

    // The TUF cache: XDG_CACHE_HOME on a writable volume.
    let env = init["env"].as_vec().unwrap();
    let cache = env
        .iter()
        .find(|e| e["name"].as_str() == Some("XDG_CACHE_HOME"))
        .unwrap()["value"]
        .as_str()
        .unwrap();
    assert_eq!(mount(init, "tuf-cache")["mountPath"].as_str(), Some(cache));
    assert_ne!(mount(init, "tuf-cache")["readOnly"].as_bool(), Some(true));
}

// ---- the binary in an empty root ----

/// Skips (or, with `RULEPACK_REQUIRE_ALL=1`, fails) with a notice.
fn skip(test: &str, why: &str) -> Option<PathBuf> {
    assert!(
        std::env::var("RULEPACK_REQUIRE_ALL").as_deref() != Ok("1"),
        "{test}: {why}, but RULEPACK_REQUIRE_ALL=1"
    );
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("SKIPPED {test}: {why}\n").as_bytes(),
    );
    None
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// A fresh root holding exactly the image's files, or `None` (skipped).
fn image_root(test: &str) -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let (rootfs, bin) = (var("RULEPACK_IMAGE_ROOTFS"), var("RULEPACK_STATIC_BIN"));
    if rootfs.is_none() && bin.is_none() {
        return skip(
            test,
            "set RULEPACK_IMAGE_ROOTFS (scripts/container-image.sh rootfs) or RULEPACK_STATIC_BIN",
        );
    }
    if !is_root() {
        return skip(test, "needs root (chroot)");
    }
    let root = temp_dir(&format!("rootfs-{test}"));
    match (rootfs, bin) {
        (Some(fs), _) => copy_tree(&fs, &root),
        (None, Some(bin)) => {
            copy_tree(&repo_root().join("container/etc"), &root.join("etc"));
            std::fs::copy(bin, root.join("rulepack-verify")).unwrap();
        }
        (None, None) => unreachable!(),
    }
    let mut files: Vec<String> = read_tree(&root).into_iter().map(|(p, _)| p).collect();
    files.sort();
    assert_eq!(
        files,
        [
            "etc/group",
            "etc/nsswitch.conf",
            "etc/passwd",
            "rulepack-verify"
        ],
        "the image holds only the binary and its three small files"
    );
    // Static: no program interpreter (PT_INTERP) for the kernel to load.
    let elf = std::fs::read(root.join("rulepack-verify")).unwrap();
    assert!(
        !has_interpreter(&elf),
        "not a static binary: it names a program interpreter"
    );
    Some(root)
}

/// Whether an ELF64 little-endian file has a `PT_INTERP` program header (System V ABI,
/// "Program Header": `p_type` 3), i.e. needs the dynamic loader.
fn has_interpreter(elf: &[u8]) -> bool {
    assert_eq!(&elf[..6], b"\x7fELF\x02\x01", "ELF64 little-endian");
    let u16_at = |o: usize| usize::from(u16::from_le_bytes([elf[o], elf[o + 1]]));
    let phoff = usize::try_from(u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap())).unwrap();
    let (size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).any(|i| {
        let o = phoff + i * size;
        u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) == 3
    })
}

/// Runs `/rulepack-verify args…` chrooted into `root` as the image's user, with only
/// the image's environment and `env`.
fn in_root(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    // The environment is cleared, so the program is named by path.
    let chroot = ["/usr/sbin/chroot", "/usr/bin/chroot", "/sbin/chroot"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("chroot (coreutils)");
    let mut c = Command::new(chroot);
    c.arg(format!("--userspec={UID}:{UID}"))
        .arg(root)
        .arg("/rulepack-verify")
        .args(args)
        .env_clear()
        .env("XDG_CACHE_HOME", "/cache");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run chroot").into()
}

fn writable_by_image_user(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::os::unix::fs::chown(dir, Some(UID), Some(UID)).unwrap();
}

#[test]
fn image_verifies_and_pulls_the_offline_example() {
    let Some(root) = image_root("image_verifies_and_pulls_the_offline_example") else {
        return;
    };
    copy_tree(&repo_root().join("testdata/offline"), &root.join("offline"));
    writable_by_image_user(&root.join("rulepacks"));
    let run = in_root(&root, &["verify", "--config", "/offline/values.yaml"], &[]);
    let pull = |out: &str| {
        in_root(
            &root,
            &["pull", "--config", "/offline/values.yaml", "--out", out],
            &[],
        )
    };
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.contains("4 packs: 2 verified, 2 failed"),
        "{run}"
    );
    // The init container's promise: a failing pack fails the run, named with its reason.
    let run = pull("/rulepacks");
    assert_eq!(run.code, 1, "{run}");
    for (pack, code) in [
        (
            "oci://ghcr.io/acme/rules/unsigned:0.1.0@sha256:",
            "registry.no-bundle",
        ),
        (
            "oci://ghcr.io/mallory/rules/backdoor:1.0.0@sha256:",
            "policy.identity-mismatch",
        ),
    ] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with("FAILED")
                && l.contains(pack)
                && l.contains(&format!("error[{code}]"))),
            "{pack}\n{run}"
        );
    }
    let packs = std::fs::read_dir(root.join("rulepacks/current/packs"))
        .unwrap()
        .count();
    assert_eq!(packs, 2);
    // The root is not writable by the image's user: only the volume is.
    let run = pull("/elsewhere");
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("error[io.write-failed]"), "{run}");
}

/// A DNS responder on `addr` answering `A 127.0.0.1` for `name` (RFC 1035 §4.1), no
/// records for other types; counts the questions for `name`.
struct Dns {
    stop: Arc<AtomicBool>,
    asked: Arc<AtomicUsize>,
}

impl Dns {
    fn start(addr: &str, name: &'static str) -> std::io::Result<Self> {
        let sock = UdpSocket::bind(addr)?;
        sock.set_read_timeout(Some(Duration::from_millis(100)))?;
        let stop = Arc::new(AtomicBool::new(false));
        let asked = Arc::new(AtomicUsize::new(0));
        let (s2, a2) = (stop.clone(), asked.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !s2.load(Ordering::SeqCst) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let q = &buf[..n];
                if n < 12 {
                    continue;
                }
                // QNAME labels from offset 12, then QTYPE, QCLASS.
                let mut i = 12;
                let mut labels = Vec::new();
                while i < n && q[i] != 0 {
                    let l = usize::from(q[i]);
                    labels.push(
                        String::from_utf8_lossy(&q[i + 1..(i + 1 + l).min(n)]).to_ascii_lowercase(),
                    );
                    i += 1 + l;
                }
                let end = i + 5;
                if end > n {
                    continue;
                }
                let qtype = u16::from_be_bytes([q[i + 1], q[i + 2]]);
                let hit = labels.join(".") == name;
                if hit {
                    a2.fetch_add(1, Ordering::SeqCst);
                }
                let answer = hit && qtype == 1;
                let mut r = Vec::from(&q[..2]);
                r.extend_from_slice(&[0x81, 0x80, 0, 1, 0, u8::from(answer), 0, 0, 0, 0]);
                r.extend_from_slice(&q[12..end]);
                if answer {
                    r.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
                }
                let _ = sock.send_to(&r, from);
            }
        });
        Ok(Self { stop, asked })
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The binary in the image's root resolves the registry's name the two ways a container
/// runtime provides (`/etc/hosts`, DNS through `/etc/resolv.conf`), speaks TLS with the
/// compiled-in roots or `--ca-file`, and verifies a pack from the loopback registry.
#[cfg(feature = "online")]
#[test]
fn image_resolves_names_and_verifies_over_tls() {
    let test = "image_resolves_names_and_verifies_over_tls";
    let Some(root) = image_root(test) else { return };
    let Some(reg) = registry::test_registry(test) else {
        return;
    };
    let Ok(dns) = Dns::start("127.53.0.1:53", "localhost") else {
        let _ = skip(test, "cannot bind 127.53.0.1:53");
        return;
    };
    // A signed pack on the registry, reached as localhost:PORT (the name its certificate
    // has), never by address.
    let port = reg.addr.rsplit_once(':').unwrap().1;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let repo = format!("container-{}-{nanos}/rules", std::process::id());
    let mut vs = vsig::VirtualSigstore::new(6_000_021);
    let pack = e2e::BuiltPack::new("1.0.0", &[("rules.rego", b"package container\n")]);
    let signed = pack.sign(
        &mut vs,
        &e2e::gha_sign_options("acme/rules", "refs/tags/v1.0.0", e2e::T0),
    );
    let p = registry::Pusher::new(&reg);
    p.push_blob(&repo, b"{}");
    p.push_blob(&repo, &pack.layers[0].1);
    p.push_manifest(&repo, "1.0.0", e2e::OCI_MANIFEST, &pack.manifest);
    let r = &signed.referrer;
    p.push_blob(&repo, &r.config_blob);
    p.push_blob(&repo, &r.layer);
    p.push_manifest(&repo, &r.manifest_digest, e2e::OCI_MANIFEST, &r.manifest);
    let idx = serde_json::json!({"schemaVersion": 2, "mediaType": e2e::OCI_INDEX, "manifests": [
        {"mediaType": e2e::OCI_MANIFEST, "digest": r.manifest_digest, "size": r.manifest.len(),
         "artifactType": vsig::BUNDLE_MEDIA_TYPE}]});
    let hex = pack.digest.strip_prefix("sha256:").unwrap();
    p.push_manifest(
        &repo,
        &format!("sha256-{hex}"),
        e2e::OCI_INDEX,
        &serde_json::to_vec(&idx).unwrap(),
    );

    std::fs::write(root.join("trusted_root.json"), vs.trusted_root_json()).unwrap();
    std::fs::copy(&reg.ca, root.join("ca.pem")).unwrap();
    let host = format!("localhost:{port}");
    e2e::write_docker_config(
        &root.join("docker"),
        &[
            (&host, &reg.user, &reg.password),
            (&format!("https://{host}"), &reg.user, &reg.password),
        ],
    );
    let reference = format!("oci://{host}/{repo}:1.0.0");
    let identity = e2e::gha_identity("acme/rules", "refs/tags/v1.0.0");
    let verify = |ca: bool| {
        let mut args = vec![
            "verify",
            &reference,
            "--trusted-root",
            "/trusted_root.json",
            "--certificate-identity",
            &identity,
            "--certificate-oidc-issuer",
            e2e::GITHUB_ISSUER,
            "--output",
            "json",
        ];
        if ca {
            args.extend(["--ca-file", "/ca.pem"]);
        }
        in_root(&root, &args, &[("DOCKER_CONFIG", "/docker")])
    };
    let etc = root.join("etc");
    let set = |hosts: Option<&str>, resolv: &str| {
        let _ = std::fs::remove_file(etc.join("hosts"));
        if let Some(h) = hosts {
            std::fs::write(etc.join("hosts"), h).unwrap();
        }
        std::fs::write(etc.join("resolv.conf"), resolv).unwrap();
    };
    let dead_dns = "nameserver 127.53.0.2\noptions timeout:1 attempts:1\n";

    // DNS only.
    set(
        None,
        "nameserver 127.53.0.1\noptions timeout:2 attempts:2\n",
    );
    let run = verify(true);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.pack(&reference)["status"], "verified", "{run}");
    let asked = dns.asked.load(Ordering::SeqCst);
    assert!(asked > 0, "the name was not asked of the DNS server\n{run}");

    // /etc/hosts only (the DNS server named is dead).
    set(Some("127.0.0.1 localhost\n"), dead_dns);
    let run = verify(true);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(dns.asked.load(Ordering::SeqCst), asked);

    // Neither: the name does not resolve (nothing else in the root can answer).
    set(None, dead_dns);
    let run = verify(true);
    assert_eq!(run.code, 3, "{run}");
    assert_eq!(
        run.pack(&reference)["error"]["code"],
        "registry.network",
        "{run}"
    );

    // The compiled-in roots are used without --ca-file: the test CA is not among them,
    // so the handshake is refused for that reason (TLS works with no files).
    set(Some("127.0.0.1 localhost\n"), dead_dns);
    let run = verify(false);
    assert_eq!(run.code, 3, "{run}");
    let msg = run.pack(&reference)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        msg.to_ascii_lowercase().contains("certificate") || msg.contains("UnknownIssuer"),
        "{msg}"
    );
}
