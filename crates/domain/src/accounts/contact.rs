//! Contacts: email addresses and phone numbers, validated and normalised.

use crate::privacy::masking::{mask_email, mask_phone};
use crate::{Error, Result};

/// Which kind of contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactKind {
    /// An email address.
    Email,
    /// A mobile phone number (E.164).
    Phone,
}

impl ContactKind {
    /// The name used in URLs and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Email => "email",
            ContactKind::Phone => "phone",
        }
    }

    /// Parses the storage/URL name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "email" => Ok(ContactKind::Email),
            "phone" => Ok(ContactKind::Phone),
            _ => Err(Error::invalid("kind", "must be 'email' or 'phone'")),
        }
    }
}

/// A validated, normalised contact address. Its `Debug` output is masked so
/// it can never leak into logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Address {
    kind: ContactKind,
    value: String,
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Address({:?}, {})", self.kind, self.masked())
    }
}

impl Address {
    /// Validates an email address: one `@`, a non-empty local part, a dotted
    /// domain, at most 254 characters. Stored lowercase.
    pub fn email(raw: &str) -> Result<Self> {
        let s = raw.trim().to_lowercase();
        let bad = || Error::invalid("email", "is not a valid email address");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return Err(bad());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(bad());
        }
        Ok(Address {
            kind: ContactKind::Email,
            value: s,
        })
    }

    /// Validates a phone number in international form: `+` then 8–15
    /// digits; spaces, dashes, dots and parentheses are ignored.
    pub fn phone(raw: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "phone",
                "must be in international form, e.g. +44 7700 900123",
            )
        };
        let trimmed = raw.trim();
        let rest = trimmed.strip_prefix('+').ok_or_else(bad)?;
        let mut digits = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(bad()),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(bad());
        }
        Ok(Address {
            kind: ContactKind::Phone,
            value: format!("+{digits}"),
        })
    }

    /// Parses `raw` as the given kind.
    pub fn parse(kind: ContactKind, raw: &str) -> Result<Self> {
        match kind {
            ContactKind::Email => Address::email(raw),
            ContactKind::Phone => Address::phone(raw),
        }
    }

    /// Guesses the kind from the text: `+` or digits mean phone.
    pub fn parse_any(raw: &str) -> Result<Self> {
        if raw.contains('@') {
            Address::email(raw)
        } else {
            Address::phone(raw)
        }
    }

    /// Rebuilds an address read back from storage (already normalised).
    pub fn from_stored(kind: ContactKind, value: String) -> Self {
        Address { kind, value }
    }

    /// Email or phone.
    pub fn kind(&self) -> ContactKind {
        self.kind
    }

    /// The full normalised value: only for storage and delivery, never logs.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The masked form for display and logs (promise F4).
    pub fn masked(&self) -> String {
        match self.kind {
            ContactKind::Email => mask_email(&self.value),
            ContactKind::Phone => mask_phone(&self.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_validated_and_lowercased() {
        assert_eq!(
            Address::email(" Jane@Example.COM ").unwrap().expose(),
            "jane@example.com"
        );
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "a@b",
            "a b@c.de",
            "a@-x.com",
        ] {
            assert!(Address::email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_need_international_form() {
        assert_eq!(
            Address::phone("+86 138-1234-5678").unwrap().expose(),
            "+8613812345678"
        );
        for bad in ["13812345678", "+12", "+0123456789", "+86abc12345678"] {
            assert!(Address::phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_output_is_masked() {
        let a = Address::email("jane@example.com").unwrap();
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("jane@"), "{dbg}");
        assert!(dbg.contains("j***@example.com"));
    }
}
