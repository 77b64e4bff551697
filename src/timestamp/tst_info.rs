//! `TSTInfo` (RFC 3161 §2.4.2), the content the TSA signs.
//!
//! ```text
//! TSTInfo ::= SEQUENCE  {
//!    version                      INTEGER  { v1(1) },
//!    policy                       TSAPolicyId,
//!    messageImprint               MessageImprint,
//!    serialNumber                 INTEGER,
//!    genTime                      GeneralizedTime,
//!    accuracy                     Accuracy                 OPTIONAL,
//!    ordering                     BOOLEAN             DEFAULT FALSE,
//!    nonce                        INTEGER                  OPTIONAL,
//!    tsa                          [0] GeneralName          OPTIONAL,
//!    extensions                   [1] IMPLICIT Extensions   OPTIONAL  }
//! MessageImprint ::= SEQUENCE  {
//!    hashAlgorithm                AlgorithmIdentifier,
//!    hashedMessage                OCTET STRING  }
//! ```

use der::asn1::IntRef;
use der::{Tag, TagNumber};
use spki::ObjectIdentifier;

use super::asn1::{algorithm_identifier, ctx, malformed, single};
use super::TimestampError;
use crate::crypto::HashAlgorithm;
use crate::time::{from_civil, UnixTime};

const STRUCTURE: &str = "TSTInfo";

/// The fields of a TSTInfo the verifier uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TstInfo<'a> {
    /// `policy`.
    pub(super) policy: ObjectIdentifier,
    /// `messageImprint.hashAlgorithm`.
    pub(super) imprint_algorithm: HashAlgorithm,
    /// `messageImprint.hashedMessage`.
    pub(super) imprint: &'a [u8],
    /// `serialNumber`: the INTEGER's contents octets.
    pub(super) serial: &'a [u8],
    /// `genTime`, truncated to whole seconds.
    pub(super) gen_time: UnixTime,
}

/// Parses a DER TSTInfo; nothing may follow it.
pub(super) fn parse(der: &[u8]) -> Result<TstInfo<'_>, TimestampError> {
    let outer = single(der, STRUCTURE)?;
    if outer.tag != Tag::Sequence {
        return Err(malformed(
            STRUCTURE,
            format!("expected SEQUENCE, found {}", outer.tag),
        ));
    }
    let mut r = outer.contents(STRUCTURE)?;

    // RFC 3161 §2.4.2: version INTEGER { v1(1) }.
    let version = r.small_int("version")?;
    if version != 1 {
        return Err(TimestampError::UnsupportedVersion {
            structure: STRUCTURE,
            version,
        });
    }
    let policy = r.oid("policy")?;

    // RFC 3161 §2.4.2: "The messageImprint MUST have the same value as the similar
    // field in TimeStampReq"; its hash must be one we accept (RFC 3161 §2.4.2).
    let imprint_seq = r.expect(Tag::Sequence, "messageImprint")?;
    let mut mi = imprint_seq.contents("TSTInfo messageImprint")?;
    let alg_tlv = mi.expect(Tag::Sequence, "hashAlgorithm")?;
    let alg_oid = algorithm_identifier(&alg_tlv, "TSTInfo messageImprint")?;
    let imprint_algorithm = HashAlgorithm::from_digest_oid(&alg_oid).ok_or_else(|| {
        TimestampError::UnsupportedHashAlgorithm {
            field: "message imprint",
            oid: alg_oid.to_string(),
        }
    })?;
    let imprint = mi.expect(Tag::OctetString, "hashedMessage")?.value;
    mi.finish()?;
    if imprint.len() != imprint_algorithm.output_len() {
        return Err(malformed(
            "TSTInfo messageImprint",
            format!(
                "hashedMessage is {} bytes, a {} hash is {}",
                imprint.len(),
                imprint_algorithm.name(),
                imprint_algorithm.output_len()
            ),
        ));
    }

    // serialNumber INTEGER: must be canonical DER (checked by IntRef).
    let serial_tlv = r.expect(Tag::Integer, "serialNumber")?;
    serial_tlv.decode::<IntRef<'_>>(STRUCTURE)?;
    let serial = serial_tlv.value;

    let gen_tlv = r.expect(Tag::GeneralizedTime, "genTime")?;
    let gen_time = parse_generalized_time(gen_tlv.value)?;

    // The optional fields, each at most once and in this order.
    let optional = [
        Tag::Sequence,            // accuracy
        Tag::Boolean,             // ordering
        Tag::Integer,             // nonce
        ctx(TagNumber::N0, true), // tsa (GeneralName, EXPLICIT because CHOICE)
        ctx(TagNumber::N1, true), // extensions
    ];
    let mut next = 0usize;
    while let Some(tag) = r.peek_tag()? {
        let pos = optional
            .iter()
            .skip(next)
            .position(|t| *t == tag)
            .ok_or_else(|| {
                malformed(
                    STRUCTURE,
                    format!("unexpected or out-of-order element {tag} after genTime"),
                )
            })?;
        let tlv = r.any()?;
        match tag {
            Tag::Boolean => {
                tlv.decode::<bool>(STRUCTURE)?;
            }
            Tag::Integer => {
                tlv.decode::<IntRef<'_>>(STRUCTURE)?;
            }
            _ => {}
        }
        // `tsa` is only a hint (RFC 3161 §2.4.2) and sigstore-go does not compare it
        // with the certificate; accuracy, nonce and extensions do not affect the time.
        next = next.saturating_add(pos).saturating_add(1);
    }
    r.finish()?;
    Ok(TstInfo {
        policy,
        imprint_algorithm,
        imprint,
        serial,
        gen_time,
    })
}

/// RFC 3161 §2.4.2: "GeneralizedTime syntax can include fraction-of-second details.
/// Such syntax, without the restrictions from [RFC 2459] Section 4.1.2.5.2 ... MUST be
/// used: YYYYMMDDhhmmss[.s...]Z ... the fraction-of-second ... MUST NOT have trailing
/// zeros ... the decimal point element, if present, MUST be the point option '.'."
/// `der`'s `GeneralizedTime` rejects fractions, so the contents are parsed here. The
/// fraction is truncated (the verifier works in whole seconds).
pub(super) fn parse_generalized_time(value: &[u8]) -> Result<UnixTime, TimestampError> {
    let invalid = || TimestampError::InvalidGenTime {
        value: value
            .iter()
            .take(64)
            .map(|&b| {
                if b.is_ascii_graphic() {
                    char::from(b)
                } else {
                    '?'
                }
            })
            .collect(),
    };
    let (digits, rest) = value.split_at_checked(14).ok_or_else(invalid)?;
    let num = |range: core::ops::Range<usize>| -> Option<u32> {
        let part = digits.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter().try_fold(0u32, |acc, d| {
            acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
    };
    let fields = (|| {
        Some((
            num(0..4)?,
            num(4..6)?,
            num(6..8)?,
            num(8..10)?,
            num(10..12)?,
            num(12..14)?,
        ))
    })();
    let (y, mo, d, h, mi, s) = fields.ok_or_else(invalid)?;
    let fraction_ok = match rest {
        [b'Z'] => true,
        [b'.', frac @ .., b'Z'] => {
            !frac.is_empty() && frac.iter().all(u8::is_ascii_digit) && frac.last() != Some(&b'0')
        }
        _ => false,
    };
    if !fraction_ok {
        return Err(invalid());
    }
    from_civil(i64::from(y), mo, d, h, mi, s).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_forms() {
        let t = |s: &str| parse_generalized_time(s.as_bytes());
        assert_eq!(t("20250612120220Z"), Ok(1_749_729_740));
        assert_eq!(
            crate::time::format_rfc3339(t("20250612120220Z").unwrap()),
            "2025-06-12T12:02:20Z"
        );
        // Fractions are truncated.
        assert_eq!(t("20250612120220.5Z"), Ok(1_749_729_740));
        assert_eq!(t("20250612120220.123456789Z"), Ok(1_749_729_740));
        for bad in [
            "",
            "20250612120220",
            "2025061212022Z",
            "20250612120220.Z",
            "20250612120220.50Z",
            "20250612120220,5Z",
            "20250612120220+0000",
            "20251312120220Z",
            "20250230120220Z",
            "20250612250220Z",
            "2025061212022aZ",
            "20250612120220ZZ",
            "+0250612120220Z",
        ] {
            assert!(
                matches!(t(bad), Err(TimestampError::InvalidGenTime { .. })),
                "{bad}"
            );
        }
    }
}
