//! OCI registries and image layouts: references, manifests, referrers, blobs.

mod error;
pub use error::RegistryError;
