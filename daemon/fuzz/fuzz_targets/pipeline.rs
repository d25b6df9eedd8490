#![no_main]
//! cargo fuzz run pipeline — see docs/guarantees.md.

use libfuzzer_sys::fuzz_target;

#[path = "../pipeline.rs"]
mod pipeline;

fuzz_target!(
    init: {
        // libfuzzer-sys aborts on any panic, even one caught inside: loketd catches
        // mail-parser's panics (they become a quarantine reason), so only a panic that
        // escapes the pipeline — caught by libfuzzer-sys and reported — is a finding.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| pipeline::run(data)
);
