//! Packing independent chains into a kernel's lanes.

use zeroize::{Zeroize, Zeroizing};

use crate::crypto::pbkdf2::Chain;

/// One PBKDF2 block to finish: its chain and its iteration count (>= 1).
#[derive(Clone, Copy, Default)]
pub(crate) struct Job<S> {
    pub(crate) chain: Chain<S>,
    pub(crate) iterations: u32,
}

impl<S: Zeroize> Zeroize for Job<S> {
    fn zeroize(&mut self) {
        self.chain.zeroize();
    }
}

/// Runs `kernel` over groups of up to `width` jobs sharing an iteration
/// count, and returns each job's `T` in job order.
pub(super) fn schedule<S: Copy + Default + Zeroize>(
    jobs: &[Job<S>],
    width: usize,
    mut kernel: impl FnMut(&[Chain<S>], u32, &mut [S]),
) -> Zeroizing<Vec<S>> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&job| jobs[job].iterations);
    let mut out = Zeroizing::new(vec![S::default(); jobs.len()]);
    let mut lanes = Zeroizing::new(Vec::with_capacity(width));
    let mut results = Zeroizing::new(vec![S::default(); width]);
    for group in order.chunk_by(|a, b| jobs[*a].iterations == jobs[*b].iterations) {
        for chunk in group.chunks(width) {
            lanes.clear();
            lanes.extend(chunk.iter().map(|&job| jobs[job].chain));
            let results = &mut results[..chunk.len()];
            kernel(&lanes, jobs[chunk[0]].iterations, results);
            for (&job, result) in chunk.iter().zip(results.iter()) {
                out[job] = *result;
            }
        }
    }
    out
}
