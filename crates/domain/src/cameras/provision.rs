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

impl Cameras {
    /// Imports devices; returns how many were stored.
    pub async fn provision(&self, csv_text: &[u8], update: bool) -> Result<u64> {
        let mut errors = Vec::new();
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(csv_text);
        let headers = reader
            .headers()
            .map_err(|e| Error::ImportRejected(vec![format!("line 1: {e}")]))?
            .clone();
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
            return Err(Error::ImportRejected(errors));
        }
        let mut devices: Vec<(usize, NewDevice)> = Vec::new();
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
            let field = |col: &str| record.get(index[col]).unwrap_or("");
            let parsed = (|| -> Result<NewDevice> {
                let serial = SerialNumber::parse(field("serial"))?;
                let model = field("model");
                if model.is_empty() || model.chars().count() > 64 {
                    return Err(Error::invalid("model", "must be 1 to 64 characters"));
                }
                let code = VerificationCode::parse(field("verification_code"))?;
                let secret = DeviceSecret::parse(field("device_secret"))?;
                Ok(NewDevice {
                    code_hash: self.keyed("code", serial.as_str(), code.expose()),
                    secret_hash: self.keyed("secret", serial.as_str(), secret.expose()),
                    serial: serial.as_str().to_string(),
                    model: model.to_string(),
                })
            })();
            match parsed {
                Ok(d) => {
                    if let Some(first) = seen.insert(d.serial.clone(), line) {
                        errors.push(format!(
                            "line {line}: serial {} already appears on line {first}",
                            d.serial
                        ));
                    }
                    devices.push((line, d));
                }
                Err(e) => errors.push(format!("line {line}: {e}")),
            }
        }
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
