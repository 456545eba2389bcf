//! The encrypted blob format: chunked AES-256-GCM with an authenticated header.
//!
//! ```text
//! header  = "CVB1" | version u8 (1) | chunk_log2 u8 | key_id_len u16 | key_id
//!         | nonce_prefix [7] | plaintext_len u64 | wrapped_data_key_len u16 | wrapped_data_key
//! chunk i = AES-256-GCM(data_key, nonce = nonce_prefix | i as u32 BE | last?1:0,
//!                       aad = header, plaintext[i*C .. min((i+1)*C, len)])   (C = 2^chunk_log2)
//! ```
//! Every chunk authenticates the whole header (so the length, chunk size and
//! key id cannot be altered), its own index (so chunks cannot be reordered or
//! moved between blobs with the same key) and whether it is the last one (so
//! a blob cut at a chunk boundary is detected). A byte range therefore
//! decrypts by reading only the header and the chunks that cover it. Each
//! blob has its own random data key, wrapped by the key encryption key
//! (an account's period key) named by `key_id`: destroying that key makes
//! the blob unreadable wherever copies of it live.

use rand::RngCore;

use crate::aead::Aes256;
use crate::{open, seal, Error};

mod stream;
pub use stream::Sealer;

const MAGIC: &[u8; 4] = b"CVB1";
const VERSION: u8 = 1;
const TAG: usize = 16;
/// The chunk size used for media: 64 KiB.
pub const DEFAULT_CHUNK_LOG2: u8 = 16;

/// A parsed, not yet authenticated, blob header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// log2 of the plaintext chunk size.
    pub chunk_log2: u8,
    /// Names the key that wraps this blob's data key.
    pub key_id: String,
    nonce_prefix: [u8; 7],
    /// Length of the whole plaintext.
    pub plaintext_len: u64,
    wrapped_key: Vec<u8>,
    /// The header's bytes, authenticated by every chunk.
    raw: Vec<u8>,
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], Error> {
    if buf.len() < n {
        return Err(Error::Unauthentic);
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

impl Header {
    /// Parses a header from the start of `bytes` (which may hold more).
    pub fn parse(bytes: &[u8]) -> Result<Header, Error> {
        let mut b = bytes;
        if take(&mut b, 4)? != MAGIC || take(&mut b, 1)?[0] != VERSION {
            return Err(Error::Unauthentic);
        }
        let chunk_log2 = take(&mut b, 1)?[0];
        if !(4..=24).contains(&chunk_log2) {
            return Err(Error::Unauthentic);
        }
        let id_len = u16::from_be_bytes([take(&mut b, 1)?[0], take(&mut b, 1)?[0]]) as usize;
        let key_id =
            String::from_utf8(take(&mut b, id_len)?.to_vec()).map_err(|_| Error::Unauthentic)?;
        let mut nonce_prefix = [0u8; 7];
        nonce_prefix.copy_from_slice(take(&mut b, 7)?);
        let mut len = [0u8; 8];
        len.copy_from_slice(take(&mut b, 8)?);
        let plaintext_len = u64::from_be_bytes(len);
        // A cap far above any recording keeps every offset computation below
        // from overflowing, whatever a damaged header claims.
        if plaintext_len > 1 << 48 {
            return Err(Error::Unauthentic);
        }
        let wk_len = u16::from_be_bytes([take(&mut b, 1)?[0], take(&mut b, 1)?[0]]) as usize;
        let wrapped_key = take(&mut b, wk_len)?.to_vec();
        let raw_len = bytes.len() - b.len();
        Ok(Header {
            chunk_log2,
            key_id,
            nonce_prefix,
            plaintext_len,
            wrapped_key,
            raw: bytes[..raw_len].to_vec(),
        })
    }

    /// The header's length in bytes: chunk data starts here.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether the header is empty (it never is once parsed).
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    fn chunk_size(&self) -> u64 {
        1u64 << self.chunk_log2
    }

    fn chunks(&self) -> u64 {
        self.plaintext_len.div_ceil(self.chunk_size()).max(1)
    }

    /// The byte span of the stored blob (from its start) holding the chunks
    /// that cover plaintext `start..end`, and the index of the first one.
    pub fn span(&self, start: u64, end: u64) -> Result<(u64, u64, u64), Error> {
        if start > end || end > self.plaintext_len {
            return Err(Error::OutOfRange);
        }
        let c = self.chunk_size();
        let first = start / c;
        let last = if end == start { first } else { (end - 1) / c };
        let stride = c + TAG as u64;
        let from = self.len() as u64 + first * stride;
        let to = (self.len() as u64 + (last + 1) * stride).min(self.stored_len());
        Ok((from, to, first))
    }

    /// The stored blob's total length implied by the header.
    pub fn stored_len(&self) -> u64 {
        self.len() as u64 + self.plaintext_len + self.chunks() * TAG as u64
    }

    fn nonce(&self, index: u64, last: bool) -> Result<[u8; 12], Error> {
        let index = u32::try_from(index).map_err(|_| Error::OutOfRange)?;
        let mut n = [0u8; 12];
        n[..7].copy_from_slice(&self.nonce_prefix);
        n[7..11].copy_from_slice(&index.to_be_bytes());
        n[11] = u8::from(last);
        Ok(n)
    }

    fn data_key(&self, kek: &[u8; 32]) -> Result<Aes256, Error> {
        let key = open(kek, self.key_id.as_bytes(), &self.wrapped_key)?;
        let key: [u8; 32] = key.try_into().map_err(|_| Error::Unauthentic)?;
        Ok(Aes256::new(&key))
    }

    /// Decrypts plaintext `start..end` from `chunks`, the stored bytes of the
    /// span returned by [`Header::span`] for the same range.
    pub fn open_range(
        &self,
        kek: &[u8; 32],
        start: u64,
        end: u64,
        chunks: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.open_range_owned(kek, start, end, chunks.to_vec())
    }

    /// [`Header::open_range`] on a buffer it may reuse: the chunks are
    /// decrypted where they lie and the plaintext moved down over the tags,
    /// so no second buffer of the same size is needed.
    pub fn open_range_owned(
        &self,
        kek: &[u8; 32],
        start: u64,
        end: u64,
        chunks: Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        self.open_span(kek, start, end, chunks, 0)
    }

    /// Decrypts plaintext `start..end` from `buf[base..]`, the stored bytes
    /// of its span, moving the plaintext to the front of `buf`.
    fn open_span(
        &self,
        kek: &[u8; 32],
        start: u64,
        end: u64,
        mut buf: Vec<u8>,
        base: usize,
    ) -> Result<Vec<u8>, Error> {
        let (from, to, first) = self.span(start, end)?;
        if buf.len().checked_sub(base) != Some((to - from) as usize) {
            return Err(Error::Unauthentic);
        }
        let cipher = self.data_key(kek)?;
        let stride = self.chunk_size() as usize + TAG;
        let total = self.chunks();
        let (mut read, mut written, mut index) = (base, 0usize, first);
        while read < buf.len() {
            let len = (buf.len() - read).min(stride);
            let Some(body) = len.checked_sub(TAG) else {
                return Err(Error::Unauthentic);
            };
            let nonce = self.nonce(index, index + 1 == total)?;
            let (data, tag) = buf[read..read + len].split_at_mut(body);
            cipher.open_in_place(nonce, &self.raw, data, tag)?;
            // Plaintext only ever moves down, over bytes already read.
            buf.copy_within(read..read + body, written);
            read += len;
            written += body;
            index += 1;
        }
        let skip = (start - first * self.chunk_size()) as usize;
        let want = (end - start) as usize;
        if written < skip + want {
            return Err(Error::Unauthentic);
        }
        buf.truncate(skip + want);
        buf.drain(..skip);
        Ok(buf)
    }
}

/// Encrypts `plaintext` as a blob with a fresh data key wrapped by `kek`.
pub fn seal_blob(
    kek: &[u8; 32],
    key_id: &str,
    chunk_log2: u8,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let (header, cipher) = new_header(kek, key_id, chunk_log2, plaintext.len())?;
    let mut out = Vec::with_capacity(header.stored_len() as usize);
    out.extend_from_slice(&header.raw);
    let pieces: Vec<&[u8]> = if plaintext.is_empty() {
        vec![&[][..]]
    } else {
        plaintext.chunks(header.chunk_size() as usize).collect()
    };
    for (i, piece) in pieces.into_iter().enumerate() {
        let nonce = header.nonce(i as u64, i as u64 + 1 == header.chunks())?;
        let at = out.len();
        out.extend_from_slice(piece);
        let tag = cipher.seal_in_place(nonce, &header.raw, &mut out[at..])?;
        out.extend_from_slice(&tag);
    }
    Ok(out)
}

/// [`seal_blob`] reusing the plaintext's buffer: it grows by the header
/// and tags, each chunk moves up to its place (last first, so nothing is
/// overwritten before it moved) and is encrypted there.
pub fn seal_blob_owned(
    kek: &[u8; 32],
    key_id: &str,
    chunk_log2: u8,
    mut data: Vec<u8>,
) -> Result<Vec<u8>, Error> {
    let len = data.len();
    let (header, cipher) = new_header(kek, key_id, chunk_log2, len)?;
    let chunk = header.chunk_size() as usize;
    let head = header.len();
    let total = header.chunks() as usize;
    data.resize(header.stored_len() as usize, 0);
    let place = |i: usize| head + i * (chunk + TAG);
    for i in (0..total).rev() {
        let from = i * chunk;
        let to = (from + chunk).min(len);
        data.copy_within(from..to, place(i));
    }
    data[..head].copy_from_slice(&header.raw);
    for i in 0..total {
        let body = (len - i * chunk).min(chunk);
        let at = place(i);
        let nonce = header.nonce(i as u64, i + 1 == total)?;
        let tag = cipher.seal_in_place(nonce, &header.raw, &mut data[at..at + body])?;
        data[at + body..at + body + TAG].copy_from_slice(&tag);
    }
    Ok(data)
}

/// A fresh header for `len` bytes of plaintext, with its new data key
/// wrapped by `kek`, and that key ready to seal with.
fn new_header(
    kek: &[u8; 32],
    key_id: &str,
    chunk_log2: u8,
    len: usize,
) -> Result<(Header, Aes256), Error> {
    if !(4..=24).contains(&chunk_log2) || key_id.len() > u16::MAX as usize {
        return Err(Error::OutOfRange);
    }
    let mut data_key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut data_key);
    let mut nonce_prefix = [0u8; 7];
    rand::rngs::OsRng.fill_bytes(&mut nonce_prefix);
    let wrapped = seal(kek, key_id.as_bytes(), &data_key);
    let mut raw = Vec::new();
    raw.extend_from_slice(MAGIC);
    raw.push(VERSION);
    raw.push(chunk_log2);
    raw.extend_from_slice(&(key_id.len() as u16).to_be_bytes());
    raw.extend_from_slice(key_id.as_bytes());
    raw.extend_from_slice(&nonce_prefix);
    raw.extend_from_slice(&(len as u64).to_be_bytes());
    raw.extend_from_slice(&(wrapped.len() as u16).to_be_bytes());
    raw.extend_from_slice(&wrapped);
    Ok((Header::parse(&raw)?, Aes256::new(&data_key)))
}

/// Decrypts a whole blob.
pub fn open_blob(kek: &[u8; 32], blob: &[u8]) -> Result<Vec<u8>, Error> {
    let header = Header::parse(blob)?;
    if blob.len() as u64 != header.stored_len() {
        return Err(Error::Unauthentic);
    }
    let (from, to, _) = header.span(0, header.plaintext_len)?;
    header.open_range(
        kek,
        0,
        header.plaintext_len,
        &blob[from as usize..to as usize],
    )
}

/// [`open_blob`] decrypting in the blob's own buffer.
pub fn open_blob_owned(kek: &[u8; 32], blob: Vec<u8>) -> Result<Vec<u8>, Error> {
    let header = Header::parse(&blob)?;
    if blob.len() as u64 != header.stored_len() {
        return Err(Error::Unauthentic);
    }
    let base = header.len();
    header.open_span(kek, 0, header.plaintext_len, blob, base)
}
