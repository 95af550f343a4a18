//! The pipeline's stages, in the order one submission goes through them:
//! strict JSON ([`json`]), the mapping [`rules`], exact [`amount`]s and
//! [`timestamp`]s, [`normalize`] into one canonical event with provenance,
//! and its identity ([`fingerprint`], with RFC 8785 [`jcs`] for the raw
//! payload). [`bulk`] splits many submissions into items first.
//!
//! Contract: every stage is a pure function of its input and the rules;
//! every refusal names the field and why; nothing here touches storage.

pub mod amount;
pub mod bulk;
pub mod fingerprint;
pub mod jcs;
pub mod json;
pub mod normalize;
pub mod rules;
pub mod timestamp;
