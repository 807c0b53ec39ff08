//! Shipshape builds a learner's Dockerfile through the Docker Engine API and judges the image.
//!
//! Data flows one way:
//! 1. [`docker`] and [`image::archive`] collect the facts (async at the edge, streamed);
//! 2. [`checks`] judge those facts with pure, synchronous code that never touches Docker;
//! 3. [`report`] turns the verdicts into one model, rendered as text, JSON or JUnit.
//!
//! [`cli`] wires the three together and owns the exit codes.

// The library is the binary's internals, so its docs are read with `cargo doc
// --document-private-items`. Public: `cli::main` (the binary), `scan::db` (checker/tests/db.rs),
// and for the book builder `hints` and `report` (the report model it reads back from JSON).
#![allow(rustdoc::private_intra_doc_links)]
pub(crate) mod attribution;
pub(crate) mod checks;
pub mod cli;
pub(crate) mod course;
pub(crate) mod docker;
pub(crate) mod dockerfile;
pub(crate) mod error;
pub(crate) mod exercise;
pub(crate) mod grade;
pub mod hints;
pub(crate) mod image;
pub(crate) mod pipeline;
pub(crate) mod progress;
pub(crate) mod record;
pub mod report;
pub mod scan;
pub(crate) mod spec;
pub(crate) mod stop;
pub(crate) mod units;
