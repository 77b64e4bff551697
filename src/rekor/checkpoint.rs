//! C2SP signed notes (`signed-note.md`) carrying tlog checkpoints (`tlog-checkpoint.md`).
//!
//! ```text
//! <origin>\n<tree size>\n<base64 root hash>\n[<extension>\n]*   note text (signed bytes)
//! \n
//! — <key name> <base64(key hint[4] || signature)>\n             one or more signature lines
//! ```

use super::TlogError;
use crate::crypto::{sha256, sha256_parts, HashAlgorithm, PublicKey};
use crate::encoding::{base64_decode_strict, hex_encode};
use crate::limits::{MAX_CHECKPOINT_BYTES, MAX_CHECKPOINT_SIGNATURES};
use crate::trust_root::TransparencyLog;

/// A verified C2SP tlog checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The origin line (Rekor v1: `rekor.sigstore.dev - <treeID>`; v2: the log host name).
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash (32 bytes).
    pub root_hash: Vec<u8>,
    /// Extension lines after the root hash (e.g. `Timestamp: <ns>` in old Rekor v1 notes).
    pub extensions: Vec<String>,
}

/// One signature line of a signed note.
struct NoteSignature<'a> {
    name: &'a str,
    key_hint: [u8; 4],
    signature: Vec<u8>,
}

/// Longest snippet of untrusted text quoted in an error.
const SNIPPET: usize = 64;

fn snippet(s: &str) -> String {
    s.chars().take(SNIPPET).collect()
}

/// Splits a signed note into its text (with the final newline) and signature block.
fn split_note(envelope: &str) -> Result<(&str, &str), TlogError> {
    // C2SP signed-note: "the text is followed by a blank line and the signatures":
    // split on the LAST "\n\n" so the text keeps its own final newline.
    let idx = envelope
        .rfind("\n\n")
        .ok_or(TlogError::CheckpointNoSeparator)?;
    let text = envelope
        .get(..=idx)
        .ok_or(TlogError::CheckpointNoSeparator)?;
    let sigs = envelope
        .get(idx.saturating_add(2)..)
        .ok_or(TlogError::CheckpointNoSeparator)?;
    Ok((text, sigs))
}

/// C2SP tlog-checkpoint: origin, decimal size, base64 root hash, then extension lines.
fn parse_text(text: &str) -> Result<Checkpoint, TlogError> {
    let body = text
        .strip_suffix('\n')
        .ok_or(TlogError::CheckpointMalformed {
            reason: "the note text does not end with a newline".into(),
        })?;
    let mut lines = body.split('\n');
    let origin = lines
        .next()
        .filter(|l| !l.is_empty())
        .ok_or(TlogError::CheckpointMissingOrigin)?;
    let size_line = lines
        .next()
        .filter(|l| !l.is_empty())
        .ok_or(TlogError::CheckpointMissingSize)?;
    let size = parse_size(size_line)?;
    let root_line = lines
        .next()
        .filter(|l| !l.is_empty())
        .ok_or(TlogError::CheckpointMissingRootHash)?;
    // tlog-checkpoint: "the base64-encoded root hash" (standard encoding, padded).
    let root_hash = base64_decode_strict(root_line)
        .ok()
        .filter(|h| h.len() == 32)
        .ok_or_else(|| TlogError::CheckpointBadRootHash {
            line: snippet(root_line),
        })?;
    let mut extensions = Vec::new();
    for line in lines {
        // tlog-checkpoint: extension lines are non-empty.
        if line.is_empty() {
            return Err(TlogError::CheckpointMalformed {
                reason: "empty extension line".into(),
            });
        }
        extensions.push(line.to_owned());
    }
    Ok(Checkpoint {
        origin: origin.to_owned(),
        size,
        root_hash,
        extensions,
    })
}

/// tlog-checkpoint: "ASCII decimal, no leading zeroes (unless the value is 0)".
fn parse_size(line: &str) -> Result<u64, TlogError> {
    let bad = || TlogError::CheckpointBadSize {
        line: snippet(line),
    };
    if !line.bytes().all(|c| c.is_ascii_digit()) || (line.len() > 1 && line.starts_with('0')) {
        return Err(bad());
    }
    line.parse::<u64>().map_err(|_| bad())
}

/// C2SP signed-note signature lines: `— <name> <base64(key hint || signature)>\n`.
fn parse_signatures(block: &str) -> Result<Vec<NoteSignature<'_>>, TlogError> {
    if block.is_empty() {
        return Err(TlogError::CheckpointUnsigned);
    }
    // Count before allocating: at most MAX_CHECKPOINT_SIGNATURES lines.
    let count = block.matches('\n').count();
    if count > MAX_CHECKPOINT_SIGNATURES {
        return Err(TlogError::CheckpointTooManySignatures {
            count,
            max: MAX_CHECKPOINT_SIGNATURES,
        });
    }
    let block = block
        .strip_suffix('\n')
        .ok_or(TlogError::CheckpointBadSignatureLine {
            line_no: count.saturating_add(1),
            reason: "the last signature line does not end with a newline",
        })?;
    let mut out = Vec::with_capacity(count);
    for (i, line) in block.split('\n').enumerate() {
        let line_no = i.saturating_add(1);
        let bad = |reason| TlogError::CheckpointBadSignatureLine { line_no, reason };
        // signed-note: "a signature line starts with an em dash (U+2014) and a space".
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| bad("it does not start with an em dash (U+2014) and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| bad("it has no space between key name and signature"))?;
        // signed-note: key names are non-empty and contain no spaces or '+'.
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
            return Err(bad("the key name is empty or contains a space or '+'"));
        }
        let raw = base64_decode_strict(b64).map_err(|_| bad("the signature is not base64"))?;
        // signed-note: the decoded value is a 4-byte big-endian key ID then the signature.
        match raw.split_first_chunk::<4>() {
            Some((hint, sig)) if !sig.is_empty() => out.push(NoteSignature {
                name,
                key_hint: *hint,
                signature: sig.to_vec(),
            }),
            _ => return Err(bad("the signature is shorter than 5 bytes")),
        }
    }
    Ok(out)
}

/// The 4-byte C2SP key hint (key ID) of `key` under signer `name`
/// (rekor-tiles `pkg/note/note.go` `KeyHash`, C2SP signed-note):
/// Ed25519: SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4]; ECDSA: SHA-256(SPKI DER)[:4].
pub(super) fn key_hint(name: &str, key: &PublicKey) -> [u8; 4] {
    let h = match key.ed25519_raw() {
        Some(raw) => sha256_parts(&[name.as_bytes(), b"\n", &[0x01], &raw]),
        None => sha256(key.spki_der()),
    };
    let [a, b, c, d, ..] = h;
    [a, b, c, d]
}

/// Parses a checkpoint without verifying it (used by [`verify_checkpoint`]).
fn parse(envelope: &str) -> Result<(Checkpoint, &str, Vec<NoteSignature<'_>>), TlogError> {
    if envelope.len() > MAX_CHECKPOINT_BYTES {
        return Err(TlogError::CheckpointTooLarge {
            len: envelope.len(),
            max: MAX_CHECKPOINT_BYTES,
        });
    }
    // golang.org/x/mod/sumdb/note Open: the note is UTF-8 with no ASCII control
    // characters other than newline.
    if envelope.chars().any(|c| c.is_ascii_control() && c != '\n') {
        return Err(TlogError::CheckpointMalformed {
            reason: "it contains a control character".into(),
        });
    }
    let (text, block) = split_note(envelope)?;
    let checkpoint = parse_text(text)?;
    let signatures = parse_signatures(block)?;
    Ok((checkpoint, text, signatures))
}

/// Parses a C2SP signed-note checkpoint and verifies that `log` signed it.
///
/// The log's signer name is the host name of its `baseUrl` and its key hint is
/// computed from its key (C2SP `signed-note`). Lines from other signers (witness cosignatures,
/// other keys) are ignored; at least one line must be the log's, and every line that
/// is the log's must verify. ECDSA signatures are DER over SHA-256(note text); Ed25519
/// signatures are the raw 64 bytes over the note text.
pub fn verify_checkpoint(envelope: &str, log: &TransparencyLog) -> Result<Checkpoint, TlogError> {
    verify_signed_by(envelope, log, false)
}

/// [`verify_checkpoint`] for a Rekor v1 checkpoint: the signer name may also be the
/// server name of a v1 origin `<name> - <treeID>` (sigstore-go `hasRekorV1STH`), as
/// private Rekor v1 deployments sign with their pod name. rekor v1
/// `SignedCheckpoint.Verify` ignores names; the key hint and the signature by the
/// trusted log key are what bind the note to the log.
pub(super) fn verify_v1_checkpoint(
    envelope: &str,
    log: &TransparencyLog,
) -> Result<Checkpoint, TlogError> {
    verify_signed_by(envelope, log, true)
}

/// The server name of a Rekor v1 origin line, `<name> - <decimal treeID>`.
fn v1_origin_name(origin: &str) -> Option<&str> {
    let (name, tree) = origin.rsplit_once(" - ")?;
    let valid_name = !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+');
    (valid_name && !tree.is_empty() && tree.bytes().all(|c| c.is_ascii_digit())).then_some(name)
}

fn verify_signed_by(
    envelope: &str,
    log: &TransparencyLog,
    rekor_v1: bool,
) -> Result<Checkpoint, TlogError> {
    let (checkpoint, text, signatures) = parse(envelope)?;
    let key = super::log_key(log)?;
    let host = log.hostname();
    let mut names = vec![host];
    if rekor_v1 {
        names.extend(v1_origin_name(&checkpoint.origin).filter(|n| *n != host));
    }
    let mut verified = 0usize;
    for sig in signatures
        .iter()
        .filter(|s| names.contains(&s.name) && s.key_hint == key_hint(s.name, key))
    {
        // rekor pkg/util/signed_note.go: ECDSA over SHA-256 of the note text; Ed25519
        // signs the text itself (the hash argument is ignored for Ed25519).
        key.verify(HashAlgorithm::Sha256, text.as_bytes(), &sig.signature)
            .map_err(|e| TlogError::CheckpointSignatureInvalid {
                signer: sig.name.to_owned(),
                detail: e.to_string(),
            })?;
        verified = verified.saturating_add(1);
    }
    if verified == 0 {
        return Err(TlogError::CheckpointNoValidSignature {
            signer: host.to_owned(),
            key_hint: hex_encode(&key_hint(host, key)),
        });
    }
    Ok(checkpoint)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::encoding::base64_encode;
    use crate::trust_root::ValidityWindow;
    use p256::ecdsa::signature::Signer as _;

    pub(crate) fn log_for(base_url: &str, key: PublicKey) -> TransparencyLog {
        TransparencyLog {
            base_url: base_url.into(),
            hash_algorithm: HashAlgorithm::Sha256,
            log_id: sha256(key.spki_der()).to_vec(),
            key_details: key.algorithm().key_details().into(),
            public_key: Some(key),
            valid_for: ValidityWindow {
                start: 0,
                end: None,
            },
            checkpoint_key_id: None,
            operator: None,
        }
    }

    struct Signers {
        p256: p256::ecdsa::SigningKey,
        ed: ed25519_dalek::SigningKey,
    }

    fn signers() -> Signers {
        Signers {
            p256: p256::ecdsa::SigningKey::from_slice(&[0x11; 32]).unwrap(),
            ed: ed25519_dalek::SigningKey::from_bytes(&[0x22; 32]),
        }
    }

    fn p256_key(s: &Signers) -> PublicKey {
        let der = p256::pkcs8::EncodePublicKey::to_public_key_der(s.p256.verifying_key()).unwrap();
        PublicKey::from_spki_der(der.as_bytes()).unwrap()
    }

    fn ed_key(s: &Signers) -> PublicKey {
        PublicKey::from_ed25519_raw(s.ed.verifying_key().as_bytes()).unwrap()
    }

    fn line(name: &str, hint: [u8; 4], sig: &[u8]) -> String {
        let mut raw = hint.to_vec();
        raw.extend_from_slice(sig);
        format!("\u{2014} {name} {}\n", base64_encode(&raw))
    }

    fn p256_line(s: &Signers, name: &str, text: &str) -> String {
        let sig: p256::ecdsa::Signature = s.p256.sign(text.as_bytes());
        line(name, key_hint(name, &p256_key(s)), sig.to_der().as_bytes())
    }

    fn ed_line(s: &Signers, name: &str, text: &str) -> String {
        use ed25519_dalek::Signer as _;
        let sig = s.ed.sign(text.as_bytes());
        line(name, key_hint(name, &ed_key(s)), &sig.to_bytes())
    }

    fn text(origin: &str, size: u64, ext: &[&str]) -> String {
        let mut t = format!("{origin}\n{size}\n{}\n", base64_encode(&[7u8; 32]));
        for e in ext {
            t.push_str(e);
            t.push('\n');
        }
        t
    }

    fn code(r: Result<Checkpoint, TlogError>) -> &'static str {
        r.unwrap_err().code()
    }

    #[test]
    fn p256_and_ed25519_notes_verify() {
        let s = signers();
        let host = "log.example.dev";
        let t = text(host, 42, &["Timestamp: 1689177396617352539"]);
        let p_log = log_for("https://log.example.dev", p256_key(&s));
        let cp = verify_checkpoint(&format!("{t}\n{}", p256_line(&s, host, &t)), &p_log).unwrap();
        assert_eq!(
            cp,
            Checkpoint {
                origin: host.into(),
                size: 42,
                root_hash: vec![7; 32],
                extensions: vec!["Timestamp: 1689177396617352539".into()],
            }
        );
        let e_log = log_for("https://log.example.dev:443/path", ed_key(&s));
        let cp = verify_checkpoint(&format!("{t}\n{}", ed_line(&s, host, &t)), &e_log).unwrap();
        assert_eq!(cp.size, 42);
        // The P-256 line is not the Ed25519 log's (different hint): ignored, so unsigned.
        assert_eq!(
            code(verify_checkpoint(
                &format!("{t}\n{}", p256_line(&s, host, &t)),
                &e_log
            )),
            "tlog.checkpoint-no-valid-signature"
        );
    }

    #[test]
    fn witness_lines_are_ignored_in_any_position() {
        let s = signers();
        let host = "log.example.dev";
        let t = text(host, 1, &[]);
        let log = log_for("https://log.example.dev", ed_key(&s));
        let witness = line("witness.example/w1", [1, 2, 3, 4], &[9u8; 72]);
        let same_name_other_key = p256_line(&s, host, &t);
        let ours = ed_line(&s, host, &t);
        for sigs in [
            format!("{witness}{ours}"),
            format!("{ours}{witness}{same_name_other_key}"),
            format!("{same_name_other_key}{witness}{witness}{ours}"),
        ] {
            verify_checkpoint(&format!("{t}\n{sigs}"), &log).unwrap();
        }
        // Only witnesses, or the right key under another name: not signed by the log.
        for sigs in [
            witness.clone(),
            ed_line(&s, "other.example.dev", &t),
            same_name_other_key,
        ] {
            assert_eq!(
                code(verify_checkpoint(&format!("{t}\n{sigs}"), &log)),
                "tlog.checkpoint-no-valid-signature"
            );
        }
    }

    #[test]
    fn a_bad_signature_from_the_log_is_not_skipped() {
        let s = signers();
        let host = "log.example.dev";
        let t = text(host, 5, &[]);
        let log = log_for("https://log.example.dev", p256_key(&s));
        let other = text(host, 6, &[]);
        let good = p256_line(&s, host, &t);
        let bad = p256_line(&s, host, &other);
        for sigs in [bad.clone(), format!("{good}{bad}"), format!("{bad}{good}")] {
            assert_eq!(
                code(verify_checkpoint(&format!("{t}\n{sigs}"), &log)),
                "tlog.checkpoint-signature-invalid"
            );
        }
        // A tampered text no longer matches its signature.
        let tampered = t.replace("\n5\n", "\n50\n");
        assert_eq!(
            code(verify_checkpoint(&format!("{tampered}\n{good}"), &log)),
            "tlog.checkpoint-signature-invalid"
        );
    }

    #[test]
    fn rekor_v1_signer_may_be_named_by_its_origin() {
        let s = signers();
        let log = log_for("https://rekor.internal.example", p256_key(&s));
        let t = text("rekor-pod-1 - 6364419738405537866", 4, &[]);
        let note = format!("{t}\n{}", p256_line(&s, "rekor-pod-1", &t));
        verify_v1_checkpoint(&note, &log).unwrap();
        // The generic (and Rekor v2) rule requires the host name.
        assert_eq!(
            code(verify_checkpoint(&note, &log)),
            "tlog.checkpoint-no-valid-signature"
        );
        // A v1 origin must end in " - <digits>" for its name to count.
        let t = text("rekor-pod-1 - x", 4, &[]);
        let note = format!("{t}\n{}", p256_line(&s, "rekor-pod-1", &t));
        assert_eq!(
            code(verify_v1_checkpoint(&note, &log)),
            "tlog.checkpoint-no-valid-signature"
        );
        assert_eq!(
            v1_origin_name("rekor.sigstore.dev - 2605736670972794746"),
            Some("rekor.sigstore.dev")
        );
        assert_eq!(v1_origin_name(" - 1"), None);
        assert_eq!(v1_origin_name("a b - 1"), None);
    }

    #[test]
    fn signature_line_limit() {
        let s = signers();
        let host = "log.example.dev";
        let t = text(host, 5, &[]);
        let log = log_for("https://log.example.dev", p256_key(&s));
        let witness = line("w", [0; 4], &[1; 64]);
        let ours = p256_line(&s, host, &t);
        let fifteen = witness.repeat(MAX_CHECKPOINT_SIGNATURES - 1);
        verify_checkpoint(&format!("{t}\n{fifteen}{ours}"), &log).unwrap();
        assert_eq!(
            code(verify_checkpoint(
                &format!("{t}\n{fifteen}{witness}{ours}"),
                &log
            )),
            "tlog.checkpoint-too-many-signatures"
        );
    }

    #[test]
    fn malformed_notes_have_distinct_errors() {
        let s = signers();
        let log = log_for("https://h", p256_key(&s));
        let root = base64_encode(&[7u8; 32]);
        let sig = line("h", [0; 4], &[1; 8]);
        let cases: Vec<(String, &str)> = vec![
            (format!("h\n1\n{root}\n"), "tlog.checkpoint-no-separator"),
            (
                format!("\n1\n{root}\n\n{sig}"),
                "tlog.checkpoint-missing-origin",
            ),
            (format!("h\n\n{sig}"), "tlog.checkpoint-missing-size"),
            (
                format!("h\n1\n\n{sig}"),
                "tlog.checkpoint-missing-root-hash",
            ),
            (
                format!("h\n01\n{root}\n\n{sig}"),
                "tlog.checkpoint-bad-size",
            ),
            (
                format!("h\n+1\n{root}\n\n{sig}"),
                "tlog.checkpoint-bad-size",
            ),
            (
                format!("h\n18446744073709551616\n{root}\n\n{sig}"),
                "tlog.checkpoint-bad-size",
            ),
            (
                format!("h\n1\nAAAA\n\n{sig}"),
                "tlog.checkpoint-bad-root-hash",
            ),
            (
                format!("h\n1\n{}\n\n{sig}", root.trim_end_matches('=')),
                "tlog.checkpoint-bad-root-hash",
            ),
            (
                format!("h\n1\n{root}\n\next\n\n{sig}"),
                "tlog.checkpoint-malformed",
            ),
            (
                format!("h\r\n1\n{root}\n\n{sig}"),
                "tlog.checkpoint-malformed",
            ),
            (format!("h\n1\n{root}\n\n"), "tlog.checkpoint-unsigned"),
            (
                format!("h\n1\n{root}\n\n{}", sig.trim_end()),
                "tlog.checkpoint-bad-signature-line",
            ),
            // Em-dash variants: ASCII hyphens, en dash, no space, double space.
            (
                format!("h\n1\n{root}\n\n{}", sig.replace('\u{2014}', "--")),
                "tlog.checkpoint-bad-signature-line",
            ),
            (
                format!("h\n1\n{root}\n\n{}", sig.replace('\u{2014}', "-")),
                "tlog.checkpoint-bad-signature-line",
            ),
            (
                format!("h\n1\n{root}\n\n{}", sig.replace('\u{2014}', "\u{2013}")),
                "tlog.checkpoint-bad-signature-line",
            ),
            (
                format!("h\n1\n{root}\n\n{}", sig.replace("\u{2014} ", "\u{2014}")),
                "tlog.checkpoint-bad-signature-line",
            ),
            (
                format!("h\n1\n{root}\n\n{}", sig.replace("\u{2014} ", "\u{2014}  ")),
                "tlog.checkpoint-bad-signature-line",
            ),
            (
                format!("h\n1\n{root}\n\n{}", sig.replace(" h ", " a+b ")),
                "tlog.checkpoint-bad-signature-line",
            ),
            (
                format!("h\n1\n{root}\n\n\u{2014} h AAAA\n"),
                "tlog.checkpoint-bad-signature-line",
            ),
            (
                format!("h\n1\n{root}\n\n\u{2014} h not-base64!\n"),
                "tlog.checkpoint-bad-signature-line",
            ),
        ];
        for (note, want) in cases {
            assert_eq!(code(verify_checkpoint(&note, &log)), want, "{note:?}");
        }
        let huge = "a".repeat(MAX_CHECKPOINT_BYTES + 1);
        assert_eq!(
            code(verify_checkpoint(&huge, &log)),
            "tlog.checkpoint-too-large"
        );
        // A zero-size tree is syntactically fine ("0" is canonical).
        assert_eq!(parse_size("0").unwrap(), 0);
    }
}
