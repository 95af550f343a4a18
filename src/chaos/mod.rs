//! Chaos: events in the shapes real clients send, and the simulator that
//! sends them through the real pipeline and store with resends, reshapes,
//! failures and several tabs, judged against its own ground truth.

mod sample;
mod simulator;
mod tabs;

pub use sample::{amount_spelling, random_event, render, timestamp_spelling, LogicalEvent, Shape};
pub use simulator::{
    AddressRefusal, SimConfig, SimReport, SimRow, SimStats, Simulation, TimelinePoint,
};
pub use tabs::{SimTabs, SimTarget};
