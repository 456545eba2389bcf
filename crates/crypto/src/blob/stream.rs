//! Sealing a blob too large to hold in memory: its length is known up
//! front (the header records it), then the plaintext arrives in pieces of
//! any size and leaves as sealed chunks, byte for byte what
//! [`super::seal_blob`] would have produced with the same data key.

use super::{new_header, Header, TAG};
use crate::aead::Aes256;
use crate::Error;

/// A blob being sealed piece by piece.
pub struct Sealer {
    header: Header,
    cipher: Aes256,
    /// Plaintext of the chunk not yet complete.
    pending: Vec<u8>,
    /// Index of the next chunk to seal.
    index: u64,
    /// Plaintext bytes taken so far.
    taken: u64,
}

impl Sealer {
    /// Starts a blob of exactly `len` plaintext bytes with a fresh data key
    /// wrapped by `kek`.
    pub fn new(kek: &[u8; 32], key_id: &str, chunk_log2: u8, len: u64) -> Result<Sealer, Error> {
        let len = usize::try_from(len).map_err(|_| Error::OutOfRange)?;
        let (header, cipher) = new_header(kek, key_id, chunk_log2, len)?;
        Ok(Sealer {
            pending: Vec::with_capacity(header.chunk_size() as usize),
            header,
            cipher,
            index: 0,
            taken: 0,
        })
    }

    /// The blob's first bytes; the sealed chunks follow them.
    pub fn header(&self) -> &[u8] {
        &self.header.raw
    }

    /// The whole stored length of the blob.
    pub fn stored_len(&self) -> u64 {
        self.header.stored_len()
    }

    /// Takes more plaintext and returns the sealed bytes of every chunk it
    /// completed; more than the announced length is refused.
    pub fn push(&mut self, mut plain: &[u8]) -> Result<Vec<u8>, Error> {
        let total = self.header.plaintext_len;
        if self.taken + plain.len() as u64 > total {
            return Err(Error::OutOfRange);
        }
        self.taken += plain.len() as u64;
        let chunk = self.header.chunk_size() as usize;
        let mut out = Vec::with_capacity(plain.len() + (plain.len() / chunk + 1) * TAG);
        while !plain.is_empty() {
            let room = chunk - self.pending.len();
            let (now, rest) = plain.split_at(room.min(plain.len()));
            plain = rest;
            if self.pending.is_empty() && now.len() == chunk {
                // A whole chunk in the input is sealed straight into the output.
                self.seal_into(&mut out, now)?;
                continue;
            }
            self.pending.extend_from_slice(now);
            let last_bytes = self.taken == total && plain.is_empty();
            if self.pending.len() == chunk || last_bytes {
                let pending = std::mem::take(&mut self.pending);
                self.seal_into(&mut out, &pending)?;
                self.pending = pending;
                self.pending.clear();
            }
        }
        Ok(out)
    }

    fn seal_into(&mut self, out: &mut Vec<u8>, plain: &[u8]) -> Result<(), Error> {
        let last = self.index + 1 == self.header.chunks();
        let nonce = self.header.nonce(self.index, last)?;
        let at = out.len();
        out.extend_from_slice(plain);
        let tag = self
            .cipher
            .seal_in_place(nonce, &self.header.raw, &mut out[at..])?;
        out.extend_from_slice(&tag);
        self.index += 1;
        Ok(())
    }

    /// Ends the blob: the sealed bytes still owed (only for an empty blob,
    /// whose one chunk is empty), or an error when fewer bytes came than
    /// announced.
    pub fn finish(mut self) -> Result<Vec<u8>, Error> {
        if self.taken != self.header.plaintext_len {
            return Err(Error::OutOfRange);
        }
        let mut out = Vec::new();
        if self.index == 0 {
            self.seal_into(&mut out, &[])?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::{open_blob, seal_blob, Header};

    fn sealed_in_pieces(kek: &[u8; 32], data: &[u8], cuts: &[usize]) -> Vec<u8> {
        let mut s = Sealer::new(kek, "k", 4, data.len() as u64).unwrap();
        let mut out = s.header().to_vec();
        let mut at = 0;
        for &c in cuts.iter().chain(std::iter::once(&data.len())) {
            let c = c.clamp(at, data.len());
            out.extend(s.push(&data[at..c]).unwrap());
            at = c;
        }
        let expected = s.stored_len();
        out.extend(s.finish().unwrap());
        assert_eq!(out.len() as u64, expected);
        out
    }

    #[test]
    fn pieces_of_any_size_make_a_blob_that_opens_to_the_same_bytes() {
        let kek = [7u8; 32];
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31 % 251) as u8).collect();
        for cuts in [
            vec![],
            vec![1],
            vec![16, 32],
            vec![5, 17, 400, 999],
            vec![0, 0, 3],
        ] {
            let blob = sealed_in_pieces(&kek, &data, &cuts);
            assert_eq!(open_blob(&kek, &blob).unwrap(), data, "cuts {cuts:?}");
            // The same shape as a blob sealed at once.
            assert_eq!(blob.len(), seal_blob(&kek, "k", 4, &data).unwrap().len());
        }
        for len in [0usize, 1, 15, 16, 17, 32] {
            let blob = sealed_in_pieces(&kek, &data[..len], &[len / 2]);
            assert_eq!(open_blob(&kek, &blob).unwrap(), &data[..len]);
            let header = Header::parse(&blob).unwrap();
            assert_eq!(header.plaintext_len, len as u64);
        }
    }

    #[test]
    fn more_or_fewer_bytes_than_announced_are_refused() {
        let kek = [1u8; 32];
        let mut s = Sealer::new(&kek, "k", 4, 10).unwrap();
        assert!(s.push(&[0; 11]).is_err());
        s.push(&[0; 9]).unwrap();
        assert!(s.finish().is_err());
    }
}
