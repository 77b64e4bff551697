//! The signer identity of a Fulcio certificate: the SAN (`fulcio:docs/oidc.md`) and the
//! extensions 1.3.6.1.4.1.57264.1.N (`fulcio:docs/oid-info.md`,
//! `sigstore-go:pkg/fulcio/certificate/extensions.go`; `fulcio:docs/oid-info.md`).

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;

use super::cert::{ParsedCertificate, OID_SUBJECT_ALT_NAME};
use super::error::CertificateError;

/// The Fulcio OID arc, `1.3.6.1.4.1.57264.1` (`fulcio:docs/oid-info.md`).
const FULCIO_ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1");
/// The Fulcio username OtherName type, `1.3.6.1.4.1.57264.1.7` (`fulcio:docs/oidc.md`).
const OID_FULCIO_USERNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// The signer identity from the SAN (`fulcio:docs/oidc.md`; sigstore-go `pkg/fulcio/certificate/summarize.go`: first URI, else first email, else
/// the Fulcio OtherName 1.3.6.1.4.1.57264.1.7), as sigstore-go
/// `pkg/fulcio/certificate/summarize.go` picks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SanIdentity {
    /// `uniformResourceIdentifier` (GitHub Actions, GitLab, SPIFFE, Kubernetes...).
    Uri(String),
    /// `rfc822Name` (email identity providers).
    Email(String),
    /// OtherName 1.3.6.1.4.1.57264.1.7 (username identity).
    OtherName(String),
}

impl SanIdentity {
    /// The identity string.
    pub fn value(&self) -> &str {
        match self {
            Self::Uri(s) | Self::Email(s) | Self::OtherName(s) => s,
        }
    }

    /// What kind of SAN it came from: `uri`, `email` or `othername`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Uri(_) => "uri",
            Self::Email(_) => "email",
            Self::OtherName(_) => "othername",
        }
    }
}

/// How an extension's value is encoded (`fulcio:docs/oid-info.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    /// .1 to .6: the raw string bytes are the extnValue.
    Raw,
    /// .8 to .24: the extnValue is a DER UTF8String.
    Utf8String,
}

/// (last arc, OID text, name, encoding) for every Fulcio extension this crate decodes.
const FULCIO_EXTENSIONS: [(u32, &str, &str, Encoding); 23] = [
    (
        1,
        "1.3.6.1.4.1.57264.1.1",
        "Issuer (deprecated)",
        Encoding::Raw,
    ),
    (
        2,
        "1.3.6.1.4.1.57264.1.2",
        "GitHub Workflow Trigger (deprecated)",
        Encoding::Raw,
    ),
    (
        3,
        "1.3.6.1.4.1.57264.1.3",
        "GitHub Workflow SHA (deprecated)",
        Encoding::Raw,
    ),
    (
        4,
        "1.3.6.1.4.1.57264.1.4",
        "GitHub Workflow Name (deprecated)",
        Encoding::Raw,
    ),
    (
        5,
        "1.3.6.1.4.1.57264.1.5",
        "GitHub Workflow Repository (deprecated)",
        Encoding::Raw,
    ),
    (
        6,
        "1.3.6.1.4.1.57264.1.6",
        "GitHub Workflow Ref (deprecated)",
        Encoding::Raw,
    ),
    (8, "1.3.6.1.4.1.57264.1.8", "Issuer", Encoding::Utf8String),
    (
        9,
        "1.3.6.1.4.1.57264.1.9",
        "Build Signer URI",
        Encoding::Utf8String,
    ),
    (
        10,
        "1.3.6.1.4.1.57264.1.10",
        "Build Signer Digest",
        Encoding::Utf8String,
    ),
    (
        11,
        "1.3.6.1.4.1.57264.1.11",
        "Runner Environment",
        Encoding::Utf8String,
    ),
    (
        12,
        "1.3.6.1.4.1.57264.1.12",
        "Source Repository URI",
        Encoding::Utf8String,
    ),
    (
        13,
        "1.3.6.1.4.1.57264.1.13",
        "Source Repository Digest",
        Encoding::Utf8String,
    ),
    (
        14,
        "1.3.6.1.4.1.57264.1.14",
        "Source Repository Ref",
        Encoding::Utf8String,
    ),
    (
        15,
        "1.3.6.1.4.1.57264.1.15",
        "Source Repository Identifier",
        Encoding::Utf8String,
    ),
    (
        16,
        "1.3.6.1.4.1.57264.1.16",
        "Source Repository Owner URI",
        Encoding::Utf8String,
    ),
    (
        17,
        "1.3.6.1.4.1.57264.1.17",
        "Source Repository Owner Identifier",
        Encoding::Utf8String,
    ),
    (
        18,
        "1.3.6.1.4.1.57264.1.18",
        "Build Config URI",
        Encoding::Utf8String,
    ),
    (
        19,
        "1.3.6.1.4.1.57264.1.19",
        "Build Config Digest",
        Encoding::Utf8String,
    ),
    (
        20,
        "1.3.6.1.4.1.57264.1.20",
        "Build Trigger",
        Encoding::Utf8String,
    ),
    (
        21,
        "1.3.6.1.4.1.57264.1.21",
        "Run Invocation URI",
        Encoding::Utf8String,
    ),
    (
        22,
        "1.3.6.1.4.1.57264.1.22",
        "Source Repository Visibility At Signing",
        Encoding::Utf8String,
    ),
    (
        23,
        "1.3.6.1.4.1.57264.1.23",
        "Deployment Environment",
        Encoding::Utf8String,
    ),
    (
        24,
        "1.3.6.1.4.1.57264.1.24",
        "Token Subject",
        Encoding::Utf8String,
    ),
];

/// Decodes one Fulcio extension value according to its encoding. `Err` is a reason.
fn decode_value(encoding: Encoding, raw: &[u8]) -> Result<String, String> {
    match encoding {
        // fulcio:docs/oid-info.md: .1–.6 "the value is the raw string" (no DER wrapper).
        Encoding::Raw => core::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| "value is not UTF-8".to_owned()),
        // fulcio:docs/oid-info.md: .8 and later are "DER-encoded UTF8String";
        // sigstore-go `ParseExtensions` rejects trailing bytes (`asn1.Unmarshal` rest).
        Encoding::Utf8String => Utf8StringRef::from_der(raw)
            .map(|s| s.as_str().to_owned())
            .map_err(|e| format!("not a DER UTF8String: {e}")),
    }
}

/// Every Fulcio extension 1.3.6.1.4.1.57264.1.1–.24 (except .7 which is a SAN
/// OtherName type), decoded to text. `None` when the certificate lacks the extension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FulcioExtensions {
    /// .1 Issuer (deprecated, raw bytes).
    pub issuer_v1: Option<String>,
    /// .2 GitHub Workflow Trigger (deprecated).
    pub github_workflow_trigger: Option<String>,
    /// .3 GitHub Workflow SHA (deprecated).
    pub github_workflow_sha: Option<String>,
    /// .4 GitHub Workflow Name (deprecated).
    pub github_workflow_name: Option<String>,
    /// .5 GitHub Workflow Repository (deprecated).
    pub github_workflow_repository: Option<String>,
    /// .6 GitHub Workflow Ref (deprecated).
    pub github_workflow_ref: Option<String>,
    /// .8 Issuer (the OIDC `iss` claim).
    pub issuer_v2: Option<String>,
    /// .9 Build Signer URI.
    pub build_signer_uri: Option<String>,
    /// .10 Build Signer Digest.
    pub build_signer_digest: Option<String>,
    /// .11 Runner Environment.
    pub runner_environment: Option<String>,
    /// .12 Source Repository URI.
    pub source_repository_uri: Option<String>,
    /// .13 Source Repository Digest.
    pub source_repository_digest: Option<String>,
    /// .14 Source Repository Ref.
    pub source_repository_ref: Option<String>,
    /// .15 Source Repository Identifier.
    pub source_repository_identifier: Option<String>,
    /// .16 Source Repository Owner URI.
    pub source_repository_owner_uri: Option<String>,
    /// .17 Source Repository Owner Identifier.
    pub source_repository_owner_identifier: Option<String>,
    /// .18 Build Config URI.
    pub build_config_uri: Option<String>,
    /// .19 Build Config Digest.
    pub build_config_digest: Option<String>,
    /// .20 Build Trigger.
    pub build_trigger: Option<String>,
    /// .21 Run Invocation URI.
    pub run_invocation_uri: Option<String>,
    /// .22 Source Repository Visibility At Signing.
    pub source_repository_visibility_at_signing: Option<String>,
    /// .23 Deployment Environment.
    pub deployment_environment: Option<String>,
    /// .24 Token Subject.
    pub token_subject: Option<String>,
}

impl FulcioExtensions {
    /// The OIDC issuer: extension .8, else the deprecated .1 (`fulcio:docs/oid-info.md`;
    /// sigstore-go `pkg/fulcio/certificate/summarize.go`).
    pub fn issuer(&self) -> Option<&str> {
        self.issuer_v2.as_deref().or(self.issuer_v1.as_deref())
    }

    fn slot(&self, arc: u32) -> Option<&Option<String>> {
        Some(match arc {
            1 => &self.issuer_v1,
            2 => &self.github_workflow_trigger,
            3 => &self.github_workflow_sha,
            4 => &self.github_workflow_name,
            5 => &self.github_workflow_repository,
            6 => &self.github_workflow_ref,
            8 => &self.issuer_v2,
            9 => &self.build_signer_uri,
            10 => &self.build_signer_digest,
            11 => &self.runner_environment,
            12 => &self.source_repository_uri,
            13 => &self.source_repository_digest,
            14 => &self.source_repository_ref,
            15 => &self.source_repository_identifier,
            16 => &self.source_repository_owner_uri,
            17 => &self.source_repository_owner_identifier,
            18 => &self.build_config_uri,
            19 => &self.build_config_digest,
            20 => &self.build_trigger,
            21 => &self.run_invocation_uri,
            22 => &self.source_repository_visibility_at_signing,
            23 => &self.deployment_environment,
            24 => &self.token_subject,
            _ => return None,
        })
    }

    fn slot_mut(&mut self, arc: u32) -> Option<&mut Option<String>> {
        Some(match arc {
            1 => &mut self.issuer_v1,
            2 => &mut self.github_workflow_trigger,
            3 => &mut self.github_workflow_sha,
            4 => &mut self.github_workflow_name,
            5 => &mut self.github_workflow_repository,
            6 => &mut self.github_workflow_ref,
            8 => &mut self.issuer_v2,
            9 => &mut self.build_signer_uri,
            10 => &mut self.build_signer_digest,
            11 => &mut self.runner_environment,
            12 => &mut self.source_repository_uri,
            13 => &mut self.source_repository_digest,
            14 => &mut self.source_repository_ref,
            15 => &mut self.source_repository_identifier,
            16 => &mut self.source_repository_owner_uri,
            17 => &mut self.source_repository_owner_identifier,
            18 => &mut self.build_config_uri,
            19 => &mut self.build_config_digest,
            20 => &mut self.build_trigger,
            21 => &mut self.run_invocation_uri,
            22 => &mut self.source_repository_visibility_at_signing,
            23 => &mut self.deployment_environment,
            24 => &mut self.token_subject,
            _ => return None,
        })
    }

    /// The present extensions as `(OID, name, value)`, in OID order (for `inspect`).
    pub fn entries(&self) -> Vec<(&'static str, &'static str, &str)> {
        FULCIO_EXTENSIONS
            .iter()
            .filter_map(|(arc, oid, name, _)| {
                self.slot(*arc)
                    .and_then(Option::as_deref)
                    .map(|v| (*oid, *name, v))
            })
            .collect()
    }

    /// Decodes the Fulcio extensions of `cert`. Extensions of the Fulcio arc this
    /// crate does not know (.7, .25 and later) are ignored.
    pub(crate) fn from_certificate(cert: &ParsedCertificate) -> Result<Self, CertificateError> {
        let mut out = Self::default();
        for ext in cert.extensions() {
            if ext.extn_id.parent() != Some(FULCIO_ARC) {
                continue;
            }
            let Some(arc) = ext.extn_id.arc(ext.extn_id.len().saturating_sub(1)) else {
                continue;
            };
            let Some((_, _, name, encoding)) = FULCIO_EXTENSIONS.iter().find(|(a, ..)| *a == arc)
            else {
                continue;
            };
            let value = decode_value(*encoding, ext.extn_value.as_bytes()).map_err(|detail| {
                CertificateError::MalformedExtension {
                    subject: cert.subject_string(),
                    name: (*name).into(),
                    oid: ext.extn_id.to_string(),
                    detail,
                }
            })?;
            // Duplicates were rejected when the certificate was parsed.
            if let Some(slot) = out.slot_mut(arc) {
                *slot = Some(value);
            }
        }
        Ok(out)
    }
}

/// Picks the identity from a SubjectAltName extension value: the first URI, else the
/// first email, else the first Fulcio username OtherName (sigstore-go `summarize.go`).
fn san_identity(cert: &ParsedCertificate) -> Result<Option<SanIdentity>, CertificateError> {
    let Some((_, value)) = cert.extension(&OID_SUBJECT_ALT_NAME) else {
        return Ok(None);
    };
    let bad = |detail: String| CertificateError::MalformedExtension {
        subject: cert.subject_string(),
        name: "subjectAltName".into(),
        oid: OID_SUBJECT_ALT_NAME.to_string(),
        detail,
    };
    let san = SubjectAltName::from_der(value).map_err(|e| bad(e.to_string()))?;
    // RFC 5280 §4.2.1.6: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName.
    if san.0.is_empty() {
        return Err(bad("empty list of names".into()));
    }
    let mut email = None;
    let mut other = None;
    for name in &san.0 {
        match name {
            GeneralName::UniformResourceIdentifier(uri) => {
                return Ok(Some(SanIdentity::Uri(uri.as_str().to_owned())));
            }
            GeneralName::Rfc822Name(e) if email.is_none() => {
                email = Some(SanIdentity::Email(e.as_str().to_owned()));
            }
            GeneralName::OtherName(o) if o.type_id == OID_FULCIO_USERNAME && other.is_none() => {
                // fulcio:docs/oidc.md: the username is an OtherName whose value is a
                // `[0] EXPLICIT UTF8String`.
                let s: Utf8StringRef<'_> = o.value.decode_as().map_err(|e| {
                    bad(format!(
                        "Fulcio username OtherName is not a UTF8String: {e}"
                    ))
                })?;
                other = Some(SanIdentity::OtherName(s.as_str().to_owned()));
            }
            _ => {}
        }
    }
    Ok(email.or(other))
}

/// A leaf (Fulcio or key-only) signing certificate with its identity fields decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningCertificate {
    /// The certificate.
    pub cert: ParsedCertificate,
    /// The SAN identity; `None` when the certificate has no usable SAN.
    pub identity: Option<SanIdentity>,
    /// The Fulcio extensions.
    pub extensions: FulcioExtensions,
}

impl SigningCertificate {
    /// Parses a DER leaf certificate and decodes its SAN identity and Fulcio extensions.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let cert = ParsedCertificate::from_der(der)?;
        let identity = san_identity(&cert)?;
        let extensions = FulcioExtensions::from_certificate(&cert)?;
        Ok(Self {
            cert,
            identity,
            extensions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::pem_decode_one;
    use crate::testutil::{corpus_extra, mutate_all, vendored, SIGSTORE_VERIFY};
    use crate::x509::test_support::{
        bundle_certs, conformance_case, ext, happy_path_v01, key, mint,
    };
    use der::asn1::{Any, Ia5String, OctetString, Utf8StringRef};
    use x509_cert::ext::pkix::name::OtherName;

    /// A certificate of PyPI `pypi-attestations` 0.0.30 `test/assets/`, vendored in
    /// `testdata/real` (also in the corpus's `real/from-registry`).
    fn pypi_pem(name: &str) -> Vec<u8> {
        let path = vendored("pypi/pypi_attestations-0.0.30/test/assets").join(name);
        pem_decode_one(&std::fs::read_to_string(path).unwrap(), "CERTIFICATE").unwrap()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    // Expected values read with `openssl x509 -text` on the same files.
    #[test]
    fn decodes_real_github_leaf_without_source_ref() {
        let c = SigningCertificate::from_der(&pypi_pem("no-source-repository-ref-extension.pem"))
            .unwrap();
        assert_eq!(
            c.identity,
            Some(SanIdentity::Uri(
                "https://github.com/SWIFTSIM/swiftgalaxy/.github/workflows/python-publish.yml@a26eb006d04dd0c41a6e38dc15ddaf7b46143505".into()
            ))
        );
        assert_eq!(c.identity.as_ref().map(SanIdentity::kind), Some("uri"));
        let x = &c.extensions;
        assert_eq!(
            x.issuer(),
            Some("https://token.actions.githubusercontent.com")
        );
        assert_eq!(x.issuer_v1, x.issuer_v2);
        assert_eq!(x.github_workflow_trigger, s("release"));
        assert_eq!(
            x.github_workflow_sha,
            s("a26eb006d04dd0c41a6e38dc15ddaf7b46143505")
        );
        assert_eq!(x.github_workflow_name, s("Upload Python Package"));
        assert_eq!(x.github_workflow_repository, s("SWIFTSIM/swiftgalaxy"));
        assert_eq!(x.github_workflow_ref, None);
        assert_eq!(x.runner_environment, s("github-hosted"));
        assert_eq!(
            x.source_repository_uri,
            s("https://github.com/SWIFTSIM/swiftgalaxy")
        );
        assert_eq!(x.source_repository_ref, None);
        assert_eq!(x.source_repository_identifier, s("488271795"));
        assert_eq!(
            x.source_repository_owner_uri,
            s("https://github.com/SWIFTSIM")
        );
        assert_eq!(x.source_repository_owner_identifier, s("37541309"));
        assert_eq!(x.build_trigger, s("release"));
        assert_eq!(
            x.run_invocation_uri,
            s("https://github.com/SWIFTSIM/swiftgalaxy/actions/runs/14245743812/attempts/2")
        );
        assert_eq!(x.source_repository_visibility_at_signing, s("public"));
        assert_eq!(x.deployment_environment, None);
        assert_eq!(x.token_subject, None);
        // .1–.5 and .8–.13, .15–.22: 5 + 6 + 8.
        assert_eq!(x.entries().len(), 19);
    }

    #[test]
    fn decodes_real_email_and_circleci_leaves() {
        let google = SigningCertificate::from_der(&pypi_pem("200170367.pem")).unwrap();
        assert_eq!(
            google.identity,
            Some(SanIdentity::Email(
                "919436158236-compute@developer.gserviceaccount.com".into()
            ))
        );
        assert_eq!(
            google.identity.as_ref().map(SanIdentity::kind),
            Some("email")
        );
        assert_eq!(
            google.extensions.issuer(),
            Some("https://accounts.google.com")
        );
        assert_eq!(
            google.extensions.entries(),
            vec![
                (
                    "1.3.6.1.4.1.57264.1.1",
                    "Issuer (deprecated)",
                    "https://accounts.google.com"
                ),
                (
                    "1.3.6.1.4.1.57264.1.8",
                    "Issuer",
                    "https://accounts.google.com"
                ),
            ]
        );

        let circle = SigningCertificate::from_der(&pypi_pem("circleci-oidc.pem")).unwrap();
        assert_eq!(
            circle.identity.as_ref().map(SanIdentity::value),
            Some("https://circleci.com/api/v2/projects/fdd9283f-e619-46af-8f9c-851f7d3e8b2b/pipeline-definitions/8e4f8ab2-8d7c-4827-9f15-de076d6d647f")
        );
        let x = &circle.extensions;
        assert_eq!(x.issuer(), Some("https://oidc.circleci.com"));
        // openssl shows the DER UTF8String 0c 02 22 22: the two characters `""`.
        assert_eq!(x.runner_environment, s("\"\""));
        assert_eq!(
            x.source_repository_uri,
            s("github.com/CircleCI-Public/sign-and-publish-examples")
        );
        assert_eq!(x.source_repository_ref, s("refs/heads/pypi"));
        assert_eq!(
            x.build_config_uri,
            s("https://circleci.com/api/v2/pipeline/f3f6eb86-f260-445b-b9c9-32a2cb5a3a61/config")
        );
        assert_eq!(x.github_workflow_trigger, None);
    }

    /// The conformance beacon's leaves: the vendored `happy-path-v0.1`, and the
    /// corpus's `happy-path-v0.3` when `RULEPACK_CORPUS` is set.
    #[test]
    fn decodes_conformance_leaf_extensions_in_oid_order() {
        // Signed in July 2023, before Fulcio added .22 (source repository visibility):
        // .1–.6 and .8–.21.
        let (bundle, _) = happy_path_v01();
        decodes_conformance_leaf_extensions_in_oid_order_on(
            &bundle_certs(&bundle)[0],
            20,
            "1.3.6.1.4.1.57264.1.21",
        );
        if let Some(corpus) =
            corpus_extra("x509::fulcio::decodes_conformance_leaf_extensions_in_oid_order")
        {
            // .1–.6 and .8–.22.
            let (bundle, _) = conformance_case(&corpus, "happy-path-v0.3");
            decodes_conformance_leaf_extensions_in_oid_order_on(
                &bundle_certs(&bundle)[0],
                21,
                "1.3.6.1.4.1.57264.1.22",
            );
        }
    }

    fn decodes_conformance_leaf_extensions_in_oid_order_on(leaf: &[u8], count: usize, last: &str) {
        let c = SigningCertificate::from_der(leaf).unwrap();
        let entries = c.extensions.entries();
        assert_eq!(entries.len(), count);
        assert_eq!(entries.first().map(|e| e.0), Some("1.3.6.1.4.1.57264.1.1"));
        assert_eq!(entries.last().map(|e| e.0), Some(last));
        assert_eq!(
            c.extensions.source_repository_uri.as_deref(),
            Some("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon")
        );
        assert_eq!(
            c.extensions.source_repository_ref.as_deref(),
            Some("refs/heads/main")
        );
        assert_eq!(
            c.extensions.github_workflow_trigger.as_deref(),
            Some("workflow_dispatch")
        );
        assert_eq!(
            c.identity.as_ref().map(SanIdentity::value),
            c.extensions.build_signer_uri.as_deref()
        );
    }

    #[test]
    fn decodes_real_username_othername_san() {
        // sigstore-go's othername.sigstore.json, as vendored by crates.io
        // `sigstore-verify` 0.15.1.
        let bundle = crate::x509::test_support::json(&vendored(&format!(
            "{SIGSTORE_VERIFY}bundles/othername.sigstore.json"
        )));
        let c = SigningCertificate::from_der(&bundle_certs(&bundle)[0]).unwrap();
        // openssl: "othername: 1.3.6.1.4.1.57264.1.7::foo!oidc.local".
        assert_eq!(
            c.identity,
            Some(SanIdentity::OtherName("foo!oidc.local".into()))
        );
        assert_eq!(c.extensions.issuer(), Some("http://oidc.local:8080"));
        assert_eq!(c.extensions.entries().len(), 2);
    }

    #[test]
    fn extension_value_encoding_rules() {
        // .1–.6: raw bytes.
        assert_eq!(
            decode_value(Encoding::Raw, b"https://x"),
            Ok("https://x".into())
        );
        assert!(decode_value(Encoding::Raw, &[0xff, 0xfe]).is_err());
        // .8–.24: a DER UTF8String, nothing after it.
        assert_eq!(
            decode_value(Encoding::Utf8String, &[0x0c, 0x02, b'h', b'i']),
            Ok("hi".into())
        );
        assert_eq!(
            decode_value(Encoding::Utf8String, &[0x0c, 0x00]),
            Ok(String::new())
        );
        assert!(decode_value(Encoding::Utf8String, &[0x0c, 0x02, b'h', b'i', 0x00]).is_err());
        assert!(decode_value(Encoding::Utf8String, &[0x0c, 0x03, b'h', b'i']).is_err());
        assert!(decode_value(Encoding::Utf8String, &[0x16, 0x02, b'h', b'i']).is_err());
        assert!(decode_value(Encoding::Utf8String, b"https://x").is_err());
        assert!(decode_value(Encoding::Utf8String, &[0x0c, 0x01, 0xff]).is_err());
        assert!(decode_value(Encoding::Utf8String, &[]).is_err());
    }

    fn raw_ext(oid: &str, value: &[u8]) -> x509_cert::ext::Extension {
        x509_cert::ext::Extension {
            extn_id: ObjectIdentifier::new_unwrap(oid),
            critical: false,
            extn_value: OctetString::new(value.to_vec()).unwrap(),
        }
    }

    fn leaf_with(
        exts: Vec<x509_cert::ext::Extension>,
    ) -> Result<SigningCertificate, CertificateError> {
        let k = key(5);
        SigningCertificate::from_der(&mint("CN=leaf", &k, "CN=ca", &k, (0, 10), exts))
    }

    #[test]
    fn malformed_fulcio_extension_rejects_the_certificate() {
        // Issuer V2 written raw, as if it were .1.
        let e = leaf_with(vec![raw_ext("1.3.6.1.4.1.57264.1.8", b"https://issuer")]).unwrap_err();
        assert_eq!(e.code(), "certificate.malformed-extension");
        assert!(
            e.to_string()
                .contains("malformed Issuer extension (1.3.6.1.4.1.57264.1.8)"),
            "{e}"
        );
        // Unknown Fulcio arcs are ignored; .1 alone is the issuer.
        let ok = leaf_with(vec![
            raw_ext("1.3.6.1.4.1.57264.1.1", b"https://old"),
            raw_ext("1.3.6.1.4.1.57264.1.99", &[0xff]),
        ])
        .unwrap();
        assert_eq!(ok.extensions.issuer(), Some("https://old"));
        assert_eq!(ok.identity, None);
    }

    fn san(names: Vec<GeneralName>) -> Result<SigningCertificate, CertificateError> {
        leaf_with(vec![ext("2.5.29.17", true, &SubjectAltName(names))])
    }

    fn uri(v: &str) -> GeneralName {
        GeneralName::UniformResourceIdentifier(Ia5String::new(v).unwrap())
    }

    fn email(v: &str) -> GeneralName {
        GeneralName::Rfc822Name(Ia5String::new(v).unwrap())
    }

    fn username(value: Any) -> GeneralName {
        GeneralName::OtherName(OtherName {
            type_id: OID_FULCIO_USERNAME,
            value,
        })
    }

    #[test]
    fn san_identity_prefers_uri_then_email_then_username() {
        let user = || username(Any::encode_from(&Utf8StringRef::new("alice").unwrap()).unwrap());
        let got = |names| san(names).unwrap().identity;
        assert_eq!(
            got(vec![email("a@b.c"), user(), uri("https://x/y")]),
            Some(SanIdentity::Uri("https://x/y".into()))
        );
        assert_eq!(
            got(vec![user(), email("a@b.c"), email("d@e.f")]),
            Some(SanIdentity::Email("a@b.c".into()))
        );
        let other = got(vec![
            GeneralName::DnsName(Ia5String::new("x.y").unwrap()),
            user(),
        ]);
        assert_eq!(other, Some(SanIdentity::OtherName("alice".into())));
        assert_eq!(other.as_ref().map(SanIdentity::kind), Some("othername"));
        assert_eq!(
            got(vec![GeneralName::DnsName(Ia5String::new("x.y").unwrap())]),
            None
        );
        // An OtherName of another type is not an identity.
        let foreign = GeneralName::OtherName(OtherName {
            type_id: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.20.2.3"),
            value: Any::encode_from(&Utf8StringRef::new("bob").unwrap()).unwrap(),
        });
        assert_eq!(got(vec![foreign]), None);
        // The Fulcio username must be a UTF8String.
        let ia5 = username(Any::encode_from(&Ia5String::new("alice").unwrap()).unwrap());
        assert_eq!(
            san(vec![ia5]).unwrap_err().code(),
            "certificate.malformed-extension"
        );
        assert_eq!(
            san(vec![]).unwrap_err().code(),
            "certificate.malformed-extension"
        );
    }

    #[test]
    fn mutated_real_leaves_never_panic() {
        let mut tried = 0;
        for name in [
            "circleci-oidc.pem",
            "200170367.pem",
            "no-source-repository-ref-extension.pem",
        ] {
            tried += mutate_all(&pypi_pem(name), |d| {
                let c = SigningCertificate::from_der(d)?;
                let _ = c.extensions.entries();
                Ok::<_, CertificateError>(())
            });
        }
        assert!(tried > 1000, "{tried}");
    }
}
