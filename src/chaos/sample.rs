//! Sample events in the shapes real clients send, for tests, the simulator
//! and the benchmark.
//!
//! Contract: [`render`] writes one [`LogicalEvent`] as JSON text in a client
//! [`Shape`], with the spelling of the amount and timestamp, the member order
//! and the extra members chosen by a [`SeededRng`]. Every rendering of the
//! same logical event normalizes to the same canonical fields under the
//! default rules, which is exactly what the pipeline must prove.

use crate::pipeline::amount::Amount;
use crate::pipeline::json::quote;
use crate::rng::SeededRng;
use chrono::{DateTime, Datelike, Duration, FixedOffset, Offset, Timelike, Utc};

/// One real-world event, before any client writes it down.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogicalEvent {
    /// The client that sends it.
    pub client_id: String,
    /// What was measured.
    pub metric: String,
    /// The exact amount.
    pub amount: Amount,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// The client's own id for the event, if it sends one.
    pub idempotency_key: Option<String>,
}

/// The payload layouts clients use: the three of the seed write-ups and two
/// common SDK styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"source", "payload": {"metric", "amount": "…", "timestamp"}}`
    SeedA,
    /// `{"client", "payload": {"type", "value": …, "time"}}`
    SeedB,
    /// `{"source", "payload": {"metricName", "sum", "created_at"}}`
    SeedC,
    /// `{"clientId", "event": "…", "properties": {"price", "ts"}}`
    Sdk,
    /// `{"client_id", "metric", "amount", "timestamp"}`: already canonical.
    Flat,
}

impl Shape {
    /// Every shape, in a fixed order.
    pub const ALL: [Shape; 5] = [
        Shape::SeedA,
        Shape::SeedB,
        Shape::SeedC,
        Shape::Sdk,
        Shape::Flat,
    ];

    fn names(self) -> (&'static str, Option<&'static str>, [&'static str; 3]) {
        match self {
            Shape::SeedA => ("source", Some("payload"), ["metric", "amount", "timestamp"]),
            Shape::SeedB => ("client", Some("payload"), ["type", "value", "time"]),
            Shape::SeedC => (
                "source",
                Some("payload"),
                ["metricName", "sum", "created_at"],
            ),
            Shape::Sdk => ("clientId", Some("properties"), ["event", "price", "ts"]),
            Shape::Flat => ("client_id", None, ["metric", "amount", "timestamp"]),
        }
    }
}

/// Generates random logical events over a small, realistic vocabulary.
pub fn random_event(rng: &mut SeededRng, clients: &[&str], metrics: &[&str]) -> LogicalEvent {
    let client_id = clients[rng.below(clients.len() as u64) as usize].to_string();
    let metric = metrics[rng.below(metrics.len() as u64) as usize].to_string();
    // Cents mostly, sometimes finer, sometimes negative (refunds).
    let cents = rng.below(10_000_000) as i128;
    let mut nanos = cents * 10_000_000;
    if rng.chance(100_000) {
        nanos += rng.below(10_000_000) as i128;
    }
    if rng.chance(100_000) {
        nanos = -nanos;
    }
    let start = DateTime::from_timestamp(1_704_067_200, 0).unwrap_or_default(); // 2024-01-01
    let mut timestamp = start + Duration::seconds(rng.below(3 * 365 * 86_400) as i64);
    if rng.chance(300_000) {
        timestamp += Duration::milliseconds(rng.below(1000) as i64);
    }
    LogicalEvent {
        client_id,
        metric,
        amount: Amount::from_nanos(nanos),
        timestamp,
        idempotency_key: None,
    }
}

/// Writes `event` as a client in `shape` would, with spellings chosen by `rng`.
pub fn render(event: &LogicalEvent, shape: Shape, rng: &mut SeededRng) -> String {
    let (client_name, envelope, [metric_name, amount_name, time_name]) = shape.names();
    let mut inner = vec![
        (metric_name.to_string(), quote(&event.metric)),
        (amount_name.to_string(), amount_spelling(event.amount, rng)),
        (
            time_name.to_string(),
            timestamp_spelling(&event.timestamp, rng),
        ),
    ];
    if rng.chance(300_000) {
        inner.push(("note".into(), quote("extra fields are ignored")));
    }
    let mut outer = vec![(client_name.to_string(), quote(&event.client_id))];
    if let Some(key) = &event.idempotency_key {
        let key_name = ["event_id", "idempotencyKey", "messageId"][rng.below(3) as usize];
        outer.push((key_name.into(), quote(key)));
    }
    if rng.chance(200_000) {
        outer.push((
            "sdk".into(),
            "{\"name\":\"tally-sim\",\"version\":\"1.0\"}".into(),
        ));
    }
    match envelope {
        Some(env) if shape == Shape::Sdk => {
            // The SDK style keeps the metric at the top as `event`.
            let metric = inner.remove(0);
            outer.push(metric);
            outer.push((env.into(), object(inner, rng)));
        }
        Some(env) => outer.push((env.into(), object(inner, rng))),
        None => outer.extend(inner),
    }
    object(outer, rng)
}

/// A JSON object with its members in a random order.
fn object(mut members: Vec<(String, String)>, rng: &mut SeededRng) -> String {
    for i in (1..members.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        members.swap(i, j);
    }
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}:{v}", quote(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// One of the equivalent spellings of an amount, as JSON text.
pub fn amount_spelling(amount: Amount, rng: &mut SeededRng) -> String {
    let canonical = amount.to_string();
    match rng.below(5) {
        0 => canonical,
        1 => quote(&canonical),
        2 => {
            // Trailing zeros: "1200.50", "1200.00".
            let padded = if canonical.contains('.') {
                format!("{canonical}0")
            } else {
                format!("{canonical}.00")
            };
            quote(&padded)
        }
        // Grouped, with a point when one comma alone would leave it
        // ambiguous ("1,000" could be a decimal comma; "1,000.00" cannot).
        3 => {
            let grouped = with_thousands(&canonical);
            match grouped.matches(',').count() == 1 && !grouped.contains('.') {
                true => quote(&format!("{grouped}.00")),
                false => quote(&grouped),
            }
        }
        _ => {
            // Exponent form of the exact digits: 1200.5 → 12005e-1, 0.05 → 5e-2.
            let (sign, unsigned) = canonical
                .strip_prefix('-')
                .map_or(("", &canonical[..]), |u| ("-", u));
            let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
            let digits = format!("{int}{frac}");
            let digits = match digits.trim_start_matches('0') {
                "" => "0",
                d => d,
            };
            format!("{sign}{digits}e-{}", frac.len())
        }
    }
}

fn with_thousands(canonical: &str) -> String {
    let (sign, rest) = canonical
        .strip_prefix('-')
        .map_or(("", canonical), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// One of the equivalent spellings of an instant, as JSON text.
pub fn timestamp_spelling(ts: &DateTime<Utc>, rng: &mut SeededRng) -> String {
    let whole_second = ts.nanosecond() == 0;
    let midnight = whole_second && ts.num_seconds_from_midnight() == 0;
    // Epochs are read by magnitude (see `timestamp`), so use them only where
    // the unit is decidable: seconds below 10¹¹, milliseconds from 10¹¹ to
    // 10¹⁴ (a millisecond count below 10¹¹, before March 1973, reads as seconds).
    let seconds_ok = (0..100_000_000_000).contains(&ts.timestamp());
    let millis_ok = (100_000_000_000..100_000_000_000_000).contains(&ts.timestamp_millis());
    // An epoch whose digits also spell a compact date is refused (see
    // `timestamp::parse_number`): a client sends that instant otherwise.
    let epoch_ok = |n: i64| crate::pipeline::timestamp::parse_number(&n.to_string()).is_ok();
    let choice = rng.below(6);
    match choice {
        1 if whole_second && seconds_ok && epoch_ok(ts.timestamp()) => ts.timestamp().to_string(),
        2 if millis_ok && epoch_ok(ts.timestamp_millis()) => ts.timestamp_millis().to_string(),
        3 => {
            let hours = rng.below(27) as i32 - 12;
            // Offsets within ±12 h always exist; UTC is the fallback the types ask for.
            let offset = FixedOffset::east_opt(hours * 3600).unwrap_or(Utc.fix());
            quote(&ts.with_timezone(&offset).to_rfc3339())
        }
        // Written out rather than with chrono's `format`: its format-string
        // machinery costs the browser bundle several KB for two spellings.
        4 if midnight => quote(&format!(
            "{:04}/{:02}/{:02}",
            ts.year(),
            ts.month(),
            ts.day()
        )),
        5 if whole_second => quote(&format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            ts.year(),
            ts.month(),
            ts.day(),
            ts.hour(),
            ts.minute(),
            ts.second()
        )),
        _ => quote(&crate::pipeline::timestamp::canonical(ts)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::normalize::normalize;
    use crate::pipeline::rules::Rules;
    use crate::pipeline::timestamp::canonical;

    #[test]
    fn every_rendering_normalizes_to_the_logical_event() {
        let mut rng = SeededRng::new(7);
        let rules = Rules::default();
        for i in 0..2_000 {
            let mut event = random_event(&mut rng, &["client_A", "client_B"], &["sale", "refund"]);
            if i % 3 == 0 {
                event.idempotency_key = Some(format!("key-{i}"));
            }
            for shape in Shape::ALL {
                let text = render(&event, shape, &mut rng);
                let n = normalize(&text, &rules).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_eq!(n.client_id, event.client_id, "{text}");
                assert_eq!(n.metric, event.metric, "{text}");
                assert_eq!(n.amount, event.amount, "{text}");
                assert_eq!(
                    canonical(&n.timestamp),
                    canonical(&event.timestamp),
                    "{text}"
                );
                assert_eq!(n.idempotency_key, event.idempotency_key, "{text}");
            }
        }
    }

    #[test]
    fn exponent_spellings_are_valid_json() {
        let mut rng = SeededRng::new(1);
        for text in ["0.538526787", "-0.05", "0", "1200.5", "-7"] {
            let a = Amount::from_text(text).unwrap();
            for _ in 0..20 {
                let spelled = amount_spelling(a, &mut rng);
                let parsed = crate::pipeline::json::parse(&spelled)
                    .unwrap_or_else(|e| panic!("{spelled}: {e}"));
                let back = match parsed {
                    crate::pipeline::json::Json::Number(n) => Amount::from_json_number(&n).unwrap(),
                    crate::pipeline::json::Json::String(s) => Amount::from_text(&s).unwrap(),
                    other => panic!("{other:?}"),
                };
                assert_eq!(back, a, "{spelled}");
            }
        }
    }

    #[test]
    fn thousands_grouping() {
        assert_eq!(with_thousands("1234567.5"), "1,234,567.5");
        assert_eq!(with_thousands("-100"), "-100");
        assert_eq!(with_thousands("1000"), "1,000");
    }
}
