//! Fuzzes the encrypted-blob reader (`crypto::blob`).
//!
//! Two ways. Raw: the input is a stored blob; the header is parsed, the
//! whole blob opened (both readers), and a range chosen by the input's last
//! bytes opened from the span the header names. Tamper (first byte 0xFF):
//! the rest is sealed, one byte of the sealed blob is changed at a position
//! and by a value the input chooses, and opening must fail — or, with no
//! change, give the plaintext back. Errors are fine; a panic, or a changed
//! blob that opens, is a bug.
#![no_main]

use crypto::blob::{open_blob, open_blob_owned, seal_blob, Header};
use libfuzzer_sys::fuzz_target;

const KEK: [u8; 32] = [7; 32];

fn raw(data: &[u8]) {
    let whole = open_blob(&KEK, data);
    let owned = open_blob_owned(&KEK, data.to_vec());
    assert_eq!(whole.is_ok(), owned.is_ok());
    let Ok(header) = Header::parse(data) else {
        return;
    };
    let _ = header.stored_len();
    let n = header.plaintext_len;
    let (a, b) = match data.len() {
        l if l >= 4 => (
            u64::from(u16::from_le_bytes([data[l - 4], data[l - 3]])),
            u64::from(u16::from_le_bytes([data[l - 2], data[l - 1]])),
        ),
        _ => (0, n),
    };
    let (start, end) = (a.min(b).min(n), a.max(b).min(n));
    if let Ok((from, to, _)) = header.span(start, end) {
        let (from, to) = (from as usize, (to as usize).min(data.len()));
        if from <= to {
            let _ = header.open_range(&KEK, start, end, &data[from..to]);
        }
    }
}

fn tamper(data: &[u8]) {
    let [at_hi, at_lo, xor, log2, plain @ ..] = data else {
        return;
    };
    let chunk_log2 = 4 + log2 % 5; // 16 B to 256 B chunks: many chunks per input
    let mut blob = seal_blob(&KEK, "fuzz-key", chunk_log2, plain).expect("sealing works");
    let at = usize::from(u16::from_be_bytes([*at_hi, *at_lo])) % blob.len();
    blob[at] ^= xor;
    match open_blob(&KEK, &blob) {
        Ok(back) => {
            assert_eq!(*xor, 0, "a blob changed at byte {at} opened");
            assert_eq!(back, plain);
        }
        Err(_) => assert_ne!(*xor, 0, "an untouched blob did not open"),
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((0xFF, rest)) => tamper(rest),
        _ => raw(data),
    }
});
