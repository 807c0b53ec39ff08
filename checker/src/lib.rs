//! Shipshape builds a learner's Dockerfile through the Docker Engine API and judges the image.
//!
//! Data flows one way:
//! 1. [`docker`] and [`image::archive`] collect the facts (async at the edge, streamed);
//! 2. [`checks`] judge those facts with pure, synchronous code that never touches Docker;
//! 3. [`report`] turns the verdicts into one model, rendered as text, JSON or JUnit.
//!
//! [`cli`] wires the three together and owns the exit codes.
//!
//! The library is mostly the binary's internals. What is public is what other crates link:
//! - [`cli::main`], for the binary;
//! - [`scan::db`] (with `scan::ecosystem::Ecosystem`), tested in checker/tests/db.rs;
//! - the course format the book builder (`shipshape-book`) shares with the checker, so the two
//!   never read an exercise differently: [`course_format`] (an exercise's spec, typed and
//!   validated, with each required check in its own words), [`hints`] (`hints.md`) and
//!   [`markdown`] (the code spans and fences both write), and [`report`], the report model the
//!   book's measurements read back from `shipshape check --format json`.
//! - [`support`], the support windows of base images, which the book's chapter on bases prints,
//!   and [`clock`], the one "today" both judge dates by.
//!
//! Everything else is `pub(crate)`, kept so by the `unreachable_pub` lint.

// The internals' docs are read with `cargo doc --document-private-items`.
#![allow(rustdoc::private_intra_doc_links)]
pub(crate) mod attribution;
pub(crate) mod checks;
pub mod cli;
pub mod clock;
pub(crate) mod course;
pub mod course_format;
pub(crate) mod docker;
pub(crate) mod dockerfile;
pub(crate) mod error;
pub(crate) mod escape;
pub(crate) mod exercise;
pub(crate) mod grade;
pub mod hints;
pub(crate) mod image;
pub mod markdown;
pub(crate) mod pipeline;
pub(crate) mod progress;
pub(crate) mod recommend;
pub(crate) mod record;
pub(crate) mod registry;
pub mod report;
pub(crate) mod sbom;
pub mod scan;
pub(crate) mod spec;
pub(crate) mod status_line;
pub(crate) mod stop;
pub mod support;
pub(crate) mod units;
