//! Importing manufactured devices from a CSV file (B1).
//!
//! All or nothing: every bad line is reported with its number and reason,
//! and nothing is stored unless every line is good. Codes and secrets are
//! stored only as keyed hashes.

use std::collections::HashMap;

use super::serial::{DeviceSecret, SerialNumber, VerificationCode};
use super::Cameras;
use crate::ports::NewDevice;
use crate::{Error, Result};

/// The columns an import file must have (any order, header row first).
pub const COLUMNS: [&str; 4] = ["serial", "model", "verification_code", "device_secret"];

/// Largest accepted import, in lines (a production batch).
pub const MAX_ROWS: usize = 100_000;

/// One good line of an import file.
#[derive(Debug)]
pub struct ImportRow {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    /// The device's serial number.
    pub serial: SerialNumber,
    /// Model name, 1 to 64 characters.
    pub model: String,
    /// The code printed on the label.
    pub code: VerificationCode,
    /// The secret the device signs in with.
    pub secret: DeviceSecret,
}

/// Reads an import file: its good lines, and a "line N: why" for every bad
/// one (a missing column, an unreadable record, a bad field, a repeated
/// serial, more than [`MAX_ROWS`] lines). Knows nothing of what is stored.
pub fn parse_import(csv_text: &[u8]) -> (Vec<ImportRow>, Vec<String>) {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(csv_text);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return (rows, vec![format!("line 1: {e}")]),
    };
    let mut index = HashMap::new();
    for col in COLUMNS {
        match headers.iter().position(|h| h.eq_ignore_ascii_case(col)) {
            Some(i) => {
                index.insert(col, i);
            }
            None => errors.push(format!("line 1: missing column {col}")),
        }
    }
    if !errors.is_empty() {
        return (rows, errors);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if n >= MAX_ROWS {
            errors.push(format!(
                "line {line}: more than {MAX_ROWS} devices in one file"
            ));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        // Every column was found in the header above.
        let field = |col: &str| index.get(col).and_then(|&i| record.get(i)).unwrap_or("");
        let parsed = (|| -> Result<ImportRow> {
            let serial = SerialNumber::parse(field("serial"))?;
            let model = field("model");
            if model.is_empty() || model.chars().count() > 64 {
                return Err(Error::invalid("model", "must be 1 to 64 characters"));
            }
            Ok(ImportRow {
                line,
                code: VerificationCode::parse(field("verification_code"))?,
                secret: DeviceSecret::parse(field("device_secret"))?,
                model: model.to_string(),
                serial,
            })
        })();
        match parsed {
            Ok(row) => {
                if let Some(first) = seen.insert(row.serial.as_str().to_string(), line) {
                    errors.push(format!(
                        "line {line}: serial {} already appears on line {first}",
                        row.serial.as_str()
                    ));
                }
                rows.push(row);
            }
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    (rows, errors)
}

impl Cameras {
    /// Imports devices; returns how many were stored.
    pub async fn provision(&self, csv_text: &[u8], update: bool) -> Result<u64> {
        let (rows, mut errors) = parse_import(csv_text);
        if errors.iter().any(|e| e.starts_with("line 1:")) {
            return Err(Error::ImportRejected(errors));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let devices: Vec<(usize, NewDevice)> = rows
            .into_iter()
            .map(|r| {
                seen.entry(r.serial.as_str().to_string()).or_insert(r.line);
                let device = NewDevice {
                    code_hash: self.keyed("code", r.serial.as_str(), r.code.expose()),
                    secret_hash: self.keyed("secret", r.serial.as_str(), r.secret.expose()),
                    serial: r.serial.as_str().to_string(),
                    model: r.model,
                };
                (r.line, device)
            })
            .collect();
        if devices.is_empty() && errors.is_empty() {
            errors.push("the file lists no devices".to_string());
        }
        if !update && errors.is_empty() {
            let serials: Vec<String> = devices.iter().map(|(_, d)| d.serial.clone()).collect();
            for existing in self.store.existing_serials(&serials).await? {
                let line = seen.get(&existing).copied().unwrap_or(0);
                errors.push(format!(
                    "line {line}: serial {existing} is already provisioned (import with update to replace it)"
                ));
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| {
                e.trim_start_matches("line ")
                    .split(':')
                    .next()
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0)
            });
            return Err(Error::ImportRejected(errors));
        }
        let devices: Vec<NewDevice> = devices.into_iter().map(|(_, d)| d).collect();
        let n = self
            .store
            .provision(&devices, update, self.clock.now())
            .await?;
        tracing::info!(devices = n, update, "devices provisioned");
        Ok(n)
    }
}
