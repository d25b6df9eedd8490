//! Shared by the daemon's integration tests. Each test binary uses a part of it.
#![allow(dead_code)]

pub(crate) mod clients;
pub(crate) mod daemon;
pub(crate) mod desk;
pub(crate) mod harness;
pub(crate) mod rig;
pub(crate) mod world;
