//! Shipshape builds a learner's Dockerfile through the Docker Engine API and judges the image.
//!
//! Data flows one way:
//! 1. [`docker`] and [`image::archive`] collect the facts (async at the edge, streamed);
//! 2. [`checks`] judge those facts with pure, synchronous code that never touches Docker;
//! 3. [`report`] turns the verdicts into one model, rendered as text, JSON or JUnit.
//!
//! [`cli`] wires the three together and owns the exit codes.
pub mod attribution;
pub mod checks;
pub mod cli;
pub mod course;
pub mod docker;
pub mod dockerfile;
pub mod error;
pub mod exercise;
pub mod grade;
pub mod image;
pub mod pipeline;
pub mod progress;
pub mod record;
pub mod report;
pub mod scan;
pub mod spec;
pub mod stop;
pub mod units;
