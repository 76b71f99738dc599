//! The checks every GraphQL document passes before it runs (nesting,
//! parsing, aliases, directives, expanded size and depth).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        journeyd_api::fuzzing::document(text);
    }
});
