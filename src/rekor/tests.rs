//! Corpus tests.
