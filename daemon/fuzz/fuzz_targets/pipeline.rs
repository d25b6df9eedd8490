#![no_main]
//! cargo fuzz run pipeline — see docs/guarantees.md.

use libfuzzer_sys::fuzz_target;

#[path = "../pipeline.rs"]
mod pipeline;

fuzz_target!(|data: &[u8]| pipeline::run(data));
