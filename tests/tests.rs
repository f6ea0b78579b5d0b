//! Integration tests, compiled as one binary.

mod analysis;
mod stats;
