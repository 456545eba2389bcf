//! Device identifiers and credentials, validated once at the edge.

use crate::{Error, Result};

/// A device serial number: 4–32 of `A-Z`, `0-9` and `-`, stored uppercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SerialNumber(String);

impl SerialNumber {
    /// Validates and normalises `raw`.
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim().to_ascii_uppercase();
        let ok = (4..=32).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && s.starts_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            return Err(Error::invalid(
                "serial",
                "must be 4 to 32 letters, digits or '-'",
            ));
        }
        Ok(SerialNumber(s))
    }

    /// The normalised serial.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The verification code printed on the label: 4–16 letters or digits,
/// compared case-insensitively (people misread case on labels).
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationCode(String);

impl std::fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerificationCode([redacted])")
    }
}

impl VerificationCode {
    /// Validates and normalises `raw` (spaces and dashes ignored).
    pub fn parse(raw: &str) -> Result<Self> {
        let s: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect::<String>()
            .to_ascii_uppercase();
        if !(4..=16).contains(&s.len()) || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "verification_code",
                "must be 4 to 16 letters or digits",
            ));
        }
        Ok(VerificationCode(s))
    }

    /// The normalised code, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The factory credential a device signs in with: 16–128 printable ASCII.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceSecret(String);

impl std::fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceSecret([redacted])")
    }
}

impl DeviceSecret {
    /// Validates `raw`.
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        if !(16..=128).contains(&s.len()) || !s.chars().all(|c| c.is_ascii_graphic()) {
            return Err(Error::invalid(
                "device_secret",
                "must be 16 to 128 printable characters",
            ));
        }
        Ok(DeviceSecret(s.to_string()))
    }

    /// The secret, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_codes_and_secrets_are_checked() {
        assert_eq!(
            SerialNumber::parse(" cv-1234 ").unwrap().as_str(),
            "CV-1234"
        );
        assert!(SerialNumber::parse("ab").is_err());
        assert!(SerialNumber::parse("-ABCD").is_err());
        assert!(SerialNumber::parse("AB CD").is_err());
        assert_eq!(
            VerificationCode::parse("ab12-cd").unwrap().expose(),
            "AB12CD"
        );
        assert!(VerificationCode::parse("a!").is_err());
        assert!(DeviceSecret::parse("short").is_err());
        assert!(DeviceSecret::parse("0123456789abcdef").is_ok());
        assert!(
            !format!("{:?}", DeviceSecret::parse("0123456789abcdef").unwrap()).contains("0123")
        );
    }
}
