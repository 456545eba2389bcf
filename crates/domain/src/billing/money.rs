//! Prices: an ISO 4217 currency and an amount in its minor unit (cents),
//! so no price is ever a float.

use iso_currency::Currency;

use crate::{Error, Result};

/// A validated, active ISO 4217 currency code.
pub fn currency(code: &str) -> Result<&'static str> {
    let bad = || Error::invalid("currency", "an active ISO 4217 code such as EUR or USD");
    let c = Currency::from_code(code.trim()).ok_or_else(bad)?;
    // Funds, special units (gold, SDR…) and superseded codes are no money
    // anyone pays a plan in.
    if c.is_fund() || c.is_special() || c.is_superseded().is_some() || c.exponent().is_none() {
        return Err(bad());
    }
    Ok(c.code())
}

fn exponent(code: &str) -> u32 {
    Currency::from_code(code)
        .and_then(|c| c.exponent())
        .map_or(2, u32::from)
}

/// Parses a price such as `4.99` into minor units of `currency` (499),
/// refusing more decimals than the currency has, negatives and absurd sums.
pub fn parse_price(text: &str, currency: &str) -> Result<i64> {
    let bad = |why: &str| Error::invalid("price", why.to_string());
    let text = text.trim();
    let digits = exponent(currency);
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("a positive amount such as 4.99"));
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > digits as usize {
        return Err(bad(&format!("{currency} has {digits} decimal places")));
    }
    if text.contains('.') && frac.is_empty() {
        return Err(bad("a positive amount such as 4.99"));
    }
    let scale = 10i64.pow(digits);
    let whole: i64 = whole
        .parse()
        .ok()
        .filter(|w: &i64| *w <= 10_000_000)
        .ok_or_else(|| bad("at most 10,000,000"))?;
    let frac: i64 = format!("{frac:0<width$}", width = digits as usize)
        .parse()
        .unwrap_or(0);
    Ok(whole * scale + frac)
}

/// Shows minor units as the currency writes them: `4.99 EUR`, `500 JPY`.
pub fn format_price(minor: i64, currency: &str) -> String {
    let digits = exponent(currency);
    if digits == 0 {
        return format!("{minor} {currency}");
    }
    let scale = 10i64.pow(digits);
    format!(
        "{}.{:0width$} {currency}",
        minor / scale,
        minor % scale,
        width = digits as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_exact_in_the_currency_s_minor_unit() {
        assert_eq!(currency(" eur").ok(), None, "codes are upper case");
        assert_eq!(currency("EUR").unwrap(), "EUR");
        for bad in ["EURO", "XAU", "XXX", "", "US"] {
            assert!(currency(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_price("4.99", "EUR").unwrap(), 499);
        assert_eq!(parse_price("4.9", "EUR").unwrap(), 490);
        assert_eq!(parse_price("12", "EUR").unwrap(), 1200);
        assert_eq!(parse_price("500", "JPY").unwrap(), 500);
        assert_eq!(parse_price("1.250", "BHD").unwrap(), 1250);
        for bad in ["4.999", "-1", "1e3", "4.", ".5", "", "4,99", "99999999999"] {
            assert!(parse_price(bad, "EUR").is_err(), "{bad}");
        }
        assert!(parse_price("5.5", "JPY").is_err());
        assert_eq!(format_price(499, "EUR"), "4.99 EUR");
        assert_eq!(format_price(500, "JPY"), "500 JPY");
        assert_eq!(format_price(5, "USD"), "0.05 USD");
    }
}
