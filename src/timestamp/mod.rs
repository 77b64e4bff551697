//! RFC 3161 signed timestamps (TimeStampResp / TimeStampToken, CMS SignedData, TSTInfo).

mod error;
pub use error::TimestampError;
