//! Cursor and global-id decoding: whatever a client sends as `after`,
//! `before` or `id` must decode cleanly or be refused, never panic.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        // The payload of a cursor, so the fuzzer explores what decodes.
        Some((0, rest)) => journeyd_api::fuzzing::cursors(&URL_SAFE_NO_PAD.encode(rest)),
        _ => journeyd_api::fuzzing::cursors(&String::from_utf8_lossy(data)),
    }
});
