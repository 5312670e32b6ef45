//! [`S3Reader`]: sequential reads stream one GET; `read_at` issues a ranged GET.
//!
//! Opening sends the GET (so a missing object is `NotFound` at once, and a rejected request
//! carries the server's error code) and keeps the body for sequential reads. Every later request
//! carries `If-Match: <ETag>`, so an object replaced mid-read is an error, not a mix of two
//! versions. A sequential stream that breaks is resumed from the current position with a ranged
//! GET, a few times in a row at most.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use stowage_plugin_sdk::{ErrorKind, ObjectReader, PluginError, Result};

use crate::backend::Shared;
use crate::runtime::block_on;

/// Resumes of a broken sequential stream without progress in between.
const MAX_RESUMES: u32 = 3;

/// Reads one object.
#[derive(Debug)]
pub struct S3Reader {
    shared: Arc<Shared>,
    key: String,
    size: u64,
    etag: Option<String>,
    body: Option<ByteStream>,
    pending: Bytes,
    /// Bytes returned by `read` so far.
    pos: u64,
    resumes_left: u32,
}

impl S3Reader {
    /// Sends the GET of `key` (and a HEAD if the response did not say the size).
    pub fn open(shared: Arc<Shared>, key: &str) -> Result<S3Reader> {
        let got = block_on(get(&shared, key, None, None))??;
        let size = match got.size {
            Some(size) => size,
            None => crate::backend::S3Store::head_size(&shared, key)?,
        };
        Ok(S3Reader {
            shared,
            key: key.to_string(),
            size,
            etag: got.etag,
            body: Some(got.body),
            pending: Bytes::new(),
            pos: 0,
            resumes_left: MAX_RESUMES,
        })
    }

    /// The next chunk of the sequential stream (empty at the end).
    fn next_chunk(&mut self) -> Result<Bytes> {
        loop {
            if self.pos >= self.size {
                return Ok(Bytes::new());
            }
            let body = match self.body.as_mut() {
                Some(body) => body,
                None => self.resume()?,
            };
            match block_on(body.next())? {
                Some(Ok(chunk)) if !chunk.is_empty() => {
                    self.resumes_left = MAX_RESUMES;
                    return Ok(chunk);
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => self.broken(&e.to_string())?,
                None => self.broken("the response ended early")?,
            }
        }
    }

    /// Reopens the stream at the current position.
    fn resume(&mut self) -> Result<&mut ByteStream> {
        let range = format!("bytes={}-", self.pos);
        let got = block_on(get(&self.shared, &self.key, Some(range), self.etag.clone()))??;
        if !got.ranged {
            return Err(self.range_error(self.pos, "the server ignored the Range header"));
        }
        Ok(self.body.insert(got.body))
    }

    /// Drops a broken stream; fails once the resumes are used up.
    fn broken(&mut self, why: &str) -> Result<()> {
        self.body = None;
        if self.resumes_left == 0 {
            let err = PluginError::new(
                ErrorKind::Io,
                format!(
                    "reading: the download broke at byte {} of {}: {why}",
                    self.pos, self.size
                ),
            );
            return Err(self.shared.errors.with_context(err, Some(&self.key)));
        }
        self.resumes_left -= 1;
        Ok(())
    }
}

impl ObjectReader for S3Reader {
    fn size(&mut self) -> Result<u64> {
        Ok(self.size)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            self.pending = self.next_chunk()?;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        self.pos += n as u64;
        Ok(n)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() || offset >= self.size {
            return Ok(0);
        }
        let end = self.size.min(offset + buf.len() as u64);
        let want = (end - offset) as usize;
        let range = format!("bytes={offset}-{}", end - 1);
        let filled = block_on(async {
            let got = get(&self.shared, &self.key, Some(range), self.etag.clone()).await?;
            if !got.ranged && want as u64 != self.size {
                return Err(self.range_error(offset, "the server ignored the Range header"));
            }
            let mut body = got.body;
            let mut filled = 0;
            while filled < want {
                match body.next().await {
                    Some(Ok(chunk)) => {
                        let n = chunk.len().min(want - filled);
                        buf[filled..filled + n].copy_from_slice(&chunk[..n]);
                        filled += n;
                    }
                    Some(Err(e)) => return Err(self.range_error(offset, &e.to_string())),
                    None => break,
                }
            }
            Ok(filled)
        })??;
        if filled < want {
            return Err(self.range_error(offset, &format!("got {filled} of {want} bytes")));
        }
        Ok(filled)
    }
}

impl S3Reader {
    fn range_error(&self, offset: u64, why: &str) -> PluginError {
        let err = PluginError::new(
            ErrorKind::Io,
            format!("reading a range at byte {offset}: {why}"),
        );
        self.shared.errors.with_context(err, Some(&self.key))
    }
}

/// What a GET returned.
struct Got {
    body: ByteStream,
    /// The object's total size, if the response says.
    size: Option<u64>,
    etag: Option<String>,
    /// The response is a range (`Content-Range` present).
    ranged: bool,
}

/// A GET of `key`, optionally a range, optionally only if the ETag still matches.
async fn get(
    s: &Shared,
    key: &str,
    range: Option<String>,
    if_match: Option<String>,
) -> Result<Got> {
    let out = s
        .client()
        .get_object()
        .bucket(s.bucket())
        .key(s.url.object_key(key))
        .set_range(range)
        .set_if_match(if_match)
        .send()
        .await
        .map_err(|e| s.errors.map(e, "reading", Some(key)))?;
    Ok(Got {
        size: total_size(out.content_range(), out.content_length()),
        etag: out.e_tag().map(str::to_string),
        ranged: out.content_range().is_some(),
        body: out.body,
    })
}

/// The object's size: the total of `Content-Range: bytes a-b/total`, else `Content-Length`.
fn total_size(content_range: Option<&str>, content_length: Option<i64>) -> Option<u64> {
    content_range
        .and_then(|r| r.rsplit_once('/'))
        .and_then(|(_, total)| total.parse().ok())
        .or_else(|| content_length.and_then(|n| u64::try_from(n).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_from_range_or_length() {
        assert_eq!(total_size(Some("bytes 0-9/100"), Some(10)), Some(100));
        assert_eq!(total_size(None, Some(42)), Some(42));
        assert_eq!(total_size(Some("bytes */*"), Some(7)), Some(7));
        assert_eq!(total_size(None, None), None);
    }
}
