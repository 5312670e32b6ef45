//! Opening an object for reading: buffered, and gunzipped when it starts with the gzip magic.

use std::io::{BufRead, BufReader, Cursor, Read};

use flate2::read::MultiGzDecoder;
use stowage_plugin_sdk::io::ReadAdapter;
use stowage_plugin_sdk::{ObjectReader, PluginError, Result};

/// Read buffer size (also of the gunzipped stream).
pub const READ_BUFFER: usize = 256 * 1024;

/// Buffers the source and gunzips it if it starts with the gzip magic `1f 8b`; `what` names
/// the read in an I/O error (`"reading csv"`).
pub fn open_input(source: Box<dyn ObjectReader>, what: &str) -> Result<Box<dyn BufRead + Send>> {
    let mut raw = BufReader::with_capacity(READ_BUFFER, ReadAdapter::new(source));
    let mut head = Vec::with_capacity(2);
    (&mut raw)
        .take(2)
        .read_to_end(&mut head)
        .map_err(|e| PluginError::from_io_error(e, what))?;
    let gzip = head == [0x1f, 0x8b];
    let joined = Cursor::new(head).chain(raw);
    Ok(if gzip {
        Box::new(BufReader::with_capacity(
            READ_BUFFER,
            MultiGzDecoder::new(joined),
        ))
    } else {
        Box::new(joined)
    })
}
