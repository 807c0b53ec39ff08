//! `shipshape recommend`: which of the base images this room has suits an image best, like
//! `docker scout recommendations`, offline.
//!
//! Data flows one way. `cli/recommend.rs`, the async edge, finds the image's base (the final
//! `FROM` of an exercise's Dockerfile, or the candidate whose layers begin the image's) and reads
//! and scans every candidate (the image map's targets, and a configured registry's images this
//! machine has) through the pipeline, into plain [`facts::BaseFacts`]. [`rank::recommend`] orders
//! them with pure code and says why and what the learner would change; [`render`] prints the
//! result as text or JSON.
//!
//! What must hold: the ranking sees facts only (never Docker), so the same facts give the same
//! recommendation; a candidate that lacks a runtime the current base has ranks after every one
//! that has it, and one past its end of life after every supported one that fits as well.
pub(crate) mod facts;
pub(crate) mod rank;
pub(crate) mod render;
