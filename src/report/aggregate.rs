//! Aggregates: exact statistics derived from the committed events only.
//!
//! Contract: [`Aggregates::compute`] reads committed events (nothing else) and
//! returns count, sum, min, max and mean overall, per client, per metric, per
//! client × metric and per UTC day, after a [`Filter`]. Nothing is cached
//! between calls, so the figures cannot drift from the events they describe.
//! Sums are exact: [`crate::ledger::MAX_EVENTS`] events of at most
//! [`crate::pipeline::amount::MAX_UNITS`] each cannot overflow the nano-unit `i128`.

use crate::ledger::Event;
use crate::pipeline::amount::Amount;
use chrono::{DateTime, NaiveDate, Utc};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Count, sum, min and max of a group of amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// How many events.
    pub count: u64,
    /// Their exact total.
    pub sum: Amount,
    /// The smallest amount.
    pub min: Amount,
    /// The largest amount.
    pub max: Amount,
}

impl Stats {
    fn of(amount: Amount) -> Stats {
        Stats {
            count: 1,
            sum: amount,
            min: amount,
            max: amount,
        }
    }

    fn add(&mut self, amount: Amount) {
        self.count += 1;
        // Unreachable saturation: see the module contract.
        self.sum = self
            .sum
            .checked_add(amount)
            .unwrap_or(if amount > Amount::ZERO {
                Amount::from_nanos(i128::MAX)
            } else {
                Amount::from_nanos(i128::MIN)
            });
        self.min = self.min.min(amount);
        self.max = self.max.max(amount);
    }

    /// The mean, rounded half away from zero at nine decimal places.
    pub fn mean(&self) -> Amount {
        self.sum.mean(self.count).unwrap_or(Amount::ZERO)
    }

    /// Whether [`Stats::mean`] is the mean exactly, not rounded to nine
    /// decimals (the sum divides by the count in nano-units): a view or a
    /// file must not show a rounded mean as if it were exact.
    pub fn mean_is_exact(&self) -> bool {
        self.count == 0 || self.sum.nanos() % i128::from(self.count) == 0
    }
}

/// Which events to aggregate. Empty fields match everything; the time range
/// is half-open, `from` inclusive and `to` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this client, if set.
    pub client_id: Option<String>,
    /// Only this metric, if set.
    pub metric: Option<String>,
    /// Only events at or after this instant, if set.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this instant, if set.
    pub to: Option<DateTime<Utc>>,
}

impl Filter {
    /// Whether `event` passes the filter.
    pub fn matches(&self, event: &Event) -> bool {
        self.client_id
            .as_ref()
            .is_none_or(|c| **c == *event.client_id)
            && self.metric.as_ref().is_none_or(|m| **m == *event.metric)
            && self.from.is_none_or(|f| event.timestamp >= f)
            && self.to.is_none_or(|t| event.timestamp < t)
    }

    /// Why no event can pass, when the filter itself says so: a range that
    /// ends before it starts, or a client or metric no committed event has
    /// (an address can name one, such as a simulation's that lived in
    /// memory). An empty list with no word of why read as data lost.
    pub fn why_nothing(&self, clients: &[String], metrics: &[String]) -> Option<String> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from >= to {
                return Some("From is after To, so no day is in the range.".into());
            }
        }
        let unknown = |name: &Option<String>, known: &[String], what: &str| {
            name.as_ref().filter(|n| !known.contains(n)).map(|n| {
                format!(
                    "No committed event has the {what} {}.",
                    crate::pipeline::json::quote(n)
                )
            })
        };
        unknown(&self.client_id, clients, "client")
            .or_else(|| unknown(&self.metric, metrics, "metric"))
    }

    /// Why nothing matches when [`Filter::why_nothing`] finds no single
    /// cause: the filters match only apart.
    pub fn none_match(&self) -> String {
        let quote = crate::pipeline::json::quote;
        match (&self.client_id, &self.metric, self.from.or(self.to)) {
            (Some(c), Some(m), None) => format!(
                "The client {} has no committed event with the metric {}.",
                quote(c),
                quote(m)
            ),
            _ => "No committed event matches the filters above: each matches some events, but not together.".into(),
        }
    }
}

/// Every grouping the UI shows, each in a stable sorted order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregates {
    /// `None` when no event matched.
    pub overall: Option<Stats>,
    /// Per client id.
    pub by_client: BTreeMap<Arc<str>, Stats>,
    /// Per metric.
    pub by_metric: BTreeMap<Arc<str>, Stats>,
    /// Per (client id, metric) pair.
    pub by_client_metric: BTreeMap<(Arc<str>, Arc<str>), Stats>,
    /// By the UTC calendar day of the event's timestamp.
    pub by_day: BTreeMap<NaiveDate, Stats>,
}

fn bump<K: Ord>(map: &mut BTreeMap<K, Stats>, key: K, amount: Amount) {
    map.entry(key)
        .and_modify(|s| s.add(amount))
        .or_insert_with(|| Stats::of(amount));
}

/// A (client, metric) pair in words, "client / metric", one pair to one
/// label: a part holding a slash or a quote is quoted (and escaped), so the
/// client "acme / eu" with "sale" and "acme" with "eu / sale", or "a /" with
/// "b" and "a" with "/ b", never read alike.
pub fn pair_label(client: &str, metric: &str) -> String {
    let part = |text: &str| {
        if text.contains(['/', '"']) {
            format!("{text:?}")
        } else {
            text.to_string()
        }
    };
    format!("{} / {}", part(client), part(metric))
}

impl Aggregates {
    /// Aggregates the events that pass `filter` (the ledger's shared
    /// events, or events of one's own).
    pub fn compute<'a, E: Borrow<Event> + 'a>(
        events: impl IntoIterator<Item = &'a E>,
        filter: &Filter,
    ) -> Aggregates {
        let mut agg = Aggregates::default();
        let events = events.into_iter().map(Borrow::borrow);
        for e in events.filter(|e| filter.matches(e)) {
            match &mut agg.overall {
                Some(s) => s.add(e.amount),
                None => agg.overall = Some(Stats::of(e.amount)),
            }
            bump(&mut agg.by_client, e.client_id.clone(), e.amount);
            bump(&mut agg.by_metric, e.metric.clone(), e.amount);
            bump(
                &mut agg.by_client_metric,
                (e.client_id.clone(), e.metric.clone()),
                e.amount,
            );
            bump(&mut agg.by_day, e.timestamp.date_naive(), e.amount);
        }
        agg
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_filter_that_excludes_everything_says_why() {
        use super::Filter;
        let day = |d: u32| {
            chrono::NaiveDate::from_ymd_opt(2024, 1, d)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        };
        let known = ["acme".to_string()];
        let inverted = Filter {
            from: day(5),
            to: day(3),
            ..Filter::default()
        };
        assert_eq!(
            inverted.why_nothing(&known, &known).as_deref(),
            Some("From is after To, so no day is in the range.")
        );
        let gone = Filter {
            client_id: Some("sim9-1".into()),
            ..Filter::default()
        };
        assert_eq!(
            gone.why_nothing(&known, &known).as_deref(),
            Some("No committed event has the client \"sim9-1\".")
        );
        let fine = Filter {
            client_id: Some("acme".into()),
            from: day(3),
            to: day(4),
            ..Filter::default()
        };
        assert_eq!(fine.why_nothing(&known, &known), None);
        assert!(fine.none_match().ends_with("but not together."));
        let pair = Filter {
            client_id: Some("acme".into()),
            metric: Some("fee".into()),
            ..Filter::default()
        };
        assert_eq!(
            pair.none_match(),
            "The client \"acme\" has no committed event with the metric \"fee\"."
        );
    }

    use super::*;
    use crate::ledger::SubmissionId;
    use crate::pipeline::fingerprint::key_id;

    fn event(client: &str, metric: &str, amount: &str, ts: &str) -> Event {
        let id = key_id(client, &format!("{metric}{amount}{ts}"));
        Event {
            event_id: id.clone(),
            content_id: id.clone(),
            raw_fingerprint: id,
            client_id: client.into(),
            metric: metric.into(),
            amount: Amount::from_text(amount).unwrap(),
            timestamp: DateTime::parse_from_rfc3339(ts)
                .unwrap()
                .with_timezone(&Utc),
            idempotency_key: None,
            ingested_at: DateTime::parse_from_rfc3339(ts)
                .unwrap()
                .with_timezone(&Utc),
            submission: SubmissionId {
                writer: "t".into(),
                seq: 0,
            },
        }
    }

    fn sample() -> Vec<Event> {
        vec![
            event("A", "sale", "0.1", "2024-01-01T10:00:00Z"),
            event("A", "sale", "0.2", "2024-01-01T23:59:59Z"),
            event("A", "refund", "-5", "2024-01-02T00:00:00Z"),
            event("B", "sale", "1200", "2024-01-02T12:00:00Z"),
        ]
    }

    #[test]
    fn groups_and_exact_sums() {
        let agg = Aggregates::compute(&sample(), &Filter::default());
        let overall = agg.overall.unwrap();
        assert_eq!(overall.count, 4);
        assert_eq!(overall.sum.to_string(), "1195.3");
        assert_eq!(overall.min.to_string(), "-5");
        assert_eq!(overall.max.to_string(), "1200");
        assert_eq!(overall.mean().to_string(), "298.825");
        assert!(overall.mean_is_exact());
        let mut thirds = Stats::of(Amount::from_nanos(1));
        for nanos in [1, 2] {
            thirds.add(Amount::from_nanos(nanos));
        }
        assert_eq!(thirds.mean(), Amount::from_nanos(1), "1.333… nano-units");
        assert!(!thirds.mean_is_exact());
        assert_eq!(agg.by_client["A"].sum.to_string(), "-4.7");
        assert_eq!(agg.by_metric["sale"].sum.to_string(), "1200.3");
        assert_eq!(
            agg.by_client_metric[&("A".into(), "sale".into())]
                .sum
                .to_string(),
            "0.3"
        );
        let days: Vec<_> = agg
            .by_day
            .iter()
            .map(|(d, s)| (d.to_string(), s.count))
            .collect();
        assert_eq!(
            days,
            [("2024-01-01".to_string(), 2), ("2024-01-02".to_string(), 2)]
        );
    }

    #[test]
    fn filters_by_client_metric_and_half_open_range() {
        let events = sample();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let f = Filter {
            client_id: Some("A".into()),
            from: Some(at("2024-01-01T23:59:59Z")),
            to: Some(at("2024-01-02T00:00:00Z")),
            ..Filter::default()
        };
        assert_eq!(
            Aggregates::compute(&events, &f)
                .overall
                .unwrap()
                .sum
                .to_string(),
            "0.2"
        );
        let sales = Filter {
            metric: Some("sale".into()),
            ..Filter::default()
        };
        assert_eq!(
            Aggregates::compute(&events, &sales).overall.unwrap().count,
            3
        );
        let none = Filter {
            client_id: Some("Z".into()),
            ..Filter::default()
        };
        let empty = Aggregates::compute(&events, &none);
        assert_eq!(empty, Aggregates::default());
    }
}
