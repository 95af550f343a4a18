//! Deterministic randomness: the same seed means the same sequence in every
//! build, so a simulated failure plan, a chaos run or a model test can be
//! replayed from its seed. No dependency's algorithm can change under us.

/// The parts-per-million value that means "always".
const MILLION: u64 = 1_000_000;

/// One step of SplitMix64: tiny, fast, and fully specified.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded random generator for the simulator, samples and tests.
#[derive(Debug, Clone)]
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    /// A generator that starts from `seed`.
    pub fn new(seed: u64) -> SeededRng {
        SeededRng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        splitmix64(&mut self.state)
    }

    /// A number in `0..n` (`n` > 0); the modulo bias is negligible for the
    /// small ranges Tally uses.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `per_million` / 1,000,000.
    pub fn chance(&mut self, per_million: u32) -> bool {
        self.below(MILLION) < u64::from(per_million)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_sequence_and_another_seed_another() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        let mut c = SeededRng::new(8);
        let (xa, xb, xc): (Vec<u64>, Vec<u64>, Vec<u64>) = (
            (0..5).map(|_| a.next_u64()).collect(),
            (0..5).map(|_| b.next_u64()).collect(),
            (0..5).map(|_| c.next_u64()).collect(),
        );
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        // SplitMix64's published first outputs for seed 0.
        let mut r = SeededRng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }
}
