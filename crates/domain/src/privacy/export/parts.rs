//! The sealed parts an archive is stored in. The ZIP writer is synchronous
//! and writes into a shared buffer; between writes the job drains full
//! parts from it, seals each under the account key and stores it. Memory
//! is therefore about one part plus one segment, whatever the archive size.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use crate::ports::BlobStore;
use crate::{Error, Result};

/// The blob name of part `index`; names sort in part order.
pub fn part_name(index: i64) -> String {
    format!("{index:06}.cvb")
}

/// Bytes the ZIP writer produced that are not stored yet.
#[derive(Clone, Default)]
pub(crate) struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        // A poisoned buffer still holds valid bytes: a panic elsewhere
        // cannot leave a Vec half-extended.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Seals and stores an archive part by part.
pub(crate) struct PartWriter {
    blobs: Arc<dyn BlobStore>,
    prefix: String,
    kek: [u8; 32],
    key_id: String,
    part_bytes: usize,
    buffer: Buffer,
    /// The part being sealed and stored while the next one is written:
    /// sealing runs on another core instead of stalling the archive.
    in_flight: Option<tokio::task::JoinHandle<Result<()>>>,
    /// Parts stored so far.
    pub parts: u64,
    /// Plaintext bytes stored so far.
    pub bytes: u64,
}

impl PartWriter {
    /// Parts go under `prefix`, sealed with `kek`.
    pub(crate) fn new(
        blobs: Arc<dyn BlobStore>,
        prefix: String,
        kek: [u8; 32],
        key_id: String,
        part_bytes: usize,
    ) -> Self {
        PartWriter {
            blobs,
            prefix,
            kek,
            key_id,
            part_bytes: part_bytes.max(64 * 1024),
            buffer: Buffer::default(),
            in_flight: None,
            parts: 0,
            bytes: 0,
        }
    }

    /// The buffer for the ZIP writer to write into.
    pub(crate) fn buffer(&self) -> Buffer {
        self.buffer.clone()
    }

    /// Waits for the part in flight, if any.
    async fn settle(&mut self) -> Result<()> {
        if let Some(task) = self.in_flight.take() {
            task.await
                .map_err(|e| Error::Storage(format!("storing an export part: {e}")))??;
        }
        Ok(())
    }

    /// Hands every full part waiting in the buffer to be sealed and stored
    /// (one at a time, overlapping the writing of the next), and with `all`
    /// the last, shorter one too, then waits until all are stored.
    pub(crate) async fn drain(&mut self, all: bool) -> Result<()> {
        loop {
            let part = {
                let mut b = self.buffer.lock();
                if b.len() >= self.part_bytes {
                    let rest = b.split_off(self.part_bytes);
                    std::mem::replace(&mut *b, rest)
                } else if all && !b.is_empty() {
                    std::mem::take(&mut *b)
                } else {
                    break;
                }
            };
            self.settle().await?;
            let (kek, key_id, len) = (self.kek, self.key_id.clone(), part.len());
            let key = format!("{}{}", self.prefix, part_name(self.parts as i64));
            let blobs = self.blobs.clone();
            self.in_flight = Some(tokio::spawn(async move {
                // Sealing a part takes milliseconds: off the async workers.
                let sealed = tokio::task::spawn_blocking(move || {
                    crypto::blob::seal_blob_owned(
                        &kek,
                        &key_id,
                        crypto::blob::DEFAULT_CHUNK_LOG2,
                        part,
                    )
                })
                .await
                .map_err(|e| Error::Storage(format!("sealing an export part: {e}")))?
                .map_err(|e| Error::Storage(format!("sealing an export part: {e}")))?;
                blobs.put(&key, sealed).await
            }));
            self.parts += 1;
            self.bytes += len as u64;
        }
        if all {
            self.settle().await?;
        }
        Ok(())
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        // A failed export deletes its parts; none may land after that.
        if let Some(task) = self.in_flight.take() {
            task.abort();
        }
    }
}
