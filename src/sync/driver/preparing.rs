//! A batch prepared on the thread pool while the driver reads on.
//!
//! The driver's own work per account (reading it, scope, the engine's
//! bookkeeping, events) runs on one thread; the hashing of a batch runs on
//! every core. Preparing one batch in the background while the next
//! accounts are read keeps both cores busy through the serial part too.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};

use super::super::engine::OutgoingBatch;
use super::super::transport::{Batch, BatchId};

/// A batch whose preparation runs on the pool.
pub(in crate::sync::driver) struct Preparing {
    pub(in crate::sync::driver) id: BatchId,
    outgoing: Arc<OutgoingBatch>,
    threads: usize,
    prepared: Receiver<crate::Result<Batch>>,
}

impl Preparing {
    /// Starts preparing `outgoing` on the pool, or gives it back when
    /// there is no pool to use (one thread, or built without `parallel`).
    pub(in crate::sync::driver) fn start(
        outgoing: OutgoingBatch,
        threads: usize,
    ) -> Result<Self, OutgoingBatch> {
        if threads <= 1 || cfg!(not(feature = "parallel")) {
            return Err(outgoing);
        }
        let id = outgoing.id;
        let outgoing = Arc::new(outgoing);
        let (sender, prepared) = sync_channel(1);
        #[cfg(feature = "parallel")]
        {
            let outgoing = Arc::clone(&outgoing);
            rayon::spawn(move || {
                // The receiver may be gone (the run ended): nothing to do.
                let _ = sender.send(outgoing.prepare_on(threads));
            });
        }
        #[cfg(not(feature = "parallel"))]
        drop(sender);
        Ok(Self {
            id,
            outgoing,
            threads,
            prepared,
        })
    }

    /// Waits for the prepared batch. Should the pool's task have died
    /// without an answer, the batch is prepared again on this thread, so
    /// a batch is never lost.
    pub(in crate::sync::driver) fn finish(self) -> crate::Result<Batch> {
        match self.prepared.recv() {
            Ok(prepared) => prepared,
            Err(_) => self.outgoing.prepare_on(self.threads),
        }
    }
}
