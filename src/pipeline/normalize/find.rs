//! Finding a field's values in a submission.
//!
//! Contract: [`Members::candidates`] lists every value sent under one of a
//! field's aliases, in a fixed order: the top level before the envelopes
//! (in the rules' order of envelope names, each envelope's members in the
//! order sent); within each of those, by the alias's place in the rules (a
//! client's own aliases before the global ones), then in the order sent. A
//! key matches an alias whatever its ASCII case (`Amount` is `amount`), and
//! a member that matches several aliases of one field is taken once. `null`
//! is absent, and a member named like an envelope that holds an object is
//! an envelope, not a value (`event` is a metric when it is text).
//!
//! Why an index: the first version compared every alias with every member,
//! for every field and again for every envelope, which was a fifth of an
//! import's instructions. [`AliasIndex`] arranges the rules once per batch
//! by each name's ASCII-lowercase spelling, so a submission costs one
//! look-up per member. The first version stays in the tests as the
//! reference this one is compared with.

use crate::pipeline::json::Json;
use crate::pipeline::rules::{Aliases, Field, Rules};

/// No place: the name is not an alias of that field, or not an envelope.
const NONE: u32 = u32::MAX;

/// A name's place in the alias list of each field and in the envelopes';
/// a name listed twice keeps its first place.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Place {
    fields: [u32; 5],
    envelope: u32,
}

const NOWHERE: Place = Place {
    fields: [NONE; 5],
    envelope: NONE,
};

/// Names by their ASCII-lowercase spelling, sorted for a binary search (a
/// hash map of them cost the bundle 5 KB for no measurable speed).
#[derive(Debug, Default)]
struct Names {
    sorted: Vec<(String, Place)>,
    /// How many aliases each field has: a client's places come first, so
    /// the global places are shifted by these.
    lengths: [u32; 5],
}

impl Names {
    fn of(aliases: &Aliases, fields: &[Field]) -> Names {
        let mut names = Names::default();
        for &field in fields {
            let list = aliases.of(field);
            names.lengths[field as usize] = list.len() as u32;
            for (place, alias) in list.iter().enumerate() {
                let slot = &mut names.place_mut(alias).fields[field as usize];
                *slot = (*slot).min(place as u32);
            }
        }
        names
    }

    fn place_mut(&mut self, name: &str) -> &mut Place {
        let lower = name.to_ascii_lowercase();
        let i = match self
            .sorted
            .binary_search_by(|(n, _)| n.as_str().cmp(&lower))
        {
            Ok(i) => i,
            Err(i) => {
                self.sorted.insert(i, (lower, NOWHERE));
                i
            }
        };
        &mut self.sorted[i].1
    }

    /// The place of a name given in ASCII lowercase.
    fn get(&self, lower: &str) -> Place {
        self.sorted
            .binary_search_by(|(n, _)| n.as_str().cmp(lower))
            .map_or(NOWHERE, |i| self.sorted[i].1)
    }
}

/// The rules arranged for finding fields: built once, read for every
/// submission of a batch.
#[derive(Debug)]
pub struct AliasIndex {
    /// The global aliases and the envelopes.
    global: Names,
    /// Each client rule's own aliases, by client id as the rules sort
    /// them; the client id's aliases are not among them, since the client
    /// must be known before its rule applies.
    clients: Vec<(String, Names)>,
    /// The longest name, in bytes: a longer key matches nothing.
    longest: usize,
}

impl AliasIndex {
    /// Arranges `rules` for [`Members::of`].
    pub fn new(rules: &Rules) -> AliasIndex {
        let mut global = Names::of(&rules.aliases, &Field::ALL);
        for (place, name) in rules.envelopes.iter().enumerate() {
            let slot = &mut global.place_mut(name).envelope;
            *slot = (*slot).min(place as u32);
        }
        let clients: Vec<(String, Names)> = rules
            .clients
            .iter()
            .map(|(client, rule)| (client.clone(), Names::of(&rule.aliases, &Field::ALL[1..])))
            .collect();
        let longest = std::iter::once(&global)
            .chain(clients.iter().map(|(_, names)| names))
            .flat_map(|names| names.sorted.iter().map(|(name, _)| name.len()))
            .max()
            .unwrap_or(0);
        AliasIndex {
            global,
            clients,
            longest,
        }
    }

    /// The aliases of `client`'s own rule, if it has one.
    fn client(&self, client: &str) -> Option<&Names> {
        self.clients
            .binary_search_by(|(c, _)| c.as_str().cmp(client))
            .ok()
            .map(|i| &self.clients[i].1)
    }
}

/// One member of the submission or of one of its envelopes.
#[derive(Debug)]
struct Member<'a> {
    /// The envelope's key as sent, or `None` at the top level.
    envelope: Option<&'a str>,
    key: &'a str,
    value: &'a Json,
    /// Its place among each field's aliases, [`NONE`] where it is not one.
    places: [u32; 5],
    /// Its key is an envelope name (it is an envelope if it holds an object).
    names_envelope: bool,
}

/// A value found under one of a field's names.
#[derive(Debug, PartialEq)]
pub struct Candidate<'a> {
    /// Where it was: the key as sent, after its envelope's key and a dot.
    pub path: String,
    /// The value itself.
    pub value: &'a Json,
}

/// The members of a submission that rules could read, each with what its
/// name is: the top level's, then each envelope's.
#[derive(Debug)]
pub struct Members<'a> {
    members: Vec<Member<'a>>,
    /// Where each container's members start in `members`; the top level's
    /// at 0.
    starts: Vec<usize>,
}

/// `key` in ASCII lowercase, in `scratch`; `None` if no name is that long.
fn lowered<'s>(key: &str, longest: usize, scratch: &'s mut String) -> Option<&'s str> {
    if key.len() > longest {
        return None;
    }
    scratch.clear();
    scratch.push_str(key);
    scratch.make_ascii_lowercase();
    Some(scratch)
}

/// Inserts `item` after every element whose place is not after its own,
/// so `list` stays sorted by place and in arrival order within a place: a
/// stable sort one element at a time, for the few values a field has (the
/// standard library's stable sort cost the bundle more than all of this).
fn insert_stably<T>(list: &mut Vec<T>, item: T, place: impl Fn(&T) -> u32) {
    let own = place(&item);
    let at = list
        .iter()
        .rposition(|x| place(x) <= own)
        .map_or(0, |i| i + 1);
    list.insert(at, item);
}

/// Adds one member to `members`; returns its key's place among the
/// envelope names, if it is one.
fn read<'a>(
    members: &mut Vec<Member<'a>>,
    index: &AliasIndex,
    scratch: &mut String,
    envelope: Option<&'a str>,
    key: &'a str,
    value: &'a Json,
) -> Option<u32> {
    let place =
        lowered(key, index.longest, scratch).map_or(NOWHERE, |lower| index.global.get(lower));
    members.push(Member {
        envelope,
        key,
        value,
        places: place.fields,
        names_envelope: place.envelope != NONE,
    });
    (place.envelope != NONE).then_some(place.envelope)
}

impl<'a> Members<'a> {
    /// Reads the names of `root`'s members and of the members of its
    /// envelopes, with the global aliases.
    pub fn of(root: &'a Json, index: &AliasIndex) -> Members<'a> {
        let Json::Object(top) = root else {
            return Members {
                members: Vec::new(),
                starts: vec![0],
            };
        };
        let mut scratch = String::new();
        let mut members = Vec::with_capacity(top.len() + 8);
        // Envelopes, by their name's place and then as sent.
        let mut envelopes: Vec<(u32, &'a str, &'a Json)> = Vec::new();
        for (key, value) in top {
            let place = read(&mut members, index, &mut scratch, None, key, value);
            if let (Some(place), Json::Object(_)) = (place, value) {
                insert_stably(&mut envelopes, (place, key, value), |e| e.0);
            }
        }
        let mut starts = vec![0];
        for (_, envelope, inner) in envelopes {
            starts.push(members.len());
            let Json::Object(inner) = inner else {
                continue;
            };
            for (key, value) in inner {
                read(
                    &mut members,
                    index,
                    &mut scratch,
                    Some(envelope),
                    key,
                    value,
                );
            }
        }
        Members { members, starts }
    }

    /// Adds the aliases of `client`'s rule, if it has one, before the
    /// global ones of every field but the client id.
    pub fn for_client(&mut self, client: &str, index: &AliasIndex) {
        let Some(own) = index.client(client) else {
            return;
        };
        let mut scratch = String::new();
        for member in &mut self.members {
            let mine = lowered(member.key, index.longest, &mut scratch)
                .map_or(NOWHERE, |lower| own.get(lower))
                .fields;
            for field in &Field::ALL[1..] {
                let i = *field as usize;
                let global = member.places[i].saturating_add(own.lengths[i]);
                member.places[i] = mine[i].min(global);
            }
        }
    }

    /// The keys, as sent, that are no field's alias and no envelope holding
    /// an object, at the top level and in the envelopes, each once.
    pub fn unread(&self) -> Vec<&'a str> {
        let mut keys: Vec<&'a str> = Vec::new();
        for m in &self.members {
            let envelope = m.names_envelope && matches!(m.value, Json::Object(_));
            if m.places.iter().all(|&p| p == NONE) && !envelope && !keys.contains(&m.key) {
                keys.push(m.key);
            }
        }
        keys
    }

    /// Every value of `field`'s aliases, in the order the contract states.
    pub fn candidates(&self, field: Field) -> Vec<Candidate<'a>> {
        let i = field as usize;
        let mut found = Vec::new();
        let ends = self
            .starts
            .iter()
            .skip(1)
            .copied()
            .chain([self.members.len()]);
        for (start, end) in self.starts.iter().copied().zip(ends) {
            let mut taken: Vec<&Member<'a>> = Vec::new();
            let values = self.members[start..end]
                .iter()
                .filter(|m| m.places[i] != NONE)
                .filter(|m| match m.value {
                    Json::Null => false,
                    Json::Object(_) => !m.names_envelope,
                    _ => true,
                });
            for member in values {
                insert_stably(&mut taken, member, |m| m.places[i]);
            }
            found.extend(taken.into_iter().map(|m| Candidate {
                path: match m.envelope {
                    Some(envelope) => [envelope, ".", m.key].concat(),
                    None => m.key.to_string(),
                },
                value: m.value,
            }));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::json;
    use crate::pipeline::rules::ClientRule;
    use crate::rng::SeededRng;

    /// The first version: every alias compared with every member, for
    /// each field and each envelope. Each value is listed under the first
    /// of its names; this version listed an envelope written twice in the
    /// rules (`data`, `DATA`) twice, with the same values after the
    /// first, which cannot change what the field resolves to.
    fn reference<'a>(
        root: &'a Json,
        rules: &'a Rules,
        client: Option<&str>,
        field: Field,
    ) -> Vec<Candidate<'a>> {
        let rule = client
            .and_then(|c| rules.client(c))
            .filter(|_| field != Field::ClientId);
        let names: Vec<&String> = rule
            .map(|r| r.aliases.of(field))
            .unwrap_or(&[])
            .iter()
            .chain(rules.aliases.of(field))
            .collect();
        let mut found: Vec<Candidate<'a>> = Vec::new();
        let mut scan = |container: &'a Json, prefix: &str| {
            let mut seen: Vec<*const Json> = Vec::new();
            for name in &names {
                for (key, value) in container.members_ignoring_case(name) {
                    if seen.contains(&std::ptr::from_ref(value)) {
                        continue;
                    }
                    seen.push(std::ptr::from_ref(value));
                    let is_envelope = rules.envelopes.iter().any(|e| e.eq_ignore_ascii_case(key));
                    match value {
                        Json::Null => {}
                        Json::Object(_) if is_envelope => {}
                        _ => found.push(Candidate {
                            path: [prefix, key].concat(),
                            value,
                        }),
                    }
                }
            }
        };
        scan(root, "");
        for envelope in &rules.envelopes {
            for (key, inner) in root.members_ignoring_case(envelope) {
                if matches!(inner, Json::Object(_)) {
                    scan(inner, &format!("{key}."));
                }
            }
        }
        let mut listed: Vec<*const Json> = Vec::new();
        found.retain(|c| {
            let first = !listed.contains(&std::ptr::from_ref(c.value));
            listed.push(std::ptr::from_ref(c.value));
            first
        });
        found
    }

    /// A name from a small pool, in a random ASCII case, so that names
    /// collide across fields, envelopes and lists.
    fn name(rng: &mut SeededRng) -> String {
        const POOL: [&str; 9] = ["a", "b", "amount", "data", "event", "ts", "k", "ü", "x_y"];
        POOL[rng.below(POOL.len() as u64) as usize]
            .chars()
            .map(|c| match rng.below(2) {
                0 => c.to_ascii_uppercase(),
                _ => c,
            })
            .collect()
    }

    fn names(rng: &mut SeededRng) -> Vec<String> {
        (0..rng.below(4)).map(|_| name(rng)).collect()
    }

    fn aliases(rng: &mut SeededRng) -> Aliases {
        Aliases {
            client_id: names(rng),
            metric: names(rng),
            amount: names(rng),
            timestamp: names(rng),
            idempotency_key: names(rng),
        }
    }

    fn value(rng: &mut SeededRng, depth: u32) -> String {
        // Objects (envelopes, or values under an envelope's name) only
        // at the top level: one level deep is as far as envelopes go.
        match rng.below(if depth == 0 { 4 } else { 6 }) {
            0 => "null".into(),
            1 => format!("{}", rng.below(3)),
            2 => format!("\"{}\"", rng.below(3)),
            3 => "[1]".into(),
            _ => object(rng, depth - 1),
        }
    }

    fn object(rng: &mut SeededRng, depth: u32) -> String {
        let members: Vec<String> = (0..rng.below(6))
            .map(|_| format!("\"{}\":{}", name(rng), value(rng, depth)))
            .collect();
        format!("{{{}}}", members.join(","))
    }

    #[test]
    fn finds_what_comparing_every_alias_with_every_member_finds() {
        let mut rng = SeededRng::new(13);
        for case in 0..20_000 {
            let mut rules = Rules {
                envelopes: names(&mut rng),
                aliases: aliases(&mut rng),
                ..Rules::default()
            };
            let client = name(&mut rng);
            if rng.below(2) == 0 {
                let rule = ClientRule {
                    aliases: aliases(&mut rng),
                    ..ClientRule::default()
                };
                rules.clients.insert(client.clone(), rule);
            }
            let text = object(&mut rng, 1);
            let root = json::parse(&text).unwrap();
            let index = AliasIndex::new(&rules);
            let mut members = Members::of(&root, &index);
            for field in Field::ALL {
                let expected = reference(&root, &rules, None, field);
                assert_eq!(
                    members.candidates(field),
                    expected,
                    "case {case}: {field} of {text} under {rules:?}"
                );
            }
            members.for_client(&client, &index);
            for field in Field::ALL {
                let expected = reference(&root, &rules, Some(&client), field);
                assert_eq!(
                    members.candidates(field),
                    expected,
                    "case {case}: {field} of {text} for {client} under {rules:?}"
                );
            }
        }
    }
}
