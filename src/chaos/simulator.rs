//! The chaos simulator: simulated clients send events through the real
//! pipeline and store, with resends, reshaped duplicates, database failures
//! and retries, and the run ends by comparing Tally's aggregates with the
//! simulator's own ground truth.
//!
//! Contract: a run is a pure function of its [`SimConfig`] (seed included)
//! and the ledger it runs against; [`Simulation::step`] advances it in slices
//! so a UI can show progress; [`Simulation::finish`] turns the failures off
//! and drains every client's outbox, as real clients eventually do; and
//! [`Simulation::report`] compares, per client and metric, the distinct events
//! the clients meant to send with what Tally committed. Client ids carry the
//! run id, so a run never mixes with other data in the same store.
//!
//! A run sends through a [`SimTarget`]: the app's own ledger, or
//! [`SimTabs`], several simulated tabs over one in-memory store, each with
//! its own lagging view of it (no Web Lock, refreshing at random), so their
//! answers race and are revised when their records merge. A tabs run passes
//! only if every tab, after catching up, derives exactly what a fresh reader
//! derives, and that equals the ground truth.

use super::sample::{random_event, render, LogicalEvent, Shape};
use super::tabs::{SimTabs, SimTarget};
use crate::ledger::{Failure, Fault, FaultPlan, FaultPoint, LedgerState, Outcome};
use crate::pipeline::amount::Amount;
use crate::report::{Aggregates, Filter};
use crate::rng::SeededRng;
use crate::store::StoreError;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashSet};

/// Each setting's address parameter and the whole numbers it accepts (rates
/// in percent): at most 90% failures, resends or reshapes, so a run ends.
const RANGES: [(&str, u64, u64); 10] = [
    ("seed", 0, u64::MAX),
    ("clients", 1, 20),
    ("events", 1, 20_000),
    ("resend", 0, 90),
    ("reshape", 0, 90),
    ("failure", 0, 90),
    ("attempts", 1, 10),
    ("backoff", 0, 60_000),
    ("tabs", 1, 8),
    ("refresh", 0, 100),
];

/// A setting an address asked for and could not have: its name (the
/// address parameter), why, and the text asked for, which the form shows
/// as it was written rather than a default in its place.
pub type AddressRefusal = (&'static str, String, String);

/// How a run behaves. Rates are parts per million.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Everything random in the run follows from this.
    pub seed: u64,
    /// How many simulated clients, each with its own payload shape.
    pub clients: usize,
    /// Distinct events each client sends.
    pub events_per_client: usize,
    /// Chance that a send is an exact resend of an earlier payload.
    pub resend_per_million: u32,
    /// Chance that a send is an earlier event in another shape.
    pub reshape_per_million: u32,
    /// Chance that the database fails a request, at each chosen point.
    pub failure_per_million: u32,
    /// Where the database fails.
    pub failure_points: Vec<FaultPoint>,
    /// Tries per send before the client parks the payload in its outbox.
    pub attempts: u32,
    /// The first retry's delay; each further retry doubles it (simulated time).
    pub backoff_ms: u64,
    /// Simulated tabs for [`SimTabs`] (the app's own ledger is one tab).
    pub tabs: usize,
    /// Chance that a tab sees the other tabs' writes before a send.
    pub refresh_per_million: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            clients: 4,
            events_per_client: 250,
            resend_per_million: 200_000,
            reshape_per_million: 100_000,
            failure_per_million: 200_000,
            failure_points: FaultPoint::ALL.to_vec(),
            attempts: 3,
            backoff_ms: 100,
            tabs: 1,
            refresh_per_million: 300_000,
        }
    }
}

impl SimConfig {
    /// The settings as address parameters (rates in whole percent), so a
    /// run can be shared and replayed: `seed=7&clients=4&…`.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let percent = |ppm: u32| (ppm / 10_000).to_string();
        let points: Vec<&str> = self
            .failure_points
            .iter()
            .map(|p| match p {
                FaultPoint::BeforeRaw => "before_raw",
                FaultPoint::MidRequest => "mid_request",
                FaultPoint::LostAck => "lost_ack",
            })
            .collect();
        vec![
            ("seed", self.seed.to_string()),
            ("clients", self.clients.to_string()),
            ("events", self.events_per_client.to_string()),
            ("resend", percent(self.resend_per_million)),
            ("reshape", percent(self.reshape_per_million)),
            ("failure", percent(self.failure_per_million)),
            ("points", points.join(",")),
            ("attempts", self.attempts.to_string()),
            ("backoff", self.backoff_ms.to_string()),
            ("tabs", self.tabs.to_string()),
            ("refresh", percent(self.refresh_per_million)),
        ]
    }

    /// The whole numbers the setting `name` (its address parameter; rates
    /// in percent) accepts. The form's boxes and the address refuse the
    /// same values.
    pub fn range(name: &str) -> (u64, u64) {
        RANGES
            .iter()
            .find(|(n, ..)| *n == name)
            .map_or((0, u64::MAX), |&(_, min, max)| (min, max))
    }

    /// `text` as the setting `name`, or why it is refused ("not a whole
    /// number from 1 to 20").
    pub fn setting(name: &str, text: &str) -> Result<u64, String> {
        let (min, max) = SimConfig::range(name);
        text.parse::<u64>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| format!("not a whole number from {min} to {max}"))
    }

    /// Settings from address parameters, and for each value that was
    /// refused its setting, why and the text refused: a missing value keeps
    /// its default, and so does one that is not a whole number in the range
    /// the form allows (never a nearby value in its place, which would be
    /// another run than the one shared).
    pub fn from_address(pairs: &[(String, String)]) -> (SimConfig, Vec<AddressRefusal>) {
        let mut c = SimConfig::default();
        let notes = std::cell::RefCell::new(Vec::new());
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let num = |name: &'static str| {
            let text = get(name)?;
            SimConfig::setting(name, text)
                .map_err(|why| {
                    notes.borrow_mut().push((
                        name,
                        format!(
                            "The address's {name}={text} is {why}: the run waits until you set a value in its box."
                        ),
                        text.to_string(),
                    ))
                })
                .ok()
        };
        let ppm = |name: &'static str| num(name).map(|p| p as u32 * 10_000);
        if let Some(v) = num("seed") {
            c.seed = v;
        }
        if let Some(v) = num("clients") {
            c.clients = v as usize;
        }
        if let Some(v) = num("events") {
            c.events_per_client = v as usize;
        }
        if let Some(v) = ppm("resend") {
            c.resend_per_million = v;
        }
        if let Some(v) = ppm("reshape") {
            c.reshape_per_million = v;
        }
        if let Some(v) = ppm("failure") {
            c.failure_per_million = v;
        }
        if let Some(points) = get("points") {
            c.failure_points = points
                .split(',')
                .filter_map(|p| match p {
                    "before_raw" => Some(FaultPoint::BeforeRaw),
                    "mid_request" => Some(FaultPoint::MidRequest),
                    "lost_ack" => Some(FaultPoint::LostAck),
                    _ => None,
                })
                .collect();
        }
        if let Some(v) = num("attempts") {
            c.attempts = v as u32;
        }
        if let Some(v) = num("backoff") {
            c.backoff_ms = v;
        }
        if let Some(v) = num("tabs") {
            c.tabs = v as usize;
        }
        if let Some(v) = ppm("refresh") {
            c.refresh_per_million = v;
        }
        (c, notes.into_inner())
    }
}

/// What happened during a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Payloads sent (new, resent and reshaped).
    pub sends: usize,
    /// Submissions made, retries included.
    pub attempts: usize,
    /// Submissions that failed.
    pub failures: usize,
    /// Answers that were Accepted.
    pub accepted: usize,
    /// Answers that were Duplicate.
    pub duplicates: usize,
    /// Answers that were Rejected or Conflict (none in a correct run).
    pub rejected: usize,
    /// Sends whose attempts all failed; parked in the outbox until `finish`.
    pub parked: usize,
    /// Failed attempts by where they failed: before the raw write,
    /// mid-request, lost acknowledgement, real storage.
    pub failures_at: [usize; 4],
    /// How many sends took 1, 2, 3, … attempts to be answered (index 0 is
    /// one attempt; a parked send counts its drain attempt too).
    pub attempts_per_send: Vec<usize>,
    /// The run over simulated time, one point per send.
    pub timeline: Vec<TimelinePoint>,
}

/// The run's cumulative figures at one moment of simulated time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimelinePoint {
    /// Simulated milliseconds since the run started.
    pub at_ms: i64,
    /// Attempts so far.
    pub attempts: usize,
    /// Failed attempts so far.
    pub failures: usize,
    /// Accepted answers so far (a lost acknowledgement commits without one).
    pub accepted: usize,
    /// Duplicates caught so far.
    pub duplicates: usize,
    /// Payloads waiting in the clients' outboxes now.
    pub waiting: usize,
}

/// Expected and actual figures for one client and metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRow {
    /// The simulated client.
    pub client_id: String,
    /// The metric.
    pub metric: String,
    /// Distinct events the client sent.
    pub expected_count: u64,
    /// Their exact sum.
    pub expected_sum: Amount,
    /// Events Tally counted.
    pub actual_count: u64,
    /// Tally's sum.
    pub actual_sum: Amount,
}

impl SimRow {
    /// Whether Tally's figures equal the ground truth.
    pub fn matches(&self) -> bool {
        self.expected_count == self.actual_count && self.expected_sum == self.actual_sum
    }
}

/// The verdict of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimReport {
    /// One row per client and metric.
    pub rows: Vec<SimRow>,
    /// Distinct events sent in total.
    pub expected_events: u64,
    /// Events Tally counted in total.
    pub actual_events: u64,
    /// Whether every tab derived what a fresh reader derives (always true
    /// for one ledger).
    pub converged: bool,
    /// Answers a merge of tabs' records revised (see `Submission::told`).
    pub revised: usize,
    /// Whether every row matches, nothing is left waiting, and the tabs
    /// converged.
    pub pass: bool,
}

/// The ground truth's notion of identity, from plain fields: the key when
/// there is one, otherwise the content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Key(String, String),
    Content(String, String, Amount, DateTime<Utc>),
}

struct SimClient {
    id: String,
    shape: Shape,
    sent_new: usize,
    /// Every logical event this client sent, with the text of its first send.
    history: Vec<(LogicalEvent, String)>,
}

/// A run in progress.
pub struct Simulation {
    config: SimConfig,
    rng: SeededRng,
    clients: Vec<SimClient>,
    next_client: usize,
    identities: HashSet<Identity>,
    truth: BTreeMap<(String, String), (u64, i128)>,
    parked: Vec<String>,
    /// Once finishing: the parked payloads not retried yet, the next last.
    draining: Option<Vec<String>>,
    clock: DateTime<Utc>,
    start: DateTime<Utc>,
    /// The real clock that stamps what the target receives, if set (see
    /// [`Simulation::received_by_real_clock`]).
    real_clock: Option<fn() -> DateTime<Utc>>,
    /// What happened so far.
    pub stats: SimStats,
}

impl Simulation {
    /// Prepares a run; `run_id` prefixes the client ids.
    pub fn new(config: SimConfig, run_id: &str, start: DateTime<Utc>) -> Simulation {
        let clients = (0..config.clients.max(1))
            .map(|i| SimClient {
                id: format!("{run_id}-client{}", i + 1),
                shape: Shape::ALL[i % Shape::ALL.len()],
                sent_new: 0,
                history: Vec::new(),
            })
            .collect();
        Simulation {
            rng: SeededRng::new(config.seed),
            config,
            clients,
            next_client: 0,
            identities: HashSet::new(),
            truth: BTreeMap::new(),
            parked: Vec::new(),
            draining: None,
            clock: start,
            start,
            real_clock: None,
            stats: SimStats::default(),
        }
    }

    /// Stamps what the target receives with a real clock. The simulation's
    /// own clock runs ahead through every backoff it does not wait, so a
    /// run into the app's ledger showed its submissions received minutes
    /// in the future; the timeline keeps the simulated clock.
    pub fn received_by_real_clock(&mut self, now: fn() -> DateTime<Utc>) {
        self.real_clock = Some(now);
    }

    fn received_at(&self) -> DateTime<Utc> {
        self.real_clock.map_or(self.clock, |now| now())
    }

    /// The fault plan the run applies to the ledger.
    pub fn fault_plan(&self) -> FaultPlan {
        let faults = self
            .config
            .failure_points
            .iter()
            .map(|&point| Fault {
                point,
                per_million: self.config.failure_per_million,
            })
            .collect();
        FaultPlan::new(faults, self.config.seed)
    }

    /// New events still to send.
    pub fn remaining(&self) -> usize {
        self.clients
            .iter()
            .map(|c| self.config.events_per_client - c.sent_new.min(self.config.events_per_client))
            .sum()
    }

    /// New events in the whole run.
    pub fn total(&self) -> usize {
        self.clients.len() * self.config.events_per_client
    }

    /// Sends up to `max_new` new events (with the resends and reshapes that
    /// fall between them) through `ledger`. Returns how many new events were
    /// sent; 0 when the run has nothing left to send.
    pub fn step<T: SimTarget>(&mut self, ledger: &mut T, max_new: usize) -> usize {
        let mut sent = 0;
        while sent < max_new && self.remaining() > 0 {
            let index = self.next_client % self.clients.len();
            self.next_client += 1;
            if self.clients[index].sent_new >= self.config.events_per_client {
                continue;
            }
            let has_history = !self.clients[index].history.is_empty();
            if has_history && self.rng.chance(self.config.resend_per_million) {
                let pick = self.rng.below(self.clients[index].history.len() as u64) as usize;
                let text = self.clients[index].history[pick].1.clone();
                self.send(ledger, &text);
                continue;
            }
            if has_history && self.rng.chance(self.config.reshape_per_million) {
                let pick = self.rng.below(self.clients[index].history.len() as u64) as usize;
                let event = self.clients[index].history[pick].0.clone();
                let shape = Shape::ALL[self.rng.below(Shape::ALL.len() as u64) as usize];
                let text = render(&event, shape, &mut self.rng);
                self.send(ledger, &text);
                continue;
            }
            let event = self.new_event(index);
            let text = render(&event, self.clients[index].shape, &mut self.rng);
            let key = (event.client_id.clone(), event.metric.clone());
            let entry = self.truth.entry(key).or_default();
            entry.0 += 1;
            entry.1 += event.amount.nanos();
            self.clients[index].history.push((event, text.clone()));
            self.clients[index].sent_new += 1;
            self.send(ledger, &text);
            sent += 1;
        }
        sent
    }

    /// A logical event distinct from every earlier one of the run.
    fn new_event(&mut self, client: usize) -> LogicalEvent {
        loop {
            let id = self.clients[client].id.clone();
            let mut e = random_event(&mut self.rng, &[id.as_str()], &["sale", "refund", "signup"]);
            if self.clients[client].shape == Shape::Sdk {
                e.idempotency_key =
                    Some(format!("msg-{}-{}", client, self.clients[client].sent_new));
            }
            let identity = match &e.idempotency_key {
                Some(k) => Identity::Key(e.client_id.clone(), k.clone()),
                None => {
                    Identity::Content(e.client_id.clone(), e.metric.clone(), e.amount, e.timestamp)
                }
            };
            if self.identities.insert(identity) {
                return e;
            }
        }
    }

    /// One send with the client's retry policy.
    fn send<T: SimTarget>(&mut self, ledger: &mut T, text: &str) {
        self.stats.sends += 1;
        let mut delay = self.config.backoff_ms;
        for attempt in 1..=self.config.attempts.max(1) {
            self.stats.attempts += 1;
            let outcome = ledger.send(text, self.received_at(), &mut self.rng);
            self.clock += Duration::milliseconds(1);
            if self.record(&outcome) {
                self.count_attempts(attempt as usize);
                self.mark(self.parked.len());
                return;
            }
            self.clock += Duration::milliseconds(delay as i64);
            delay = delay.saturating_mul(2);
        }
        self.stats.parked += 1;
        self.parked.push(text.to_string());
        self.mark(self.parked.len());
    }

    fn count_attempts(&mut self, attempts: usize) {
        let slot = attempts.max(1) - 1;
        if self.stats.attempts_per_send.len() <= slot {
            self.stats.attempts_per_send.resize(slot + 1, 0);
        }
        self.stats.attempts_per_send[slot] += 1;
    }

    /// Adds a point to the timeline: the figures now, with `waiting`
    /// payloads in the clients' outboxes.
    fn mark(&mut self, waiting: usize) {
        let point = TimelinePoint {
            at_ms: (self.clock - self.start).num_milliseconds(),
            attempts: self.stats.attempts,
            failures: self.stats.failures,
            accepted: self.stats.accepted,
            duplicates: self.stats.duplicates,
            waiting,
        };
        self.stats.timeline.push(point);
    }

    /// Counts an outcome; true when the send is done.
    fn record(&mut self, outcome: &Outcome) -> bool {
        match outcome {
            Outcome::Accepted { .. } => self.stats.accepted += 1,
            Outcome::Duplicate { .. } => self.stats.duplicates += 1,
            Outcome::Rejected { .. } | Outcome::Conflict { .. } => self.stats.rejected += 1,
            Outcome::Failed { failure } => {
                self.stats.failures += 1;
                let at = match failure {
                    Failure::Simulated(FaultPoint::BeforeRaw) => 0,
                    Failure::Simulated(FaultPoint::MidRequest) => 1,
                    Failure::Simulated(FaultPoint::LostAck) => 2,
                    _ => 3,
                };
                self.stats.failures_at[at] += 1;
                return false;
            }
        }
        true
    }

    /// Ends the run: the database recovers and every parked payload is
    /// retried until it gets an answer, as the clients' outboxes would.
    pub fn finish<T: SimTarget>(&mut self, ledger: &mut T) {
        while self.finish_step(ledger, usize::MAX) > 0 {}
    }

    /// Part of [`Simulation::finish`]: retries at most `max` of the parked
    /// payloads and returns how many it retried, 0 once all were. A page
    /// calls it a slice at a time, so it keeps responding while thousands
    /// drain.
    pub fn finish_step<T: SimTarget>(&mut self, ledger: &mut T, max: usize) -> usize {
        ledger.set_faults(FaultPlan::none());
        let mut waiting = match self.draining.take() {
            Some(waiting) => waiting,
            None => {
                let mut parked = std::mem::take(&mut self.parked);
                parked.reverse();
                parked
            }
        };
        let mut sent = 0;
        while sent < max {
            let Some(text) = waiting.pop() else { break };
            sent += 1;
            self.stats.attempts += 1;
            let outcome = ledger.send(&text, self.received_at(), &mut self.rng);
            self.clock += Duration::milliseconds(1);
            if self.record(&outcome) {
                self.count_attempts(self.config.attempts.max(1) as usize + 1);
            } else {
                // Real storage refused (full?): keep it parked and say so.
                self.parked.push(text);
            }
            self.mark(waiting.len() + self.parked.len());
        }
        self.draining = Some(waiting);
        sent
    }

    /// Payloads still waiting after `finish` (only if real storage failed).
    pub fn still_parked(&self) -> usize {
        self.parked.len()
    }

    /// Compares the ground truth with what `state` committed for this run.
    pub fn report(&self, state: &LedgerState) -> SimReport {
        let ours: HashSet<&str> = self.clients.iter().map(|c| c.id.as_str()).collect();
        let agg = Aggregates::compute(
            state
                .events()
                .iter()
                .filter(|e| ours.contains(&*e.client_id)),
            &Filter::default(),
        );
        let mut keys: Vec<(String, String)> = self.truth.keys().cloned().collect();
        keys.extend(
            agg.by_client_metric
                .keys()
                .map(|(c, m)| (c.to_string(), m.to_string())),
        );
        crate::order::sort(&mut keys);
        keys.dedup();
        let rows: Vec<SimRow> = keys
            .into_iter()
            .map(|(client_id, metric)| {
                let (expected_count, nanos) = self
                    .truth
                    .get(&(client_id.clone(), metric.clone()))
                    .copied()
                    .unwrap_or((0, 0));
                let actual = agg
                    .by_client_metric
                    .get(&(client_id.as_str().into(), metric.as_str().into()));
                SimRow {
                    expected_count,
                    expected_sum: Amount::from_nanos(nanos),
                    actual_count: actual.map_or(0, |s| s.count),
                    actual_sum: actual.map_or(Amount::ZERO, |s| s.sum),
                    client_id,
                    metric,
                }
            })
            .collect();
        let expected_events = rows.iter().map(|r| r.expected_count).sum();
        let actual_events = rows.iter().map(|r| r.actual_count).sum();
        SimReport {
            pass: rows.iter().all(SimRow::matches) && self.parked.is_empty(),
            rows,
            expected_events,
            actual_events,
            converged: true,
            revised: state
                .submissions()
                .iter()
                .filter(|s| s.told.is_some())
                .count(),
        }
    }

    /// Lets the tabs converge, then compares the ground truth with what a
    /// fresh reader derives; fails the run if any tab disagrees with it.
    pub fn report_tabs(&self, tabs: &mut SimTabs) -> Result<SimReport, StoreError> {
        let (state, converged) = tabs.converge()?;
        let mut report = self.report(&state);
        report.converged = converged;
        report.pass &= converged;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Ledger, StoredLedger};
    use crate::store::{MemoryKv, SegmentJournal};
    use std::collections::BTreeSet;
    use std::rc::Rc;

    fn start() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    /// A run over an in-memory ledger with every new event sent, its
    /// outboxes not drained yet.
    fn sent(config: SimConfig) -> (StoredLedger<Rc<MemoryKv>>, Simulation) {
        let kv = Rc::new(MemoryKv::new());
        let journal = SegmentJournal::open(kv, "sim", start()).unwrap();
        let mut ledger = Ledger::open(journal, "sim").unwrap();
        let mut sim = Simulation::new(config, "run1", start());
        ledger.faults = sim.fault_plan();
        while sim.step(&mut ledger, 37) > 0 {}
        (ledger, sim)
    }

    fn run(config: SimConfig) -> (SimReport, SimStats) {
        let (mut ledger, mut sim) = sent(config);
        sim.finish(&mut ledger);
        (sim.report(ledger.state()), sim.stats.clone())
    }

    #[test]
    fn a_run_through_a_real_clock_is_received_at_its_time() {
        // With failures and backoff the simulation's clock runs ahead.
        let config = SimConfig {
            failure_per_million: 600_000,
            ..SimConfig::default()
        };
        let kv = Rc::new(MemoryKv::new());
        let journal = SegmentJournal::open(kv, "sim", start()).unwrap();
        let mut ledger = Ledger::open(journal, "sim").unwrap();
        let mut sim = Simulation::new(config, "run1", start());
        sim.received_by_real_clock(start);
        ledger.faults = sim.fault_plan();
        while sim.step(&mut ledger, 37) > 0 {}
        sim.finish(&mut ledger);
        assert!(sim.clock > start() + Duration::seconds(1), "{}", sim.clock);
        let times: BTreeSet<_> = ledger
            .state()
            .submissions()
            .iter()
            .map(|s| s.received_at)
            .collect();
        assert_eq!(times, BTreeSet::from([start()]));
    }

    #[test]
    fn draining_the_outboxes_in_slices_is_the_same_run_as_at_once() {
        let config = SimConfig {
            failure_per_million: 600_000,
            ..SimConfig::default()
        };
        let (whole, whole_stats) = run(config.clone());
        let (mut ledger, mut sim) = sent(config);
        let mut slices = 0;
        while sim.finish_step(&mut ledger, 3) > 0 {
            slices += 1;
        }
        assert!(slices > 10, "the outboxes held many: {slices} slices");
        assert_eq!(
            sim.finish_step(&mut ledger, 3),
            0,
            "drained once, not again"
        );
        assert_eq!(
            (sim.report(ledger.state()), sim.stats.clone()),
            (whole, whole_stats)
        );
    }

    #[test]
    fn a_chaotic_run_passes_with_exact_totals() {
        let (report, stats) = run(SimConfig::default());
        assert!(report.pass, "{report:#?}");
        assert_eq!(report.expected_events, 1000);
        assert_eq!(report.actual_events, 1000);
        assert!(
            stats.failures > 100,
            "the run really failed often: {stats:?}"
        );
        assert!(
            stats.parked > 0,
            "some sends exhausted their retries: {stats:?}"
        );
        assert!(
            stats.duplicates > 200,
            "resends and reshapes happened: {stats:?}"
        );
    }

    #[test]
    fn the_timeline_and_histogram_add_up_to_the_runs_figures() {
        let (_, stats) = run(SimConfig {
            events_per_client: 80,
            ..SimConfig::default()
        });
        let last = stats.timeline.last().copied().unwrap_or_default();
        assert_eq!(
            (
                last.attempts,
                last.failures,
                last.accepted,
                last.duplicates,
                last.waiting
            ),
            (
                stats.attempts,
                stats.failures,
                stats.accepted,
                stats.duplicates,
                0
            ),
            "the last point is the run's end, with every outbox drained"
        );
        assert!(stats
            .timeline
            .windows(2)
            .all(|w| w[0].at_ms <= w[1].at_ms && w[0].attempts <= w[1].attempts));
        assert!(
            stats.timeline.iter().any(|p| p.waiting > 0),
            "something waited in an outbox"
        );
        assert_eq!(stats.failures_at.iter().sum::<usize>(), stats.failures);
        assert_eq!(stats.attempts_per_send.iter().sum::<usize>(), stats.sends);
        let attempts: usize = stats
            .attempts_per_send
            .iter()
            .enumerate()
            .map(|(i, n)| (i + 1) * n)
            .sum();
        assert_eq!(
            attempts, stats.attempts,
            "every attempt is in the histogram"
        );
    }

    #[test]
    fn settings_survive_the_address_and_bad_values_keep_defaults() {
        let config = SimConfig {
            seed: 42,
            clients: 3,
            events_per_client: 77,
            failure_points: vec![FaultPoint::LostAck],
            tabs: 3,
            ..SimConfig::default()
        };
        let pairs: Vec<(String, String)> = config
            .to_pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(SimConfig::from_address(&pairs), (config, vec![]));
        let odd = [
            ("clients".to_string(), "999".to_string()),
            ("events".to_string(), "lots".to_string()),
            ("failure".to_string(), "150".to_string()),
            ("tabs".to_string(), "0".to_string()),
        ];
        let (read, notes) = SimConfig::from_address(&odd);
        assert_eq!(read, SimConfig::default(), "refused, never clamped");
        assert_eq!(notes.len(), 4, "{notes:?}");
        assert_eq!(
            notes[0],
            (
                "clients",
                "The address's clients=999 is not a whole number from 1 to 20: the run waits until you set a value in its box.".to_string(),
                "999".to_string()
            )
        );
    }

    #[test]
    fn a_run_is_reproducible_from_its_seed() {
        let config = SimConfig {
            events_per_client: 60,
            ..SimConfig::default()
        };
        assert_eq!(run(config.clone()), run(config.clone()));
        let other = run(SimConfig {
            seed: 2,
            ..config.clone()
        });
        assert_ne!(other.1, run(config).1);
    }

    #[test]
    fn several_tabs_with_lagging_views_race_converge_and_pass() {
        let config = SimConfig {
            events_per_client: 120,
            tabs: 3,
            ..SimConfig::default()
        };
        let mut tabs = SimTabs::new(config.tabs, config.refresh_per_million, start()).unwrap();
        let mut sim = Simulation::new(config, "tabs", start());
        tabs.set_faults(sim.fault_plan());
        while sim.step(&mut tabs, 37) > 0 {}
        sim.finish(&mut tabs);
        let report = sim.report_tabs(&mut tabs).unwrap();
        assert!(report.pass && report.converged, "{report:#?}");
        assert_eq!(report.actual_events, 480);
        assert!(
            report.revised > 0,
            "tabs really raced and were revised: {report:#?}"
        );
    }

    #[test]
    fn the_report_catches_a_miscount() {
        let kv = Rc::new(MemoryKv::new());
        let journal = SegmentJournal::open(kv, "sim", start()).unwrap();
        let mut ledger = Ledger::open(journal, "sim").unwrap();
        let mut sim = Simulation::new(
            SimConfig {
                events_per_client: 10,
                ..SimConfig::default()
            },
            "run2",
            start(),
        );
        while sim.step(&mut ledger, 100) > 0 {}
        sim.finish(&mut ledger);
        assert!(sim.report(ledger.state()).pass);
        // An extra event for a simulated client that the clients never sent.
        ledger.submit(
            r#"{"client":"run2-client1","metric":"sale","amount":1,"ts":"2020-01-01"}"#,
            start(),
        );
        let report = sim.report(ledger.state());
        assert!(!report.pass);
        assert!(report.rows.iter().any(|r| !r.matches()));
    }
}
