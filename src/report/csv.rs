//! CSV export of aggregates, safe to open in a spreadsheet.
//!
//! Contract: every field is quoted (RFC 4180), and a field that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage
//! return first) is prefixed with `'` so client-controlled names can never
//! execute in Excel or Sheets. Numbers keep their exact decimal text; a
//! number's leading minus is the one case left as is, because it is data.

use crate::report::{Aggregates, Stats};

fn field(text: &str, numeric: bool) -> String {
    let risky = !numeric && text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if risky {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn row(group: &str, key: &str, s: &Stats) -> String {
    [
        field(group, false),
        field(key, false),
        field(&s.count.to_string(), true),
        field(&s.sum.to_string(), true),
        field(&s.min.to_string(), true),
        field(&s.max.to_string(), true),
        field(&s.mean().to_string(), true),
    ]
    .join(",")
}

/// Every grouping of `agg` as one CSV table.
pub fn aggregates_csv(agg: &Aggregates) -> String {
    let mut lines =
        vec!["\"group\",\"key\",\"count\",\"sum\",\"min\",\"max\",\"mean\"".to_string()];
    if let Some(s) = &agg.overall {
        lines.push(row("overall", "all", s));
    }
    lines.extend(agg.by_client.iter().map(|(k, s)| row("client", k, s)));
    lines.extend(agg.by_metric.iter().map(|(k, s)| row("metric", k, s)));
    lines.extend(
        agg.by_client_metric
            .iter()
            .map(|((c, m), s)| row("client_metric", &format!("{c} / {m}"), s)),
    );
    lines.extend(
        agg.by_day
            .iter()
            .map(|(d, s)| row("day", &d.to_string(), s)),
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
        let csv = aggregates_csv(&Aggregates::compute(l.state().events(), &Filter::default()));
        assert!(csv.starts_with("\"group\",\"key\",\"count\",\"sum\""));
        assert!(
            csv.contains("\"overall\",\"all\",\"2\",\"-0.2\",\"-0.3\",\"0.1\",\"-0.1\""),
            "{csv}"
        );
        assert!(
            csv.contains("\"client\",\"'=HYPERLINK(\"\"http://x\"\")\""),
            "{csv}"
        );
        assert!(csv.contains("\"day\",\"2024-01-02\",\"1\",\"-0.3\""));
        assert!(
            !csv.contains(",\"=HYPERLINK"),
            "no cell starts with a formula"
        );
    }
}
