//! Fuzzes the device import file reader (`domain::cameras::provision`).
//!
//! Any bytes are an import file: every line is either a good row or one
//! error naming its line, the header's problems are line 1, and a good
//! row's fields satisfy their own parsers again. A panic is a bug.
#![no_main]

use domain::cameras::provision::{parse_import, MAX_ROWS};
use domain::cameras::serial::SerialNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (rows, errors) = parse_import(data);
    assert!(rows.len() <= MAX_ROWS);
    for e in &errors {
        assert!(e.starts_with("line "), "{e}");
    }
    for r in &rows {
        assert!(r.line >= 2);
        assert!(!r.model.is_empty() && r.model.chars().count() <= 64);
        assert_eq!(
            SerialNumber::parse(r.serial.as_str())
                .map(|s| s.as_str().to_string())
                .ok(),
            Some(r.serial.as_str().to_string())
        );
    }
});
