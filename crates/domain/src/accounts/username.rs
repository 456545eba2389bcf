//! Usernames: validated once at the edge, stored lowercase.

use crate::{Error, Result};

/// A valid username: 3–32 characters of `a-z`, `0-9`, `_`, `.`, `-`,
/// starting with a letter or digit. Case-insensitive, kept lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Validates and normalises `raw`.
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim().to_ascii_lowercase();
        if !(3..=32).contains(&s.chars().count()) {
            return Err(Error::invalid("username", "must be 3 to 32 characters"));
        }
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c);
        if !s.chars().all(ok_char) {
            return Err(Error::invalid(
                "username",
                "may only contain letters, digits, '_', '.' and '-'",
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "username",
                "must start with a letter or digit",
            ));
        }
        Ok(Username(s))
    }

    /// The normalised username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse(" Alice_1 ").unwrap().as_str(), "alice_1");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("has space").is_err());
        assert!(Username::parse("_leading").is_err());
        assert!(Username::parse(&"x".repeat(33)).is_err());
    }
}
