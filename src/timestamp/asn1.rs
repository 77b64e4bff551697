//! A small DER reader over `der::SliceReader`: every read returns `Result`, every
//! element keeps its raw bytes (needed to hash certificates and re-tag the signed
//! attributes), and [`Der::finish`] rejects trailing bytes.

use der::asn1::AnyRef;
use der::{Decode, Reader as _, SliceReader, Tag, TagNumber, Tagged};
use spki::ObjectIdentifier;

use super::TimestampError;

/// One DER element: its tag, its contents, and its full encoding.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tlv<'a> {
    /// The element's tag.
    pub(super) tag: Tag,
    /// The contents octets.
    pub(super) value: &'a [u8],
    /// Tag, length and contents.
    pub(super) whole: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A reader over this element's contents (for constructed elements).
    pub(super) fn contents(&self, structure: &'static str) -> Result<Der<'a>, TimestampError> {
        Der::new(self.value, structure)
    }

    /// Decodes the whole element as a `der` type.
    pub(super) fn decode<T: Decode<'a>>(
        &self,
        structure: &'static str,
    ) -> Result<T, TimestampError> {
        T::from_der(self.whole).map_err(|e| malformed(structure, e))
    }
}

/// A DER `Malformed` error for `structure`.
pub(super) fn malformed(
    structure: &'static str,
    detail: impl core::fmt::Display,
) -> TimestampError {
    TimestampError::Malformed {
        structure,
        detail: detail.to_string(),
    }
}

/// Context-specific tag `[n]`, constructed or primitive (n ≤ 4 is all CMS needs here).
pub(super) fn ctx(number: TagNumber, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number,
    }
}

/// Sequential reader over the elements of one DER contents string.
pub(super) struct Der<'a> {
    reader: SliceReader<'a>,
    structure: &'static str,
}

impl<'a> Der<'a> {
    /// A reader over `bytes`, which belong to `structure` (named in errors).
    pub(super) fn new(bytes: &'a [u8], structure: &'static str) -> Result<Self, TimestampError> {
        let reader = SliceReader::new(bytes).map_err(|e| malformed(structure, e))?;
        Ok(Self { reader, structure })
    }

    /// The tag of the next element, or `None` at the end.
    pub(super) fn peek_tag(&self) -> Result<Option<Tag>, TimestampError> {
        if self.reader.is_finished() {
            return Ok(None);
        }
        self.reader
            .peek_tag()
            .map(Some)
            .map_err(|e| malformed(self.structure, e))
    }

    /// True when every element has been read.
    pub(super) fn is_finished(&self) -> bool {
        self.reader.is_finished()
    }

    /// Reads the next element, whatever its tag.
    pub(super) fn any(&mut self) -> Result<Tlv<'a>, TimestampError> {
        let structure = self.structure;
        if self.reader.is_finished() {
            return Err(malformed(structure, "a required element is missing"));
        }
        let whole = self
            .reader
            .tlv_bytes()
            .map_err(|e| malformed(structure, e))?;
        let any = AnyRef::from_der(whole).map_err(|e| malformed(structure, e))?;
        Ok(Tlv {
            tag: any.tag(),
            value: any.value(),
            whole,
        })
    }

    /// Reads the next element, which must have tag `tag`.
    pub(super) fn expect(&mut self, tag: Tag, field: &str) -> Result<Tlv<'a>, TimestampError> {
        let tlv = self.any().map_err(|e| match e {
            TimestampError::Malformed { structure, detail } => TimestampError::Malformed {
                structure,
                detail: format!("{field}: {detail}"),
            },
            other => other,
        })?;
        if tlv.tag != tag {
            return Err(malformed(
                self.structure,
                format!("{field}: expected {tag}, found {}", tlv.tag),
            ));
        }
        Ok(tlv)
    }

    /// Reads the next element if it has tag `tag`.
    pub(super) fn optional(&mut self, tag: Tag) -> Result<Option<Tlv<'a>>, TimestampError> {
        if self.peek_tag()? == Some(tag) {
            self.any().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads an OBJECT IDENTIFIER.
    pub(super) fn oid(&mut self, field: &str) -> Result<ObjectIdentifier, TimestampError> {
        self.expect(Tag::ObjectIdentifier, field)?
            .decode(self.structure)
    }

    /// Reads a small INTEGER (versions, statuses).
    pub(super) fn small_int(&mut self, field: &str) -> Result<i64, TimestampError> {
        self.expect(Tag::Integer, field)?.decode(self.structure)
    }

    /// Ends the reader: every byte must have been consumed.
    pub(super) fn finish(self) -> Result<(), TimestampError> {
        if self.reader.is_finished() {
            Ok(())
        } else {
            Err(TimestampError::TrailingData {
                structure: self.structure,
            })
        }
    }
}

/// Reads exactly one element from `bytes` (nothing may follow it).
pub(super) fn single<'a>(
    bytes: &'a [u8],
    structure: &'static str,
) -> Result<Tlv<'a>, TimestampError> {
    let mut r = Der::new(bytes, structure)?;
    let tlv = r.any()?;
    r.finish()?;
    Ok(tlv)
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`
/// (RFC 5280 §4.1.1.2) for hash and ECDSA algorithms: the parameters must be absent or
/// NULL (RFC 5754 §2 lets SHA-2 identifiers carry either; RFC 5758 §3.2 says ECDSA
/// omits them, and NULL is tolerated as Go's crypto/x509 does).
pub(super) fn algorithm_identifier(
    tlv: &Tlv<'_>,
    structure: &'static str,
) -> Result<ObjectIdentifier, TimestampError> {
    if tlv.tag != Tag::Sequence {
        return Err(malformed(
            structure,
            format!("algorithm identifier: expected SEQUENCE, found {}", tlv.tag),
        ));
    }
    let mut r = tlv.contents(structure)?;
    let oid = r.oid("algorithm")?;
    if let Some(params) = r.optional(Tag::Null)? {
        if !params.value.is_empty() {
            return Err(malformed(
                structure,
                "algorithm parameters: NULL is not empty",
            ));
        }
    }
    if !r.is_finished() {
        return Err(malformed(
            structure,
            format!("algorithm {oid} has parameters, expected none"),
        ));
    }
    r.finish()?;
    Ok(oid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_and_rejects_trailing_bytes() {
        // SEQUENCE { INTEGER 1, OID 2.5.29.14 } followed by a stray byte.
        let bytes = [
            0x30, 0x08, 0x02, 0x01, 0x01, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x00,
        ];
        let mut r = Der::new(&bytes, "test").unwrap();
        let seq = r.expect(Tag::Sequence, "seq").unwrap();
        assert!(matches!(
            r.finish(),
            Err(TimestampError::TrailingData { structure: "test" })
        ));
        let mut inner = seq.contents("inner").unwrap();
        assert_eq!(inner.small_int("v").unwrap(), 1);
        assert_eq!(inner.oid("o").unwrap().to_string(), "2.5.29.14");
        assert!(inner.is_finished());
        assert!(matches!(inner.any(), Err(TimestampError::Malformed { .. })));
    }

    #[test]
    fn rejects_non_minimal_lengths_and_wrong_tags() {
        // Long-form length for a 1-byte value is not DER.
        assert!(single(&[0x04, 0x81, 0x01, 0x00], "x").is_err());
        // Indefinite length is BER only.
        assert!(single(&[0x30, 0x80, 0x00, 0x00], "x").is_err());
        let mut r = Der::new(&[0x02, 0x01, 0x01], "x").unwrap();
        assert!(r.expect(Tag::Sequence, "f").is_err());
    }

    #[test]
    fn algorithm_identifier_parameters() {
        // sha256 without parameters, with NULL, and with an INTEGER (rejected).
        let absent = [
            0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        ];
        let null = [
            0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
            0x00,
        ];
        let int = [
            0x30, 0x0e, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x02,
            0x01, 0x00,
        ];
        for ok in [&absent[..], &null[..]] {
            let t = single(ok, "alg").unwrap();
            assert_eq!(
                algorithm_identifier(&t, "alg").unwrap(),
                crate::crypto::OID_SHA256
            );
        }
        let t = single(&int, "alg").unwrap();
        assert!(algorithm_identifier(&t, "alg").is_err());
    }
}
