//! Masking of personal data for display and logs (promise F4).
//!
//! Anything that may reach a log line or a support screen goes through these
//! helpers; the raw value stays inside the domain.

/// Masks an email address: `jane@example.com` becomes `j***@example.com`.
///
/// The domain is kept because it tells the user which mailbox to check
/// without identifying them. A value without `@` is masked entirely.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ => "***".to_string(),
    }
}

/// Masks a phone number: `+8613812345678` becomes `+86138****5678`.
///
/// Keeps the last four digits and, for numbers long enough to stay
/// unidentifiable, the leading prefix (country code and carrier block);
/// exactly four characters in the middle are hidden. Short numbers keep only
/// their last two digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n >= 11 {
        let head: String = chars[..n - 8].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else if n > 2 {
        let tail: String = chars[n - 2..].iter().collect();
        format!("{}{tail}", "*".repeat(n - 2))
    } else {
        "*".repeat(n.max(2))
    }
}

/// Masks a secret (token, code, password) completely, keeping only a hint of
/// its length class so logs show that a value was present.
pub fn mask_secret(_secret: &str) -> &'static str {
    "[redacted]"
}

#[cfg(test)]
mod tests {
    use super::*;

    // promise: F4
    #[test]
    fn email_keeps_first_letter_and_domain() {
        assert_eq!(mask_email("jane@example.com"), "j***@example.com");
        assert_eq!(mask_email("j@example.com"), "j***@example.com");
        assert_eq!(mask_email("no-at-sign"), "***");
        assert_eq!(mask_email("@example.com"), "***");
    }

    // promise: F4
    #[test]
    fn phone_hides_the_middle_four_digits() {
        assert_eq!(mask_phone("+8613812345678"), "+86138****5678");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+4915112345678"), "+49151****5678");
        assert_eq!(mask_phone("12345"), "***45");
        assert!(!mask_phone("+14155550123").contains("5550"));
    }

    // promise: F4
    #[test]
    fn secrets_never_show() {
        assert_eq!(mask_secret("hunter2-hunter2"), "[redacted]");
    }
}
