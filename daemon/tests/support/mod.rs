//! Shared by the daemon's integration tests. Each test binary uses a part of it.
#![allow(dead_code)]

pub mod daemon;
pub mod desk;
pub mod rig;
