//! A cheap pre-dlopen check: glibc's `dlopen` maps a truncated ELF file and then dies of SIGBUS
//! reading past its end, so a file whose program headers, segments or section headers extend
//! beyond its length is rejected before it is ever loaded. Non-ELF files pass (dlopen reports
//! its own clean error for them).

use std::io::Read;
use std::path::Path;

/// Bytes read from the start of the file (headers must lie within them).
const HEAD_BYTES: u64 = 64 * 1024;

/// `Err` with a one-line reason if `path` is an incomplete ELF file.
pub(crate) fn check_complete_elf(path: &Path) -> Result<(), String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let len = file
        .metadata()
        .map_err(|e| format!("cannot stat: {e}"))?
        .len();
    let mut head = Vec::new();
    file.by_ref()
        .take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read: {e}"))?;
    if !head.starts_with(b"\x7fELF") {
        return Ok(());
    }
    Elf { head: &head, len }.check()
}

struct Elf<'a> {
    head: &'a [u8],
    len: u64,
}

impl Elf<'_> {
    fn truncated(&self) -> String {
        format!(
            "truncated or corrupt ELF file ({} bytes); not loaded",
            self.len
        )
    }

    fn uint(&self, off: u64, n: usize, little_endian: bool) -> Result<u64, String> {
        let off = usize::try_from(off).map_err(|_| self.truncated())?;
        let bytes = self
            .head
            .get(off..off + n)
            .ok_or_else(|| self.truncated())?;
        Ok(bytes.iter().enumerate().fold(0u64, |v, (i, &b)| {
            let shift = if little_endian {
                8 * i
            } else {
                8 * (n - 1 - i)
            };
            v | (b as u64) << shift
        }))
    }

    fn fits(&self, off: u64, size: u64) -> bool {
        off.checked_add(size).is_some_and(|end| end <= self.len)
    }

    fn check(&self) -> Result<(), String> {
        let is64 = match self.head.get(4) {
            Some(1) => false,
            Some(2) => true,
            _ => return Err(self.truncated()),
        };
        let le = match self.head.get(5) {
            Some(1) => true,
            Some(2) => false,
            _ => return Err(self.truncated()),
        };
        let w = if is64 { 8 } else { 4 };
        let phoff = self.uint(0x18 + w as u64, w, le)?;
        let shoff = self.uint(0x18 + 2 * w as u64, w, le)?;
        let base = 0x18 + 3 * w as u64 + 4; // after e_entry, e_phoff, e_shoff, e_flags
        let (phentsize, phnum) = (self.uint(base + 2, 2, le)?, self.uint(base + 4, 2, le)?);
        let (shentsize, shnum) = (self.uint(base + 6, 2, le)?, self.uint(base + 8, 2, le)?);
        if !self.fits(phoff, phentsize * phnum) || !self.fits(shoff, shentsize * shnum) {
            return Err(self.truncated());
        }
        for i in 0..phnum {
            let ph = phoff + i * phentsize;
            let (off, size) = if is64 {
                (self.uint(ph + 8, 8, le)?, self.uint(ph + 32, 8, le)?)
            } else {
                (self.uint(ph + 4, 4, le)?, self.uint(ph + 16, 4, le)?)
            };
            if !self.fits(off, size) {
                return Err(self.truncated());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_copies_of_a_real_library_are_refused() {
        let exe = std::env::current_exe().unwrap();
        assert!(check_complete_elf(&exe).is_ok());
        let bytes = std::fs::read(&exe).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for cut in [64usize, 200, 1000, 5000, 100_000] {
            let p = dir.path().join(format!("cut{cut}"));
            std::fs::write(&p, &bytes[..cut.min(bytes.len() - 1)]).unwrap();
            assert!(check_complete_elf(&p).is_err(), "cut at {cut} accepted");
        }
        let text = dir.path().join("text");
        std::fs::write(&text, b"not elf").unwrap();
        assert!(check_complete_elf(&text).is_ok());
    }
}
