//! The in-toto statement inside a DSSE envelope: just enough to bind it to an artifact.
//!
//! in-toto Statement v1 (`https://in-toto.io/Statement/v1`): `{"_type", "subject":
//! [{"name"?, "digest": {"<alg>": "<hex>"}}], "predicateType", "predicate"}`.

use serde::Deserialize;
use std::collections::BTreeMap;

use super::{ArtifactDigests, SignatureError};
use crate::crypto::HashAlgorithm;
use crate::encoding::hex_decode;
use crate::limits;

/// `payloadType` of an in-toto statement in DSSE.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// in-toto Statement v1 `_type`.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// in-toto Statement v0.1 `_type` (older attestations).
pub(super) const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// The predicate type cosign's new bundle format uses for `cosign sign` (cosign `pkg/types/predicate.go` `CosignSignPredicateType`).
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    type_: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
}

#[derive(Deserialize)]
struct Subject {
    #[serde(default)]
    digest: BTreeMap<String, String>,
}

use crate::policy::StatementRequirement;

/// Checks the DSSE payload binds the artifact: payload type, statement type and a
/// subject digest equal to the artifact's (cosign `pkg/cosign/verifiers.go` `IntotoSubjectClaimVerifier`).
pub(super) fn check_statement(
    payload_type: &str,
    payload: &[u8],
    artifact: &ArtifactDigests,
    req: StatementRequirement,
) -> Result<(), SignatureError> {
    if payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(SignatureError::PayloadTypeMismatch {
            expected: INTOTO_PAYLOAD_TYPE.into(),
            found: payload_type.into(),
        });
    }
    let st: Statement =
        serde_json::from_slice(payload).map_err(|e| SignatureError::MalformedStatement {
            detail: e.to_string(),
        })?;
    let type_ok = match req {
        StatementRequirement::AnySubjectMatch => {
            st.type_ == STATEMENT_V1 || st.type_ == STATEMENT_V01
        }
        StatementRequirement::CosignSign => st.type_ == STATEMENT_V1,
    };
    if !type_ok {
        return Err(SignatureError::StatementTypeMismatch {
            field: "_type",
            expected: STATEMENT_V1.into(),
            found: st.type_,
        });
    }
    if req == StatementRequirement::CosignSign && st.predicate_type != COSIGN_SIGN_PREDICATE {
        return Err(SignatureError::StatementTypeMismatch {
            field: "predicateType",
            expected: COSIGN_SIGN_PREDICATE.into(),
            found: st.predicate_type,
        });
    }
    if st.subject.len() > limits::MAX_INTOTO_SUBJECTS {
        return Err(SignatureError::MalformedStatement {
            detail: format!(
                "{} subjects, more than the limit of {}",
                st.subject.len(),
                limits::MAX_INTOTO_SUBJECTS
            ),
        });
    }
    let mut found = Vec::new();
    for s in &st.subject {
        for (alg, hex) in &s.digest {
            let Some(alg_t) = HashAlgorithm::from_name(alg) else {
                continue;
            };
            // in-toto digests are lowercase hex; compare decoded bytes.
            if let (Some(want), Some(got)) = (artifact.get(alg_t), hex_decode(hex)) {
                if want == got.as_slice() {
                    return Ok(());
                }
            }
            if found.len() < 4 {
                found.push(format!("{alg}:{hex}"));
            }
        }
    }
    Err(SignatureError::SubjectMismatch {
        expected: artifact.describe(),
        found,
    })
}
