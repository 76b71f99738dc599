//! Money: exact decimal amounts in an ISO 4217 currency.

use crate::ValidationError;
use std::fmt;

/// Amounts are stored as integers of 1/10,000 of the currency unit, so sums
/// are exact and every real currency (up to 4 minor digits) fits.
pub const AMOUNT_SCALE: i64 = 10_000;
/// The number of decimals an amount may carry.
pub const AMOUNT_DECIMALS: usize = 4;
/// The largest absolute amount accepted (in currency units).
pub const AMOUNT_MAX_UNITS: i64 = 100_000_000_000; // 10^11

/// The active ISO 4217 currency codes.
const CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE",
    "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
    "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
    "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
    "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV",
    "WST", "XAF", "XAG", "XAU", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XUA",
    "YER", "ZAR", "ZMW", "ZWG",
];

/// An ISO 4217 currency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Validates an ISO 4217 code (upper case, e.g. `EUR`).
    pub fn parse(field: &str, code: &str) -> Result<Self, ValidationError> {
        match CURRENCIES.binary_search(&code) {
            Ok(_) => {
                let bytes = code.as_bytes();
                Ok(Self([bytes[0], bytes[1], bytes[2]]))
            }
            Err(_) => Err(ValidationError::new(
                field,
                "must be an ISO 4217 currency code such as EUR",
            )),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Always three ASCII letters from the list above.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exact amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// The amount in 1/10,000 units.
    pub scaled: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Validates a decimal amount (`79.90`, `-5`, at most 4 decimals) and a currency.
    pub fn parse(amount: &str, currency: &str) -> Result<Self, ValidationError> {
        let currency = Currency::parse("value.currency", currency)?;
        let scaled = parse_scaled(amount).ok_or_else(|| {
            ValidationError::new(
                "value.amount",
                "must be a decimal number with at most 4 decimals, such as 79.90",
            )
        })?;
        if scaled.unsigned_abs() > (AMOUNT_MAX_UNITS * AMOUNT_SCALE) as u64 {
            return Err(ValidationError::new("value.amount", "is too large"));
        }
        Ok(Self { scaled, currency })
    }

    /// The amount as a decimal string without trailing zeros (`79.9`).
    pub fn amount_text(&self) -> String {
        format_scaled(self.scaled)
    }
}

/// Parses `-?digits(.digits)?` with at most 4 decimals into 1/10,000 units.
fn parse_scaled(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || whole.len() > 15 || fraction.len() > AMOUNT_DECIMALS {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.ends_with('.') {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let mut fraction_value: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    for _ in fraction.len()..AMOUNT_DECIMALS {
        fraction_value *= 10;
    }
    let scaled = whole
        .checked_mul(AMOUNT_SCALE)?
        .checked_add(fraction_value)?;
    Some(if negative { -scaled } else { scaled })
}

/// Formats 1/10,000 units as a decimal string without trailing zeros.
pub fn format_scaled(scaled: i64) -> String {
    let sign = if scaled < 0 { "-" } else { "" };
    let abs = scaled.unsigned_abs();
    let whole = abs / AMOUNT_SCALE as u64;
    let fraction = abs % AMOUNT_SCALE as u64;
    if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        let fraction = format!("{fraction:04}");
        format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_list_is_sorted_for_binary_search() {
        assert!(CURRENCIES.windows(2).all(|w| w[0] < w[1]));
        assert!(Currency::parse("c", "EUR").is_ok());
        assert!(Currency::parse("c", "eur").is_err());
        assert!(Currency::parse("c", "XYZ").is_err());
    }

    #[test]
    fn amounts_are_exact() {
        assert_eq!(Money::parse("79.90", "EUR").unwrap().scaled, 799_000);
        assert_eq!(Money::parse("-5", "EUR").unwrap().scaled, -50_000);
        assert_eq!(Money::parse("0.0001", "BHD").unwrap().scaled, 1);
        for bad in [
            "", "1.", ".5", "1.23456", "1e3", "NaN", "Infinity", "--1", "1,5", " 1",
        ] {
            assert!(Money::parse(bad, "EUR").is_err(), "{bad}");
        }
        assert!(Money::parse("999999999999999", "EUR").is_err());
        assert_eq!(format_scaled(2_298_900), "229.89");
        assert_eq!(format_scaled(-50_000), "-5");
        assert_eq!(format_scaled(155_000), "15.5");
    }
}
