//! Numbers for reading: grouped digits, one number of decimals per column,
//! means to a sensible precision, and "51–100 of 3,000".
//!
//! Contract: everything here is for the eye only and works from exact
//! values, never through a float. A column shows every value with the same
//! number of decimals, padded with zeros, so no digit of an exact amount is
//! ever dropped; only a mean (the one derived figure that is not exact
//! anyway) is rounded, half away from zero, to the column's decimals, at
//! least 2. Exports and provenance keep the exact canonical text.

use super::Stats;
use crate::pipeline::amount::Amount;

/// Groups an unsigned run of digits in threes with commas: `1234567` →
/// `1,234,567`.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A screen coordinate or a duration to one decimal (`12.3`), without
/// Rust's float formatting, whose code costs the browser bundle KBs and
/// which nothing else here needs.
pub fn tenths(x: f64) -> String {
    let t = (x * 10.0).round() as i64;
    let sign = if t < 0 { "-" } else { "" };
    let t = t.unsigned_abs();
    format!("{sign}{}.{}", t / 10, t % 10)
}

/// A measured figure rounded to a whole number (`1234`: the benchmark
/// reads it back), as [`tenths`].
pub fn whole(x: f64) -> String {
    (x.round() as i64).to_string()
}

/// The word for `n` things: `one` for exactly one, `many` otherwise
/// ("1 event", "0 events", "2 events").
pub fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// A count with thousands separators.
pub fn count(n: impl Into<u64>) -> String {
    group(&n.into().to_string())
}

/// How many decimals an amount needs to be shown exactly (0 to 9).
pub fn decimals(amount: Amount) -> usize {
    let text = amount.to_string();
    text.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// An amount on its own, exactly: grouped, to the cents at least, and to
/// every decimal it has.
pub fn exact(amount: Amount) -> String {
    self::amount(amount, decimals(amount))
}

/// The decimals a column of amounts needs so every value is exact.
pub fn column_decimals<'a>(amounts: impl IntoIterator<Item = &'a Amount>) -> usize {
    amounts.into_iter().map(|a| decimals(*a)).max().unwrap_or(0)
}

/// An exact amount with thousands separators, in a column whose values
/// need `places` decimals: digits are never dropped, zeros pad to two
/// places (as money reads: `250.50`), and further places are figure spaces,
/// which keep the column aligned without a run of noise zeros when one
/// value has nine decimals (`1,200.00` and seven spaces, not
/// `1,200.000000000`).
pub fn amount(value: Amount, places: usize) -> String {
    let text = value.to_string();
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let places = places.max(frac.len());
    let mut out = format!("{sign}{}", group(int));
    if places > 0 {
        out.push('.');
        out.push_str(frac);
        // Money reads to the cents: one decimal is never shown alone.
        let places = places.max(2);
        let zeros = 2usize.saturating_sub(frac.len());
        out.extend(std::iter::repeat_n('0', zeros));
        out.extend(std::iter::repeat_n(
            FIGURE_SPACE,
            places - frac.len() - zeros,
        ));
    }
    out
}

/// An amount where there is no room for nine decimals (the glance, chart
/// labels): exact up to the cents, else rounded to them and marked `≈`.
/// The exact value goes beside it (a title, the table below the chart).
pub fn brief(value: Amount) -> String {
    brief_in(value, decimals(value))
}

/// [`brief`] for one of several figures read together (a chart's labels):
/// all to the same decimals, up to the cents, as a table column is.
pub fn brief_in(value: Amount, places: usize) -> String {
    if decimals(value) > 2 {
        format!("≈{}", mean(value, 2))
    } else {
        amount(value, places.min(2))
    }
}

/// `text` cut into its runs of whitespace and the words between them, in
/// order, each with whether it is a word: together they are `text` exactly.
/// A word also ends after a comma or a colon outside a JSON string, so
/// that compact JSON (`{"a":1,"b":"x"}`, one word to the whitespace) breaks
/// between its members, or a name and its value, rather than inside a key
/// or at a date's hyphen.
pub fn words(text: &str) -> Vec<(bool, &str)> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut in_word = None;
    let (mut in_string, mut escaped) = (false, false);
    let bytes = text.as_bytes();
    for (at, c) in text.char_indices() {
        let word = !c.is_whitespace();
        if in_word.is_some_and(|w| w != word) {
            runs.push((!word, &text[start..at]));
            start = at;
        }
        in_word = Some(word);
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            // Between members (a comma before a name), and between a name
            // and its value (a 40-character member broke at its date's
            // hyphen on a phone); never in prose's `1,200` or `10:30`.
            ',' if !in_string && bytes.get(at + 1) == Some(&b'"') => {
                runs.push((true, &text[start..at + 1]));
                start = at + 1;
                in_word = None;
            }
            ':' if !in_string && at > 0 && bytes[at - 1] == b'"' => {
                runs.push((true, &text[start..at + 1]));
                start = at + 1;
                in_word = None;
            }
            _ => {}
        }
    }
    if let Some(word) = in_word {
        runs.push((word, &text[start..]));
    }
    runs
}

/// A name for where whitespace would collapse and style cannot stop it (a
/// select's options): its spaces made non-breaking, so "north  east" keeps
/// both and does not read as "north east".
pub fn spaces_kept(name: &str) -> String {
    name.replace(' ', "\u{a0}")
}

/// A space as wide as a digit.
pub const FIGURE_SPACE: char = '\u{2007}';

/// A mean, rounded half away from zero to `places` decimals (at least 2),
/// with thousands separators.
pub fn mean(value: Amount, places: usize) -> String {
    let places = places.clamp(2, 9);
    // The mean of one amount is the amount, rounded as every mean is.
    amount(value.mean_at(1, places as u32).unwrap_or(value), places)
}

/// A mean as a column of statistics shows it: at the column's decimals
/// (at least the cents) when it is exact there (a whole mean reads "1"
/// beside a sum of "300", and 1.5 reads "1.50"),
/// else rounded to them, at least the cents, and marked `≈` (its title
/// says more, see [`mean_title`]), as the glance marks a rounded total.
/// Rounded once, from the sum: the mean rounded to nine decimals and then
/// to the column's could differ from it (an outside review).
pub fn mean_in(stats: &Stats, places: usize) -> String {
    let value = stats.mean();
    // Shown to the cents in any column, so a mean exact at them is exact
    // as shown (an outside review saw 1.5 marked "≈1.50" beside whole sums).
    if stats.mean_is_exact() && decimals(value) <= places.max(2) {
        amount(value, places)
    } else {
        let places = places.clamp(2, 9);
        let rounded = stats.sum.mean_at(stats.count, places as u32);
        format!("≈{}", amount(rounded.unwrap_or(value), places))
    }
}

/// A mean's title: the mean when it is exact, else what it is.
pub fn mean_title(stats: &Stats) -> String {
    if stats.mean_is_exact() {
        stats.mean().to_string()
    } else {
        format!("{}, the mean rounded to nine decimals", stats.mean())
    }
}

/// Which rows a page shows: "51–100 of 3,000", or "No rows".
pub fn page_range(page: usize, page_size: usize, total: usize) -> String {
    if total == 0 {
        return "No rows".to_string();
    }
    let first = page * page_size + 1;
    let last = ((page + 1) * page_size).min(total);
    format!(
        "{}–{} of {}",
        count(first as u64),
        count(last as u64),
        count(total as u64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_spaces_together_are_the_text() {
        for text in [
            "",
            " ",
            "a",
            "{\"a\": 1,\n\t\"b\": \"x y\"}  ",
            "é€ 😀\u{a0}z",
        ] {
            let runs = words(text);
            assert_eq!(runs.iter().map(|(_, t)| *t).collect::<String>(), text);
            for pair in runs.windows(2) {
                assert!(
                    pair[0].0 != pair[1].0 || pair[0].1.ends_with([',', ':']),
                    "runs alternate but after a comma or colon: {runs:?}"
                );
            }
            for (word, run) in &runs {
                assert!(!run.is_empty());
                assert!(run.chars().all(|c| c.is_whitespace() != *word), "{run:?}");
            }
        }
        assert_eq!(words("a  b"), [(true, "a"), (false, "  "), (true, "b")]);
        // Compact JSON breaks between members and after names, never at a
        // comma or colon in a string.
        assert_eq!(
            words(r#"{"a":"1,5","b\",:":2, "c":[1,2]}"#),
            [
                (true, r#"{"a":"#),
                (true, r#""1,5","#),
                (true, r#""b\",:":"#),
                (true, "2,"),
                (false, " "),
                (true, r#""c":"#),
                (true, "[1,2]}")
            ]
        );
        // Prose keeps its numbers and times whole.
        assert_eq!(
            words("read as 2024-02-01T06:00:00Z, 1,200"),
            [
                (true, "read"),
                (false, " "),
                (true, "as"),
                (false, " "),
                (true, "2024-02-01T06:00:00Z,"),
                (false, " "),
                (true, "1,200")
            ]
        );
    }

    #[test]
    fn tenths_and_whole_round_half_away_from_zero() {
        assert_eq!(tenths(12.34), "12.3");
        assert_eq!(tenths(12.35), "12.4");
        assert_eq!(tenths(0.0), "0.0");
        assert_eq!(tenths(-3.06), "-3.1");
        assert_eq!(tenths(-0.04), "0.0");
        assert_eq!(whole(1234.5), "1235");
        assert_eq!(whole(-2.5), "-3");
    }

    fn a(text: &str) -> Amount {
        Amount::from_text(text).expect("an amount")
    }

    #[test]
    fn counts_group_in_threes() {
        assert_eq!(count(0u64), "0");
        assert_eq!(count(999u64), "999");
        assert_eq!(count(1000u64), "1,000");
        assert_eq!(count(1_234_567u64), "1,234,567");
    }

    #[test]
    fn amounts_share_a_columns_decimals_and_never_lose_a_digit() {
        let column = [a("1200"), a("0.5"), a("-1234567.125")];
        let places = column_decimals(&column);
        assert_eq!(places, 3);
        let shown: Vec<String> = column.iter().map(|x| amount(*x, places)).collect();
        assert_eq!(
            shown,
            ["1,200.00\u{2007}", "0.50\u{2007}", "-1,234,567.125"]
        );
        // A nine-decimal value pads the others with spaces past the cents.
        assert_eq!(amount(a("7"), 9), format!("7.00{}", "\u{2007}".repeat(7)));
        // A column of one decimal reads to the cents.
        assert_eq!(amount(a("4440.2"), 1), "4,440.20");
        assert_eq!(amount(a("4440"), 1), "4,440.00");
        // Asked for fewer places than the value has: all of them are shown.
        assert_eq!(amount(a("0.000000001"), 2), "0.000000001");
        assert_eq!(
            amount(a("1000000000000000000"), 0),
            "1,000,000,000,000,000,000"
        );
        // On its own: every decimal it has, never padded.
        assert_eq!(exact(a("1200.123456789")), "1,200.123456789");
        assert_eq!(exact(a("-0.5")), "-0.50");
        assert_eq!(exact(a("1200")), "1,200");
    }

    #[test]
    fn a_brief_amount_is_exact_to_the_cents_and_marked_when_rounded() {
        assert_eq!(brief(a("1200")), "1,200");
        assert_eq!(brief(a("250.5")), "250.50");
        assert_eq!(brief(a("1200.123456789")), "≈1,200.12");
        assert_eq!(brief(a("-0.005")), "≈-0.01");
    }

    #[test]
    fn brief_figures_read_together_share_their_decimals() {
        let sums = [a("82.7"), a("7"), a("1.123")];
        let places = column_decimals(&sums);
        let shown: Vec<String> = sums.iter().map(|s| brief_in(*s, places)).collect();
        assert_eq!(shown, ["82.70", "7.00", "≈1.12"]);
        assert_eq!(brief_in(a("7"), 0), "7");
    }

    #[test]
    fn means_round_half_away_from_zero_to_at_least_two_places() {
        assert_eq!(mean(a("2447.117388025"), 0), "2,447.12");
        assert_eq!(mean(a("0.005"), 2), "0.01");
        assert_eq!(mean(a("-0.005"), 2), "-0.01");
        assert_eq!(mean(a("1.2345"), 3), "1.235");
        assert_eq!(mean(a("7"), 0), "7.00");
        // In a column: exact at its decimals as they are, else marked.
        let of = |sum: &str, count: u64| Stats {
            count,
            sum: a(sum),
            min: a(sum),
            max: a(sum),
        };
        assert_eq!(mean_in(&of("1", 1), 0), "1");
        assert_eq!(mean_in(&of("7.5", 1), 2), "7.50");
        assert_eq!(mean_in(&of("3", 2), 0), "1.50");
        assert_eq!(mean_in(&of("9.6", 1), 0), "9.60");
        assert_eq!(mean_in(&of("2.9375", 1), 2), "≈2.94");
        assert_eq!(mean_in(&of("2447.117388025", 1), 0), "≈2,447.12");
        assert_eq!(mean_in(&of("2.9375", 1), 4), "2.9375");
        // Rounded to nine decimals, it fits a column of nine and is still
        // not the mean: 2,400.1 / 3 is 800.0333…
        assert_eq!(mean_in(&of("2400.1", 3), 9), "≈800.033333333");
        assert_eq!(
            mean_title(&of("2400.1", 3)),
            "800.033333333, the mean rounded to nine decimals"
        );
        assert_eq!(mean_title(&of("7.5", 1)), "7.5");
        // Rounded once, from the sum: 0.014999999 over three is
        // 0.004999999666…, 0.005 at nine places but 0.00 at two.
        assert_eq!(mean_in(&of("0.014999999", 3), 2), "≈0.00");
        assert_eq!(mean_in(&of("0.000000005", 2), 9), "≈0.000000003");
        assert_eq!(
            mean_title(&of("0.000000005", 2)),
            "0.000000003, the mean rounded to nine decimals"
        );
    }

    #[test]
    fn page_ranges_read_like_a_sentence() {
        assert_eq!(page_range(0, 50, 0), "No rows");
        assert_eq!(page_range(0, 50, 7), "1–7 of 7");
        assert_eq!(page_range(1, 50, 3000), "51–100 of 3,000");
        assert_eq!(page_range(59, 50, 3000), "2,951–3,000 of 3,000");
    }

    #[test]
    fn one_thing_is_singular_and_every_other_count_plural() {
        assert_eq!(plural(1, "event", "events"), "event");
        for n in [0, 2, 11, 1_000] {
            assert_eq!(plural(n, "event", "events"), "events");
        }
    }
}
