//! The double nearest a JSON number's decimal text, which RFC 8785 writes
//! as ECMAScript would.
//!
//! Contract: [`nearest`] takes text of JSON's number grammar (the reader
//! has checked it) and returns the `f64` nearest its exact value, ties to
//! even, as `str::parse::<f64>` does, or `None` when that is infinite. A
//! test compares the two on hard and random cases.
//!
//! Why not `str::parse`: its table of 128-bit powers of five is 10 KB of
//! the browser build that gzip cannot shrink. Most numbers here (amounts
//! such as `250.50`) take one exact float operation; the rest take exact
//! integer arithmetic, slower and small.

use std::cmp::Ordering;

/// Powers of ten that a double holds exactly.
const EXACT_POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The double nearest `text`, or `None` when that is infinite.
pub fn nearest(text: &str) -> Option<f64> {
    let negative = text.starts_with('-');
    let body = text.trim_start_matches('-');
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], exponent(&body[i + 1..])),
        None => (body, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b.wrapping_sub(b'0'))
        .skip_while(|&d| d == 0)
        .collect();
    let zeros = digits.iter().rev().take_while(|&&d| d == 0).count();
    let mut digits = &digits[..digits.len() - zeros];
    // The value is digits × 10^e10, the digits without leading or
    // trailing zeros.
    let mut e10 = exponent - fraction.len() as i64 + zeros as i64;
    let magnitude = f64::from_bits(u64::from(negative) << 63);
    let kept;
    if digits.len() > KEPT_DIGITS {
        // What is dropped ends in a nonzero digit, so the value lies
        // strictly between the kept digits and the next number of as many,
        // as do the kept digits followed by a 1; no double, and no point
        // halfway between two, lies there.
        e10 += (digits.len() - KEPT_DIGITS) as i64 - 1;
        kept = [&digits[..KEPT_DIGITS], &[1]].concat();
        digits = &kept;
    }
    let count = digits.len() as i64;
    if digits.is_empty() || count + e10 < -324 {
        // Below 10^-325, under half the smallest double: zero.
        return Some(magnitude);
    }
    if count + e10 > 310 {
        return None;
    }
    let value = if count <= 15 && e10.abs() <= 22 {
        // Both operands are exact, and one operation rounds once.
        let d = digits.iter().fold(0u64, |n, &d| n * 10 + u64::from(d)) as f64;
        let power = EXACT_POWERS[e10.unsigned_abs() as usize];
        if e10 < 0 {
            d / power
        } else {
            d * power
        }
    } else if count <= 15 && e10 > 22 && count + e10 <= 37 {
        // The digits with the zeros beyond 10^22 are still an exact
        // integer below 10^15: one multiplication (Clinger's extension).
        let d = digits.iter().fold(0u64, |n, &d| n * 10 + u64::from(d));
        (d * 10u64.pow((e10 - 22) as u32)) as f64 * EXACT_POWERS[22]
    } else {
        exact(digits, e10)?
    };
    Some(if negative { -value } else { value })
}

/// More significant digits than any double, or any point halfway
/// between two, is written with (767).
const KEPT_DIGITS: usize = 800;

/// An exponent's text as a number, saturated far beyond any double's and
/// any text's length (the digits' count is subtracted from it).
fn exponent(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let n = text
        .trim_start_matches(['+', '-'])
        .bytes()
        .fold(0i64, |n, b| {
            n.saturating_mul(10)
                .saturating_add(i64::from(b - b'0'))
                .min(1 << 60)
        });
    if negative {
        -n
    } else {
        n
    }
}

/// digits × 10^e10 rounded to a double with integers: find the binary
/// exponent that puts the significand in [2^52, 2^53) (or the subnormals'
/// fixed one), divide, and round the remainder half to even.
fn exact(digits: &[u8], e10: i64) -> Option<f64> {
    let mut num = Big::from_digits(digits);
    let mut den = Big::one();
    if e10 >= 0 {
        num.mul_pow10(e10.unsigned_abs());
    } else {
        den.mul_pow10(e10.unsigned_abs());
    }
    // floor(log2(num / den)): the bit lengths' difference, or one less.
    let guess = num.bits() as i64 - den.bits() as i64;
    let at_least = shifted(&num, -guess).cmp(&shifted(&den, guess)) != Ordering::Less;
    let log2 = if at_least { guess } else { guess - 1 };
    let e2 = (log2 - 52).max(-1074);
    if e2 > 971 {
        return None;
    }
    let (a, b) = (shifted(&num, -e2), shifted(&den, e2));
    let (mut m, mut rest) = divide(&a, &b);
    rest.shl(1);
    match rest.cmp(&b) {
        Ordering::Greater => m += 1,
        Ordering::Equal => m += m & 1,
        Ordering::Less => {}
    }
    let (m, e2) = if m == 1 << 53 {
        (m >> 1, e2 + 1)
    } else {
        (m, e2)
    };
    if e2 > 971 {
        return None;
    }
    let bits = if m >= 1 << 52 {
        ((e2 + 1075) as u64) << 52 | (m & ((1 << 52) - 1))
    } else {
        m
    };
    Some(f64::from_bits(bits))
}

/// a / b and its remainder, for a quotient below 2^54 (as [`exact`]
/// chooses the exponent). The quotient of the top 64 bits of `b` and the
/// same bits of `a` is the quotient or one more.
fn divide(a: &Big, b: &Big) -> (u64, Big) {
    let drop = b.bits().saturating_sub(64);
    let (top_a, top_b) = (a.shr(drop).low_u128(), b.shr(drop).low_u128());
    let mut q = (top_a / top_b) as u64;
    // Never too small: a ≥ q·b, so a's top bits ≥ q times b's.
    let mut product = b.times(q);
    while product.cmp(a) == Ordering::Greater {
        q -= 1;
        product.sub(b);
    }
    let mut rest = a.clone();
    rest.sub(&product);
    (q, rest)
}

/// `x` × 2^k for k ≥ 0, or `x` itself otherwise (the other side of a
/// comparison takes the shift).
fn shifted(x: &Big, k: i64) -> Big {
    let mut y = x.clone();
    if k > 0 {
        y.shl(k as usize);
    }
    y
}

/// A natural number in 32-bit limbs, least significant first, without
/// high zero limbs: just what [`exact`] needs.
#[derive(Clone, Debug)]
struct Big(Vec<u32>);

impl Big {
    fn one() -> Big {
        Big(vec![1])
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut n = Big(Vec::new());
        for chunk in digits.chunks(9) {
            let value = chunk.iter().fold(0u32, |v, &d| v * 10 + u32::from(d));
            n.mul_add(10u32.pow(chunk.len() as u32), value);
        }
        n
    }

    fn mul_add(&mut self, factor: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(factor) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow10(&mut self, mut k: u64) {
        while k > 0 {
            let step = k.min(9);
            self.mul_add(10u32.pow(step as u32), 0);
            k -= step;
        }
    }

    fn bits(&self) -> usize {
        self.0
            .last()
            .map_or(0, |top| self.0.len() * 32 - top.leading_zeros() as usize)
    }

    fn shl(&mut self, k: usize) {
        let (limbs, bits) = (k / 32, k % 32);
        if bits > 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let v = (u64::from(*limb) << bits) | carry;
                *limb = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn times(&self, factor: u64) -> Big {
        let mut out = Vec::with_capacity(self.0.len() + 2);
        let mut carry = 0u128;
        for &limb in &self.0 {
            let v = u128::from(limb) * u128::from(factor) + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        while carry > 0 {
            out.push(carry as u32);
            carry >>= 32;
        }
        while out.last() == Some(&0) {
            out.pop();
        }
        Big(out)
    }

    /// `self` / 2^k.
    fn shr(&self, k: usize) -> Big {
        let (limbs, bits) = (k / 32, k % 32);
        let rest = self.0.get(limbs..).unwrap_or(&[]);
        let mut out: Vec<u32> = rest
            .iter()
            .enumerate()
            .map(|(i, &limb)| {
                let high = rest.get(i + 1).map_or(0, |&h| u64::from(h) << 32);
                ((high | u64::from(limb)) >> bits) as u32
            })
            .collect();
        while out.last() == Some(&0) {
            out.pop();
        }
        Big(out)
    }

    /// The lowest 128 bits.
    fn low_u128(&self) -> u128 {
        self.0
            .iter()
            .take(4)
            .rev()
            .fold(0, |v, &limb| (v << 32) | u128::from(limb))
    }

    /// `self` − `other`, for `other` ≤ `self`.
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            *limb = (v + (borrow << 32)) as u32;
        }
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::splitmix64;

    fn same_as_std(text: &str) {
        let expected = text.parse::<f64>().expect("a JSON number");
        let got = nearest(text);
        if expected.is_finite() {
            assert_eq!(
                got.map(f64::to_bits),
                Some(expected.to_bits()),
                "{text}: {got:?} vs {expected:?}"
            );
        } else {
            assert_eq!(got, None, "{text}");
        }
    }

    #[test]
    fn hard_cases_round_as_the_standard_library_does() {
        for text in [
            "0", "-0", "0.0", "-0.0e5", "0e999999999999", "1", "-1", "0.1", "0.3", "250.50",
            "123456789012345678901234567890", "9007199254740993", "9007199254740992.5",
            "9007199254740993.0000000000000000001", "9007199254740995",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.000000000000000111022302462515654042363166809082031250000001",
            "1.00000000000000011102230246251565404236316680908203124999",
            "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072014e-308",
            "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
            "7.4109846876186981626485318930233205854758970392148714663837852375101326090531312779794975454245398856969484704316857659638998506553390969459816219401617281718945106978546710679176872575177347315553307795408549809608457500958111373034747658096871009590975442271004757307809711118935784838675653998783503015228055934046593739791790738723868299395818481660169122019456499931289798411362062484498678713572180352209017023903285791732520220528974020802906854021606612375549983402671300035812486479041385743401875520901590172592547146296175134159774938718574737870961645638908718119841271673056017045493004705269590165763776884908267986972573366521765567941072508764337560846003984904972149117463085539556354188641513168478436313080237596295773983001708984375e-324",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
            "1e308", "1e309", "1e-307", "1e-320", "1e-324", "1e-325", "123e-330",
            "1E+2", "1e-2", "1.5e+21", "0.000001", "1e-7", "1e21", "123456789012345680000",
            "0.1000000000000000055511151231257827021181583404541015625",
            "0.10000000000000000555111512312578270211815834045410156250000000001",
            "0.1000000000000000055511151231257827021181583404541015624999999999",
        ] {
            same_as_std(text);
        }
        let long_one = format!("1{}e-1000", "0".repeat(1000));
        same_as_std(&long_one);
        // Longer than the digits kept, with the deciding digit far out
        // (an outside review found these wrong past a million digits).
        let halfway = "1.00000000000000011102230246251565404236316680908203125";
        same_as_std(&format!("{halfway}{}", "0".repeat(5_000)));
        same_as_std(&format!("{halfway}{}1", "0".repeat(5_000)));
        // Both are exactly 1; the standard library itself reads 0 and
        // infinity here (its exponent saturates), Python reads 1.
        for one in [
            format!("0.{}1e2000001", "0".repeat(2_000_000)),
            format!("1{}e-1000001", "0".repeat(1_000_001)),
        ] {
            assert_eq!(nearest(&one), Some(1.0));
        }
        same_as_std(&format!("{}e-60000", "7".repeat(60_000)));
        let tiny = format!("0.{}1", "0".repeat(400));
        same_as_std(&tiny);
    }

    #[test]
    fn random_numbers_round_as_the_standard_library_does() {
        let mut state = 0x5eed_u64;
        let mut next = |n: u64| splitmix64(&mut state) % n;
        for _ in 0..200_000 {
            let count = 1 + next(40) as usize;
            let mut digits: String = (0..count)
                .map(|_| char::from(b'0' + next(10) as u8))
                .collect();
            if digits.len() > 1 && digits.starts_with('0') {
                digits.replace_range(0..1, "1");
            }
            let mut text = if next(2) == 0 {
                String::new()
            } else {
                "-".to_string()
            };
            let point = next(count as u64 + 1) as usize;
            if point == 0 || point == count {
                text.push_str(&digits);
            } else {
                text.push_str(&digits[..point]);
                text.push('.');
                text.push_str(&digits[point..]);
            }
            if next(3) > 0 {
                text.push_str(&format!("e{}", next(700) as i64 - 350));
            }
            same_as_std(&text);
        }
    }

    #[test]
    fn short_numbers_with_exponents_past_the_exact_powers_round_as_the_standard_library_does() {
        // Where one multiplication stops being exact: digits × 10^(e-22)
        // past 2^53.
        let mut state = 11u64;
        for count in 1..=15 {
            for e10 in 20..=45 {
                for _ in 0..20 {
                    let digits: String = (0..count)
                        .map(|i| {
                            let d = splitmix64(&mut state) % 10;
                            char::from(b'0' + if i == 0 { d.max(1) } else { d } as u8)
                        })
                        .collect();
                    same_as_std(&format!("{digits}e{e10}"));
                }
            }
        }
    }

    #[test]
    fn numbers_near_halfway_between_two_doubles_round_as_the_standard_library_does() {
        // The exact midpoint between a double and the next, written out in
        // decimal, then nudged by one in its last place either way.
        let mut state = 7u64;
        for _ in 0..2_000 {
            let x = f64::from_bits(splitmix64(&mut state) >> 1);
            if !x.is_finite() || x == 0.0 {
                continue;
            }
            let next = f64::from_bits(x.to_bits() + 1);
            if !next.is_finite() {
                continue;
            }
            for text in [format!("{x:e}"), format!("{next:e}")] {
                same_as_std(&text);
            }
            let mid = midpoint(x);
            same_as_std(&mid);
            same_as_std(&format!("{mid}1"));
            // The double itself, every digit written: a division with
            // nothing left over.
            same_as_std(&exactly(x));
        }
    }

    /// The exact decimal of the midpoint between `x` and the next double:
    /// (2m+1) × 2^(e-1), written with every digit.
    fn midpoint(x: f64) -> String {
        let (m, e) = parts(x);
        times_power_of_two(2 * m + 1, e - 1)
    }

    /// The exact decimal of `x`, m × 2^e.
    fn exactly(x: f64) -> String {
        let (m, e) = parts(x);
        times_power_of_two(m, e)
    }

    fn parts(x: f64) -> (u64, i64) {
        let bits = x.to_bits();
        let (biased, fraction) = ((bits >> 52) as i64, bits & ((1 << 52) - 1));
        if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | 1 << 52, biased - 1075)
        }
    }

    /// n × 2^shift in decimal, every digit.
    fn times_power_of_two(n: u64, shift: i64) -> String {
        let mut n = Big(vec![n as u32, (n >> 32) as u32]);
        while n.0.last() == Some(&0) {
            n.0.pop();
        }
        // × 2^shift, or × 5^-shift over 10^-shift.
        if shift >= 0 {
            n.shl(shift as usize);
            to_decimal(&n, 0)
        } else {
            for _ in 0..-shift {
                n.mul_add(5, 0);
            }
            to_decimal(&n, -shift as usize)
        }
    }

    /// `n` / 10^places in decimal.
    fn to_decimal(n: &Big, places: usize) -> String {
        let mut limbs = n.0.clone();
        let mut digits = Vec::new();
        while !limbs.is_empty() {
            let mut rem = 0u64;
            for limb in limbs.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*limb);
                *limb = (v / 10) as u32;
                rem = v % 10;
            }
            digits.push(b'0' + rem as u8);
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
        }
        while digits.len() <= places {
            digits.push(b'0');
        }
        digits.reverse();
        let text = String::from_utf8(digits).expect("digits");
        let (whole, fraction) = text.split_at(text.len() - places);
        if places == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{fraction}")
        }
    }
}
