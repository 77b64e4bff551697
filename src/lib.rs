//! # rulepack-verify
//!
//! A from-scratch verifier for Sigstore-signed OCI artifacts (rule packs). The core
//! (`bundle`, `trust_root`, `x509`, `rekor`, `timestamp`, `policy`, `verify`) performs no
//! I/O and takes the current time as a parameter; only `oci` (its HTTP client) and `tuf`
//! touch the network, behind the default `online` feature.
//!
//! Every parser returns `Result`, rejects trailing bytes, and checks the sizes in
//! [`limits`] before allocating.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![deny(missing_docs)]

pub mod bundle;
pub mod config;
pub mod crypto;
pub mod encoding;
mod error;
pub mod limits;
pub mod oci;
pub mod output;
pub mod pack;
pub mod policy;
pub mod rekor;
pub mod signature;
pub mod time;
pub mod timestamp;
pub mod trust_root;
pub mod tuf;
pub mod verify;
pub mod x509;

#[cfg(test)]
mod testutil;

pub use error::Error;
