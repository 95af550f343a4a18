//! Exact money: parsing user-written amounts into a fixed-point decimal.
//!
//! Contract: an amount is a whole number of nano-units (10⁻⁹) in an `i128`.
//! Every accepted spelling of the same value yields the same [`Amount`], so
//! `1200`, `"1200.00"`, `1.2e3` and `"1,200.00"` are one amount; sums are exact
//! integer additions that are checked for overflow; nothing passes through a
//! binary float.
//!
//! Why not `rust_decimal`: its addition silently rounds when a result does not
//! fit the mantissa at the current scale. A fixed scale makes every sum
//! exact up to ±1.7·10²⁹ units, and overflow is an error, never a rounding.
//!
//! Refused, with a reason: empty text, NaN, Infinity, hex, ambiguous
//! separators (`1.200,50`, `1,5`, and `1,200`, which is 1.2 with a decimal
//! comma), badly grouped thousands (`12,34`), more than
//! [`MAX_SCALE`] significant decimal places, and magnitudes above
//! [`MAX_UNITS`].

use std::fmt;

/// Decimal places kept exactly. Nine covers every currency and most crypto
/// units while leaving an `i128` room for sums of billions of events.
pub const MAX_SCALE: u32 = 9;

/// The largest magnitude of a single amount, in whole units (10¹⁸).
pub const MAX_UNITS: i128 = 1_000_000_000_000_000_000;

const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// An exact decimal amount, stored as nano-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i128);

impl Amount {
    /// Zero, the identity of sums.
    pub const ZERO: Amount = Amount(0);

    /// The amount as a whole number of nano-units.
    pub fn nanos(self) -> i128 {
        self.0
    }

    /// Builds an amount from nano-units.
    pub fn from_nanos(nanos: i128) -> Amount {
        Amount(nanos)
    }

    /// An amount read back from storage: `None` beyond [`MAX_UNITS`], which
    /// no parsed amount exceeds.
    pub fn from_stored_nanos(nanos: i128) -> Option<Amount> {
        (nanos.unsigned_abs() <= (MAX_UNITS * NANOS_PER_UNIT) as u128).then_some(Amount(nanos))
    }

    /// Exact sum, or `None` if it would not fit.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// The mean of `count` amounts summing to `self`, rounded half away
    /// from zero at [`MAX_SCALE`] places (the one derived figure that cannot
    /// be exact), as every rounded figure Tally shows is.
    pub fn mean(self, count: u64) -> Option<Amount> {
        self.mean_at(count, MAX_SCALE)
    }

    /// The mean of `count` amounts summing to `self`, rounded half away from
    /// zero at `places` decimals (at most [`MAX_SCALE`]) in one step: a mean
    /// rounded to nine decimals and then to two can differ from the mean
    /// rounded to two (0.014999999 over three is 0.004999999666…: 0.005 at
    /// nine places, then 0.01; it is 0.00).
    pub fn mean_at(self, count: u64, places: u32) -> Option<Amount> {
        if count == 0 {
            return None;
        }
        let step = 10u128.pow(MAX_SCALE - places.min(MAX_SCALE));
        // count × step is below 2^64 × 10^9, and a remainder below it
        // doubled stays far from u128's end.
        let n = u128::from(count) * step;
        let magnitude = self.0.unsigned_abs();
        let (q, r) = (magnitude / n, magnitude % n);
        let q = if 2 * r >= n { q + 1 } else { q };
        // At most |self| / count + 1 in steps: within i128, as `self` is.
        let nanos = i128::try_from(q * step).ok()?;
        Some(Amount(if self.0 < 0 { -nanos } else { nanos }))
    }

    /// Parses the exact text of a JSON number.
    pub fn from_json_number(text: &str) -> Result<Amount, AmountError> {
        parse_plain(text.trim(), false)
    }

    /// Parses a numeric string as people write it: optional sign, optional
    /// thousands separators (`,` or `_`, in valid groups of three), an
    /// optional decimal point and exponent, surrounding spaces ignored.
    pub fn from_text(text: &str) -> Result<Amount, AmountError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(AmountError::Empty);
        }
        // Most amounts are digits with a sign or a point, which every check
        // below lets through unchanged: read them without the copies.
        if t.bytes().all(|b| b.is_ascii_digit() || b"+-.".contains(&b)) {
            return parse_plain(t, true);
        }
        let lower = t.to_ascii_lowercase();
        let unsigned = lower.trim_start_matches(['+', '-']);
        if unsigned.starts_with("nan") {
            return Err(AmountError::NotANumber);
        }
        if unsigned.starts_with("inf") {
            return Err(AmountError::Infinite);
        }
        if unsigned.starts_with("0x") {
            return Err(AmountError::Hex);
        }
        // Only a character outside a number's can be a currency: most
        // amounts skip the search (a tenth of an amount's reading).
        let plain = |b: u8| b.is_ascii_digit() || b".,_+-eE ".contains(&b);
        let found = if t.bytes().all(plain) {
            None
        } else {
            currency(t)
        };
        if let Some((currency, number)) = found {
            return Err(AmountError::Currency {
                currency: currency.to_string(),
                number: number.to_string(),
            });
        }
        // Spaces between the parts of a number, not beside a word (`10 pcs`
        // is malformed, not spaced).
        let spaced = |c: char| c.is_whitespace() || c.is_ascii() && plain(c as u8);
        if t.contains(char::is_whitespace) && t.chars().all(spaced) {
            let joined: String = t.split(char::is_whitespace).collect();
            // Suggested only for spaces that group thousands (`1 234.5`):
            // `1 5` may be two numbers, not 15 (an outside review).
            let mut parts = t.split(char::is_whitespace).filter(|p| !p.is_empty());
            let first = parts
                .next()
                .unwrap_or_default()
                .trim_start_matches(['+', '-']);
            let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
            let grouped = (1..=3).contains(&first.len())
                && digits(first)
                && parts.all(|p| {
                    p.split(['.', ','])
                        .next()
                        .is_some_and(|g| g.len() == 3 && digits(g))
                });
            return Err(AmountError::SpaceInside {
                text: t.to_string(),
                joined: (grouped && Amount::from_text(&joined).is_ok()).then_some(joined),
            });
        }
        parse_plain(&strip_grouping(t)?, true)
    }
}

impl fmt::Display for Amount {
    /// Canonical text: no exponent, no trailing zeros, no lone point, so each
    /// amount has exactly one spelling (the fingerprint relies on this).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every event's amount is written (its fingerprint, its
        // provenance): in 64-bit arithmetic when it fits, since wasm32 has
        // no 128-bit division, and the fraction's digits by hand.
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let nanos = NANOS_PER_UNIT as u64;
        let frac = match u64::try_from(abs) {
            Ok(small) => {
                write!(f, "{sign}{}", small / nanos)?;
                small % nanos
            }
            Err(_) => {
                write!(f, "{sign}{}", abs / NANOS_PER_UNIT as u128)?;
                (abs % NANOS_PER_UNIT as u128) as u64
            }
        };
        if frac == 0 {
            return Ok(());
        }
        let mut digits = [b'0'; 9];
        let mut rest = frac;
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let end = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
        f.write_str(".")?;
        f.write_str(std::str::from_utf8(&digits[..end]).unwrap_or_default())
    }
}

/// Why a value is not an acceptable amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    /// Nothing but spaces, or nothing at all.
    Empty,
    /// NaN in any spelling.
    NotANumber,
    /// Infinity in any spelling.
    Infinite,
    /// A hexadecimal literal such as `0x1F`.
    Hex,
    /// Both `,` and `.` appear and their roles cannot be told apart safely.
    AmbiguousSeparators,
    /// One comma and no point: a decimal comma (`1,5`), or a comma that
    /// reads two ways (`1,234`: 1234 where it groups thousands, 1.234 where
    /// it is the decimal mark).
    DecimalComma {
        /// The amount as sent.
        text: String,
        /// Its value with the comma as the decimal mark, as Tally writes it.
        point: String,
        /// Its value with the comma grouping thousands, if it can.
        grouped: Option<String>,
    },
    /// Thousands separators that are not in groups of three.
    BadGrouping,
    /// A space inside the number (`1 234,56`, also a no-break space): a
    /// grouping some locales write, refused like a comma that could be a
    /// decimal mark rather than read one way or the other.
    SpaceInside {
        /// The amount as sent.
        text: String,
        /// The amount without the spaces, when that is one Tally reads.
        joined: Option<String>,
    },
    /// A currency symbol or code beside the number (`$1,200`, `1,200 EUR`).
    Currency {
        /// The symbol or code as sent.
        currency: String,
        /// What is left without it.
        number: String,
    },
    /// Characters that are not part of a number.
    Malformed,
    /// More significant decimal places than Tally keeps exactly.
    TooPrecise,
    /// Larger in magnitude than [`MAX_UNITS`].
    Overflow,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Empty => write!(f, "the amount is empty"),
            AmountError::NotANumber => write!(f, "NaN is not an amount"),
            AmountError::Infinite => write!(f, "an infinite value is not an amount"),
            AmountError::Hex => write!(f, "hexadecimal amounts are not accepted"),
            AmountError::AmbiguousSeparators => write!(
                f,
                "the separators are ambiguous (is ',' a decimal comma or a thousands separator?); write the amount with '.' as its decimal point and no thousands separators"
            ),
            AmountError::DecimalComma {
                text,
                point,
                grouped: Some(grouped),
            } => write!(
                f,
                "'{text}' reads as {grouped} where ',' separates thousands and as {point} where it is the decimal mark; send {grouped} or {point} ('.' is the decimal point)"
            ),
            AmountError::DecimalComma { text, point, .. } => write!(
                f,
                "'{text}' has a decimal comma; send it with '.' as the decimal point ({point})"
            ),
            AmountError::BadGrouping => {
                write!(f, "thousands separators must separate groups of three digits")
            }
            AmountError::SpaceInside { text, joined } => {
                write!(f, "'{text}' has a space inside the number; send ")?;
                match joined {
                    Some(joined) => write!(f, "{joined}"),
                    None => write!(f, "it without spaces, with '.' as the decimal point"),
                }
            }
            AmountError::Currency { currency, number } => {
                write!(f, "names a currency ('{currency}'): send the number alone")?;
                // Suggested only when it is an amount Tally reads: `$1,20`
                // left `1,20`, which is refused as ambiguous.
                if Amount::from_text(number).is_ok() {
                    write!(f, " ({number})")?;
                }
                write!(f, "; Tally converts no currency, so amounts in two currencies would be summed as one")
            }
            AmountError::Malformed => write!(
                f,
                "malformed number: expected digits with an optional sign, decimal point and exponent, such as 1200.50 or 1.2e3"
            ),
            AmountError::TooPrecise => write!(
                f,
                "more than {MAX_SCALE} decimal places cannot be kept exactly"
            ),
            AmountError::Overflow => write!(
                f,
                "the amount is beyond the limit of ±1,000,000,000,000,000,000 (10^18)"
            ),
        }
    }
}

impl std::error::Error for AmountError {}

/// Signs of money that people put beside an amount.
const CURRENCY_SIGNS: &[char] = &[
    '$', '€', '£', '¥', '₹', '₽', '₩', '₺', '₫', '₪', '¢', '฿', '₴', '₦', '₱', '₲', '₵', '₡', '₭',
    '₮', '₸', '₼', '₾', '﷼', '元', '円',
];

/// A currency sign anywhere, or a three-letter code in capitals (`EUR`)
/// before or after the number, with the text left without it; `None` if
/// that holds no digit (then the text is no amount in any case).
fn currency(t: &str) -> Option<(&str, String)> {
    let (start, end) = match t.find(CURRENCY_SIGNS) {
        Some(at) => {
            // With the letters written against it: `US$`, `R$`, `$US`.
            let end = at + t[at..].chars().next().map_or(1, char::len_utf8);
            let before = t[..at].len()
                - t[..at]
                    .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                    .len();
            let after = t[end..].len()
                - t[end..]
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .len();
            (at - before, end + after)
        }
        None => {
            let is_code = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase());
            let first = t.split(|c: char| !c.is_ascii_alphabetic()).next();
            let last = t.rsplit(|c: char| !c.is_ascii_alphabetic()).next();
            if first.is_some_and(is_code) {
                (0, 3)
            } else if last.is_some_and(is_code) {
                (t.len() - 3, t.len())
            } else {
                return None;
            }
        }
    };
    let number = format!("{}{}", &t[..start], &t[end..]).trim().to_string();
    number
        .bytes()
        .any(|b| b.is_ascii_digit())
        .then(|| (&t[start..end], number))
}

/// Removes valid thousands grouping, refusing anything ambiguous.
fn strip_grouping(t: &str) -> Result<String, AmountError> {
    let has_comma = t.contains(',');
    let has_point = t.contains('.');
    if has_comma && has_point {
        // `1,200.50` is unambiguous only when every comma precedes the point.
        let point = t.find('.').unwrap_or(t.len());
        if t[point..].contains(',') {
            return Err(AmountError::AmbiguousSeparators);
        }
    }
    let sep_count = t.chars().filter(|c| *c == ',' || *c == '_').count();
    if sep_count == 0 {
        return Ok(t.to_string());
    }
    let body = t.trim_start_matches(['+', '-']);
    let sign = &t[..t.len() - body.len()];
    let (int_part, rest) = match body.find(['.', 'e', 'E']) {
        Some(i) => body.split_at(i),
        None => (body, ""),
    };
    if rest.contains([',', '_']) {
        return Err(AmountError::BadGrouping);
    }
    // A single comma with no point may be a decimal comma: `1,5` surely,
    // and `1,200` as well (1.2 where a comma is the decimal mark, 1200
    // where it groups thousands). Refused rather than guessed, naming both
    // readings: an outside review saw "1,234" counted as 1234, a thousand
    // times what a client with a decimal comma meant. `1,200.00` and
    // `1,200,000` say which; `_` groups, so `1_234,567` reads two ways too.
    if let Some((whole, after)) = int_part.split_once(',') {
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit() || b == b'_');
        if !has_point && !after.contains(',') && digits(whole) && digits(after) {
            let whole = whole.replace('_', "");
            let groups_of_three = after.len() == 3 && !after.contains('_');
            // `0,500` grouped is 500, not 0500.
            let digits = format!("{whole}{after}");
            let digits = match digits.trim_start_matches('0') {
                "" => "0",
                d => d,
            };
            return Err(AmountError::DecimalComma {
                text: t.to_string(),
                point: format!("{sign}{whole}.{}{rest}", after.replace('_', "")),
                grouped: groups_of_three.then(|| format!("{sign}{digits}{rest}")),
            });
        }
    }
    let groups: Vec<&str> = int_part.split([',', '_']).collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    let all_digits = groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    if !(first_ok && rest_ok && all_digits) {
        return Err(AmountError::BadGrouping);
    }
    Ok(format!("{sign}{}{rest}", groups.concat()))
}

/// Parses `[sign] digits [. digits] [e [sign] digits]` exactly.
fn parse_plain(t: &str, allow_plus: bool) -> Result<Amount, AmountError> {
    if t.is_empty() {
        return Err(AmountError::Empty);
    }
    let (negative, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' if allow_plus => (false, &t[1..]),
        _ => (false, t),
    };
    // By byte: a search for either of two characters walks the text a
    // character at a time, and every amount is searched.
    let (mantissa, exponent) = match body.bytes().position(|b| b == b'e' || b == b'E') {
        Some(i) => {
            let exp_text = &body[i + 1..];
            // One sign at most: '1e+-5' is malformed, not a huge exponent.
            let digits = exp_text.strip_prefix(['+', '-']).unwrap_or(exp_text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AmountError::Malformed);
            }
            // Exponents this large cannot yield an acceptable amount either way.
            let exp: i64 = exp_text.parse().unwrap_or(if exp_text.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            });
            (&body[..i], exp)
        }
        None => (body, 0),
    };
    let (int_digits, frac_digits) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_digits.is_empty() && frac_digits.is_empty())
        || !all_digits(int_digits)
        || !all_digits(frac_digits)
    {
        return Err(AmountError::Malformed);
    }
    // The value is digits × 10^(exponent − len(frac)). Strip zeros that carry
    // no information before deciding on precision and magnitude.
    let mut digits = String::with_capacity(int_digits.len() + frac_digits.len());
    digits.push_str(int_digits);
    digits.push_str(frac_digits);
    let mut scale_exp: i64 = exponent.saturating_sub(frac_digits.len() as i64);
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        return Ok(Amount::ZERO);
    }
    digits = trimmed.to_string();
    while digits.ends_with('0') {
        digits.pop();
        scale_exp = scale_exp.saturating_add(1);
    }
    if scale_exp < -i64::from(MAX_SCALE) {
        return Err(AmountError::TooPrecise);
    }
    // nanos = digits × 10^(scale_exp + 9); bound the length first so the
    // integer arithmetic below cannot overflow.
    let shift = scale_exp.saturating_add(i64::from(MAX_SCALE));
    let max_len = 19 + MAX_SCALE as i64; // digits of MAX_UNITS in nanos
    if (digits.len() as i64).saturating_add(shift) > max_len {
        return Err(AmountError::Overflow);
    }
    let mut nanos: i128 = 0;
    for b in digits.bytes() {
        nanos = nanos * 10 + i128::from(b - b'0');
    }
    for _ in 0..shift {
        nanos *= 10;
    }
    if nanos > MAX_UNITS * NANOS_PER_UNIT {
        return Err(AmountError::Overflow);
    }
    Ok(Amount(if negative { -nanos } else { nanos }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain digits, signs and points skip [`Amount::from_text`]'s checks
    /// for words, spaces and grouping: each of them must let such a text
    /// through unchanged, so both ways read the same.
    #[test]
    fn plain_numbers_read_as_every_check_would() {
        let mut rng = crate::rng::SeededRng::new(3);
        let alphabet = b"0123456789+-.";
        for _ in 0..50_000 {
            let len = 1 + rng.below(9) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize] as char)
                .collect();
            let every_check = strip_grouping(&text).and_then(|t| parse_plain(&t, true));
            assert_eq!(Amount::from_text(&text), every_check, "{text}");
            assert_eq!(
                Amount::from_text(&format!(" {text} ")),
                every_check,
                "{text}"
            );
        }
    }

    #[test]
    fn canonical_text_is_the_exact_decimal_of_the_nanos() {
        // The reference: 128-bit arithmetic and the standard formatting.
        let reference = |n: i128| {
            let (units, frac) = (
                n.unsigned_abs() / 1_000_000_000,
                n.unsigned_abs() % 1_000_000_000,
            );
            let sign = if n < 0 { "-" } else { "" };
            match format!("{frac:09}").trim_end_matches('0') {
                "" => format!("{sign}{units}"),
                digits => format!("{sign}{units}.{digits}"),
            }
        };
        let mut rng = crate::rng::SeededRng::new(99);
        let edges = [
            0,
            1,
            -1,
            999_999_999,
            1_000_000_000,
            -1_000_000_001,
            i128::from(u64::MAX),
            i128::from(u64::MAX) + 1,
            -i128::from(u64::MAX) - 1,
            MAX_UNITS * NANOS_PER_UNIT,
            -MAX_UNITS * NANOS_PER_UNIT,
        ];
        for i in 0..5_000u64 {
            let n = match i % 3 {
                0 => edges[rng.below(edges.len() as u64) as usize],
                1 => i128::from(rng.below(1 << 50)) - (1 << 49),
                _ => i128::from(rng.below(u64::MAX)) * 1_000 - (i128::from(i) << 64),
            };
            assert_eq!(Amount::from_nanos(n).to_string(), reference(n), "{n}");
        }
    }

    fn text(s: &str) -> Result<String, AmountError> {
        Amount::from_text(s).map(|a| a.to_string())
    }

    fn number(s: &str) -> Result<String, AmountError> {
        Amount::from_json_number(s).map(|a| a.to_string())
    }

    #[test]
    fn one_value_has_one_amount_in_every_spelling() {
        let expected = Amount::from_json_number("1200").unwrap();
        for n in ["1200", "1200.00", "1.2e3", "12e2", "120000e-2", "1.200E+3"] {
            assert_eq!(Amount::from_json_number(n).unwrap(), expected, "{n}");
        }
        for s in [
            "1200",
            "1200.00",
            " 1,200.00 ",
            "1_200",
            "+1200",
            "1,200.000",
            "1.2e3",
        ] {
            assert_eq!(Amount::from_text(s).unwrap(), expected, "{s}");
        }
        assert_eq!(expected.to_string(), "1200");
    }

    #[test]
    fn decimal_sums_are_exact() {
        let a = Amount::from_json_number("0.1").unwrap();
        let b = Amount::from_json_number("0.2").unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "0.3");
    }

    #[test]
    fn canonical_text() {
        assert_eq!(number("250.50"), Ok("250.5".into()));
        assert_eq!(number("-0.000000001"), Ok("-0.000000001".into()));
        assert_eq!(number("-0"), Ok("0".into()));
        assert_eq!(number("0.0e10"), Ok("0".into()));
        assert_eq!(text("-1,234,567.891"), Ok("-1234567.891".into()));
        assert_eq!(number("1e18"), Ok("1000000000000000000".into()));
    }

    #[test]
    fn refusals_name_their_reason() {
        assert_eq!(text(""), Err(AmountError::Empty));
        assert_eq!(text("  "), Err(AmountError::Empty));
        assert_eq!(text("NaN"), Err(AmountError::NotANumber));
        assert_eq!(text("-Infinity"), Err(AmountError::Infinite));
        assert_eq!(text("0x1F"), Err(AmountError::Hex));
        assert_eq!(text("1.200,50"), Err(AmountError::AmbiguousSeparators));
        let comma = |t: &str, point: &str, grouped: Option<&str>| {
            Err(AmountError::DecimalComma {
                text: t.into(),
                point: point.into(),
                grouped: grouped.map(String::from),
            })
        };
        assert_eq!(text("1,5"), comma("1,5", "1.5", None));
        assert_eq!(text("12,34,567"), Err(AmountError::BadGrouping));
        // A space groups in some locales: said, not called bad grouping
        // (an outside review), and never read either way.
        let spaced = |t: &str| text(t).map_err(|e| e.to_string());
        assert_eq!(
            spaced("1 234,567"),
            Err("'1 234,567' has a space inside the number; send it without spaces, with '.' as the decimal point".into())
        );
        assert_eq!(
            spaced("1\u{a0}234.5"),
            Err("'1\u{a0}234.5' has a space inside the number; send 1234.5".into())
        );
        assert_eq!(spaced(" 12.5 "), Ok("12.5".to_string()));
        for ungrouped in ["1 5", "12 34", "3 4.5", "1234 567", "1.5 234"] {
            assert!(
                spaced(ungrouped)
                    .unwrap_err()
                    .ends_with("send it without spaces, with '.' as the decimal point"),
                "{ungrouped}"
            );
        }
        assert_eq!(
            spaced("-1 234 567"),
            Err("'-1 234 567' has a space inside the number; send -1234567".into())
        );
        assert_eq!(text("1,2345"), comma("1,2345", "1.2345", None));
        // One comma and three digits: 1234 or 1.234, depending on who wrote
        // it; `_` groups digits too (a review found `1_234,567` read as
        // 1234567).
        assert_eq!(text("1,234"), comma("1,234", "1.234", Some("1234")));
        assert_eq!(
            text("-999,000"),
            comma("-999,000", "-999.000", Some("-999000"))
        );
        assert_eq!(
            text("1_234,567"),
            comma("1_234,567", "1234.567", Some("1234567"))
        );
        assert_eq!(text("0,500"), comma("0,500", "0.500", Some("500")));
        assert_eq!(text("0,000"), comma("0,000", "0.000", Some("0")));
        assert_eq!(
            text("1,234").unwrap_err().to_string(),
            "'1,234' reads as 1234 where ',' separates thousands and as 1.234 where it is the decimal mark; send 1234 or 1.234 ('.' is the decimal point)"
        );
        assert_eq!(
            text("1,5").unwrap_err().to_string(),
            "'1,5' has a decimal comma; send it with '.' as the decimal point (1.5)"
        );
        // A comma without digits on both sides is no number at all.
        assert_eq!(text(","), Err(AmountError::BadGrouping));
        // Said by a point or a second comma.
        assert_eq!(text("1,234.0"), Ok("1234".into()));
        assert_eq!(text("1,234,567"), Ok("1234567".into()));
        assert_eq!(text("1e1,000"), Err(AmountError::BadGrouping));
        assert_eq!(text("12abc"), Err(AmountError::Malformed));
        assert_eq!(text("."), Err(AmountError::Malformed));
        assert_eq!(text("1e"), Err(AmountError::Malformed));
        let currency = |c: &str, n: &str| {
            Err(AmountError::Currency {
                currency: c.into(),
                number: n.into(),
            })
        };
        assert_eq!(text("$12"), currency("$", "12"));
        assert_eq!(text("$1,200.00"), currency("$", "1,200.00"));
        assert_eq!(text("€ 1,200"), currency("€", "1,200"));
        assert_eq!(text("-£5"), currency("£", "-5"));
        assert_eq!(text("1,200 EUR"), currency("EUR", "1,200"));
        assert_eq!(text("USD1200.50"), currency("USD", "1200.50"));
        assert!(text("1,200.00 EUR")
            .unwrap_err()
            .to_string()
            .contains("('EUR'): send the number alone (1,200.00)"));
        assert_eq!(text("US$5"), currency("US$", "5"));
        assert_eq!(text("5 R$"), currency("R$", "5"));
        let no_suggestion = Amount::from_text("$1,20").unwrap_err().to_string();
        assert!(
            no_suggestion.starts_with("names a currency ('$'): send the number alone; Tally"),
            "{no_suggestion}"
        );
        // Not a currency: no digit beside it, or no code in capitals.
        assert_eq!(text("$"), Err(AmountError::Malformed));
        assert_eq!(text("10 pcs"), Err(AmountError::Malformed));
        assert_eq!(text("1E5"), Ok("100000".to_string()));
        assert_eq!(text("0.0000000001"), Err(AmountError::TooPrecise));
        assert_eq!(number("1e-10"), Err(AmountError::TooPrecise));
        assert_eq!(number("1000000000000000001"), Err(AmountError::Overflow));
        assert_eq!(number("1e19"), Err(AmountError::Overflow));
        assert_eq!(number("1e99999999999999999999"), Err(AmountError::Overflow));
        assert_eq!(
            number("1e-99999999999999999999"),
            Err(AmountError::TooPrecise)
        );
        for e in [AmountError::AmbiguousSeparators, AmountError::TooPrecise] {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn trailing_zeros_beyond_the_scale_are_fine() {
        assert_eq!(text("1.5000000000000"), Ok("1.5".into()));
    }

    #[test]
    fn mean_rounds_half_away_from_zero_once() {
        let n = |s: &str| Amount::from_json_number(s).unwrap();
        assert_eq!(n("10").mean(4).unwrap().to_string(), "2.5");
        assert_eq!(n("0.000000001").mean(2).unwrap().nanos(), 1);
        assert_eq!(n("-0.000000001").mean(2).unwrap().nanos(), -1);
        assert_eq!(n("0.000000003").mean(2).unwrap().nanos(), 2);
        assert_eq!(n("-0.000000003").mean(2).unwrap().nanos(), -2);
        assert_eq!(n("1").mean(3).unwrap().to_string(), "0.333333333");
        assert_eq!(n("2").mean(3).unwrap().to_string(), "0.666666667");
        assert_eq!(Amount::ZERO.mean(0), None);
        // To fewer places, from the sum, not from the nine-place mean.
        let sum = n("0.014999999"); // over three: 0.004999999666…
        assert_eq!(sum.mean(3).unwrap().to_string(), "0.005");
        assert_eq!(sum.mean_at(3, 2).unwrap(), Amount::ZERO);
        assert_eq!(n("0.01").mean_at(2, 2).unwrap().to_string(), "0.01");
        assert_eq!(n("-0.01").mean_at(2, 2).unwrap().to_string(), "-0.01");
        assert_eq!(n("7").mean_at(3, 0).unwrap().to_string(), "2");
        // Against the plain rational rounding, on many sums and counts.
        let mut rng = crate::rng::SeededRng::new(59);
        for _ in 0..20_000 {
            let sum = rng.below(2_000_001) as i128 - 1_000_000;
            let count = rng.below(40) + 1;
            let places = rng.below(10) as u32;
            let step = 10i128.pow(MAX_SCALE - places);
            let (num, den) = (sum.abs() * 2, i128::from(count) * step * 2);
            let expected = (num + den / 2) / den * step * sum.signum();
            assert_eq!(
                Amount(sum).mean_at(count, places),
                Some(Amount(expected)),
                "{sum} nanos over {count} at {places} places"
            );
        }
        let most = Amount(i128::MAX);
        assert!(most.mean_at(1, 9).is_some() && most.mean_at(3, 2).is_some());
    }

    #[test]
    fn malformed_exponents_are_malformed_numbers() {
        for text in ["0e+-5", "1e+-5", "1e--5", "1e", "1e+", "e5", "1.5e2.5"] {
            let e = Amount::from_text(text).expect_err(text);
            assert_eq!(e, AmountError::Malformed, "{text}");
            assert!(e.to_string().starts_with("malformed number"), "{e}");
        }
        assert_eq!(
            Amount::from_text("1e-5").map(|a| a.to_string()),
            Ok("0.00001".into())
        );
        assert_eq!(
            Amount::from_text("1.2e+3").map(|a| a.to_string()),
            Ok("1200".into())
        );
    }
}
