//! Local copies of remote data files for the SQL engine, in a private temporary folder that is
//! deleted with the cache. Files are streamed from the backend reader to disk in 1 MiB chunks
//! (memory stays flat whatever the file size); local buckets are read in place. Parquet files
//! can instead be copied with only some of their columns ([`FileCache::fetch_columns`]).

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use stowage_plugin_sdk::{Backend, ObjectReader};

use super::files::DataFile;
use super::prune::write_pruned;
use super::stats::ReadStats;
use crate::plugins::Registry;
use crate::{Error, Result};

const CHUNK: usize = 1 << 20;

/// A temporary folder of fetched files (removed on drop).
#[derive(Debug)]
pub struct FileCache {
    dir: PathBuf,
    fetched: HashMap<String, PathBuf>,
    /// Pruned copies: key → (kept columns, path).
    pruned: HashMap<String, (BTreeSet<String>, PathBuf)>,
    counter: u64,
}

impl FileCache {
    /// Creates a new empty folder under the system temp dir.
    pub fn new() -> Result<FileCache> {
        let tag: u64 = rand::random();
        let dir =
            std::env::temp_dir().join(format!("stowage-sql-{}-{tag:016x}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::from_io(&e, format!("creating {}", dir.display())))?;
        Ok(FileCache {
            dir,
            fetched: HashMap::new(),
            pruned: HashMap::new(),
            counter: 0,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new unused path in the folder ending in `suffix`.
    pub fn scratch_path(&mut self, suffix: &str) -> PathBuf {
        self.counter += 1;
        self.dir.join(format!("scratch-{}{suffix}", self.counter))
    }

    /// The local copy of `file`, fetched (streamed) on first use.
    pub fn fetch(
        &mut self,
        backend: &dyn Backend,
        file: &DataFile,
        stats: &ReadStats,
    ) -> Result<PathBuf> {
        if let Some(path) = self.fetched.get(&file.key) {
            return Ok(path.clone());
        }
        self.counter += 1;
        // Keep the file name (and so its extension: DuckDB detects `.gz` by it).
        let path = self
            .dir
            .join(format!("{}-{}", self.counter, file.file_name()));
        let reader = backend
            .open_reader(&file.key)
            .map_err(|e| e.while_doing(format!("reading {}", file.key)))?;
        copy_to_file(stats.counting(reader), &path)
            .map_err(|e| e.while_doing(format!("fetching {} to {}", file.key, path.display())))?;
        self.fetched.insert(file.key.clone(), path.clone());
        if let Some((_, pruned)) = self.pruned.remove(&file.key) {
            let _ = std::fs::remove_file(pruned);
        }
        Ok(path)
    }
}

impl FileCache {
    /// A local parquet copy of the parquet `file` with only `columns` (a whole copy if it was
    /// fetched whole before, or if the parquet plugin cannot project). A new column set
    /// replaces the previous copy of the file.
    pub fn fetch_columns(
        &mut self,
        registry: &Registry,
        backend: &dyn Backend,
        file: &DataFile,
        columns: &BTreeSet<String>,
        stats: &ReadStats,
    ) -> Result<PathBuf> {
        if let Some(path) = self.fetched.get(&file.key) {
            return Ok(path.clone());
        }
        if let Some((kept, path)) = self.pruned.get(&file.key)
            && kept == columns
        {
            return Ok(path.clone());
        }
        self.counter += 1;
        let path = self
            .dir
            .join(format!("{}-columns-{}", self.counter, file.file_name()));
        if !write_pruned(registry, backend, file, columns, stats, &path)? {
            return self.fetch(backend, file, stats);
        }
        if let Some((_, old)) = self
            .pruned
            .insert(file.key.clone(), (columns.clone(), path.clone()))
        {
            let _ = std::fs::remove_file(old);
        }
        Ok(path)
    }
}

impl Drop for FileCache {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_to_file(mut reader: Box<dyn ObjectReader>, path: &Path) -> Result<()> {
    let file = std::fs::File::create(path)
        .map_err(|e| Error::from_io(&e, format!("creating {}", path.display())))?;
    let mut out = std::io::BufWriter::with_capacity(CHUNK, file);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])
            .map_err(|e| Error::from_io(&e, format!("writing {}", path.display())))?;
    }
    out.flush()
        .map_err(|e| Error::from_io(&e, format!("writing {}", path.display())))
}

/// The local path of `key` when the bucket is a plain local folder (`/abs` or `file:///abs`
/// without percent-escapes); `None` means: fetch it through the backend.
pub fn local_path(bucket_url: &str, key: &str) -> Option<PathBuf> {
    if crate::bucket_url::scheme_of(bucket_url) != "file" {
        return None;
    }
    let path = bucket_url
        .strip_prefix("file://")
        .unwrap_or(bucket_url.strip_prefix("file:").unwrap_or(bucket_url));
    if !path.starts_with('/') || path.contains('%') {
        return None;
    }
    let full = Path::new(path).join(key);
    full.is_file().then_some(full)
}

/// An [`ObjectReader`] over a local file (query results read back through a format plugin).
pub struct LocalFileReader {
    file: std::fs::File,
}

impl LocalFileReader {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<LocalFileReader> {
        std::fs::File::open(path)
            .map(|file| LocalFileReader { file })
            .map_err(|e| Error::from_io(&e, format!("opening {}", path.display())))
    }
}

impl ObjectReader for LocalFileReader {
    fn size(&mut self) -> Result<u64> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| Error::from_io(&e, "reading a local file's size"))
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        std::io::Read::read(&mut self.file, buf)
            .map_err(|e| Error::from_io(&e, "reading a local file"))
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        use std::os::unix::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            let n = self
                .file
                .read_at(&mut buf[done..], offset + done as u64)
                .map_err(|e| Error::from_io(&e, "reading a local file"))?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }
}
