//! CSV export of aggregates, safe to open in a spreadsheet.
//!
//! Contract: every field is quoted (RFC 4180), and a field that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage
//! return first) is prefixed with `'` so client-controlled names can never
//! execute in Excel or Sheets. Numbers keep their exact decimal text; a
//! number's leading minus is the one case left as is, because it is data.
//! Client and metric have columns of their own besides the row's key, so a
//! (client, metric) row is read back as its two names, whatever they hold.

use crate::report::{pair_label, Aggregates, Stats};

fn field(text: &str, numeric: bool) -> String {
    let risky = !numeric && text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if risky {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// One row: its group, its key in words, the client and metric it is of
/// (empty where the group has none), the figures, and whether the mean is
/// exact (`no`: rounded to nine decimals, which the number cannot say).
fn row(group: &str, key: &str, (client, metric): (&str, &str), s: &Stats) -> String {
    [
        field(group, false),
        field(key, false),
        field(client, false),
        field(metric, false),
        field(&s.count.to_string(), true),
        field(&s.sum.to_string(), true),
        field(&s.min.to_string(), true),
        field(&s.max.to_string(), true),
        field(&s.mean().to_string(), true),
        field(if s.mean_is_exact() { "yes" } else { "no" }, false),
    ]
    .join(",")
}

/// Every grouping of `agg` as one CSV table. `scope` is the overall row's
/// key: "all", or the filter the figures are of, so that a filtered file
/// says so (an outside review read one's overall row as everything).
pub fn aggregates_csv(agg: &Aggregates, scope: &str) -> String {
    let mut lines = vec![
        "\"group\",\"key\",\"client\",\"metric\",\"count\",\"sum\",\"min\",\"max\",\"mean\",\"mean_exact\""
            .to_string(),
    ];
    if let Some(s) = &agg.overall {
        lines.push(row("overall", scope, ("", ""), s));
    }
    lines.extend(
        agg.by_client
            .iter()
            .map(|(c, s)| row("client", c, (c, ""), s)),
    );
    lines.extend(
        agg.by_metric
            .iter()
            .map(|(m, s)| row("metric", m, ("", m), s)),
    );
    lines.extend(
        agg.by_client_metric
            .iter()
            .map(|((c, m), s)| row("client_metric", &pair_label(c, m), (c, m), s)),
    );
    lines.extend(
        agg.by_day
            .iter()
            .map(|(d, s)| row("day", &d.to_string(), ("", ""), s)),
    );
    lines.join("\r\n") + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Ledger;
    use crate::report::Filter;

    #[test]
    fn exact_numbers_and_defused_formulas() {
        let mut l = Ledger::in_memory("t");
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        l.submit(r#"{"client":"=HYPERLINK(\"http://x\")","metric":"sale","amount":"0.1","ts":"2024-01-01"}"#, now);
        l.submit(r#"{"client":"=HYPERLINK(\"http://x\")","metric":"sale","amount":"-0.3","ts":"2024-01-02"}"#, now);
        let csv = aggregates_csv(
            &Aggregates::compute(l.state().events(), &Filter::default()),
            "all",
        );
        assert!(csv.starts_with("\"group\",\"key\",\"client\",\"metric\",\"count\",\"sum\""));
        assert!(
            csv.contains(
                "\"overall\",\"all\",\"\",\"\",\"2\",\"-0.2\",\"-0.3\",\"0.1\",\"-0.1\",\"yes\""
            ),
            "{csv}"
        );
        // A mean rounded to nine decimals says so.
        l.submit(
            r#"{"client":"c","metric":"sale","amount":"0.000000001","ts":"2024-01-03"}"#,
            now,
        );
        let csv = aggregates_csv(
            &Aggregates::compute(l.state().events(), &Filter::default()),
            "all",
        );
        assert!(
            csv.contains("\"overall\",\"all\",\"\",\"\",\"3\",\"-0.199999999\",\"-0.3\",\"0.1\",\"-0.066666666\",\"no\""),
            "{csv}"
        );
        assert!(
            csv.contains("\"client\",\"'=HYPERLINK(\"\"http://x\"\")\""),
            "{csv}"
        );
        assert!(csv.contains("\"day\",\"2024-01-02\",\"\",\"\",\"1\",\"-0.3\""));
        assert!(
            !csv.contains(",\"=HYPERLINK"),
            "no cell starts with a formula"
        );
    }

    #[test]
    fn pairs_whose_names_hold_the_separator_stay_apart() {
        let mut l = Ledger::in_memory("t");
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        l.submit(
            r#"{"client":"acme / eu","metric":"sale","amount":"1","ts":"2024-05-01"}"#,
            now,
        );
        l.submit(
            r#"{"client":"acme","metric":"eu / sale","amount":"2","ts":"2024-05-01"}"#,
            now,
        );
        let agg = Aggregates::compute(l.state().events(), &Filter::default());
        let labels: Vec<String> = agg
            .by_client_metric
            .keys()
            .map(|(c, m)| pair_label(c, m))
            .collect();
        assert_eq!(labels, [r#"acme / "eu / sale""#, r#""acme / eu" / sale"#]);
        // Names are trimmed, so a slash may also end or start one.
        assert_ne!(pair_label("a /", "b"), pair_label("a", "/ b"));
        assert_eq!(pair_label("a /", "b"), r#""a /" / b"#);
        let csv = aggregates_csv(&agg, "all");
        assert!(
            csv.contains(r#""client_metric","""acme / eu"" / sale","acme / eu","sale","1""#),
            "{csv}"
        );
        assert!(
            csv.contains(r#""client_metric","acme / ""eu / sale""","acme","eu / sale","1""#),
            "{csv}"
        );
    }
}
