//! Progress on stderr: a one-line bar redrawn in place on a terminal (records normalized, files
//! and bytes uploaded), plain log lines otherwise (one per package step; one per file with
//! `STOWAGE_LOG=debug`), nothing but warnings and errors with `--quiet`. Everything goes
//! through the output scrubber.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stowage::progress::{Event, Progress};

use crate::log;
use crate::output::{errln, scrub};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A bar redrawn in place (stderr is a terminal).
    Bar,
    /// One line per step (logs, pipes).
    Lines,
    /// Only warnings and errors.
    Quiet,
}

#[derive(Debug, Default)]
struct Counters {
    records: u64,
    files: usize,
    files_done: usize,
    bytes: u64,
    bytes_done: u64,
    deletes: usize,
    deleted: usize,
    last_draw: Option<Instant>,
    bar_shown: bool,
}

/// The CLI's progress sink.
#[derive(Debug)]
pub struct Reporter {
    mode: Mode,
    counters: Mutex<Counters>,
}

/// Redraws per second on a terminal, at most.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

impl Reporter {
    /// A reporter for stderr: a bar on a terminal, lines otherwise, quiet if asked.
    pub fn for_stderr(quiet: bool) -> Arc<Reporter> {
        let mode = match (quiet, std::io::stderr().is_terminal()) {
            (true, _) => Mode::Quiet,
            (false, true) => Mode::Bar,
            (false, false) => Mode::Lines,
        };
        Arc::new(Reporter {
            mode,
            counters: Mutex::new(Counters::default()),
        })
    }

    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A line that stays (the bar, if shown, is cleared first).
    fn line(&self, text: &str) {
        self.clear_bar();
        errln!("{text}");
    }

    fn clear_bar(&self) {
        let mut c = self.counters();
        if c.bar_shown {
            let _ = std::io::stderr().write_all(b"\r\x1b[2K");
            c.bar_shown = false;
        }
    }

    fn draw(&self, force: bool) {
        if self.mode != Mode::Bar {
            return;
        }
        let mut c = self.counters();
        let now = Instant::now();
        if !force
            && c.last_draw
                .is_some_and(|t| now.duration_since(t) < REDRAW_EVERY)
        {
            return;
        }
        c.last_draw = Some(now);
        let text = match c.files {
            0 => format!("normalizing: {} records", c.records),
            total => {
                let width = 24;
                let filled = (c.files_done * width).checked_div(total).unwrap_or(width);
                format!(
                    "uploading [{}{}] {}/{} files, {}/{}{}",
                    "#".repeat(filled),
                    "-".repeat(width - filled),
                    c.files_done,
                    total,
                    human_bytes(c.bytes_done),
                    human_bytes(c.bytes),
                    match c.deletes {
                        0 => String::new(),
                        n => format!(", {}/{n} deleted", c.deleted),
                    }
                )
            }
        };
        let _ = std::io::stderr().write_all(format!("\r\x1b[2K{}", scrub(&text)).as_bytes());
        c.bar_shown = true;
    }
}

impl Progress for Reporter {
    fn on_event(&self, event: &Event<'_>) {
        match event {
            Event::Warning { message } => self.line(&format!("warning: {message}")),
            Event::JobFailed { job, error } => {
                self.line(&format!("error: job {job} failed: {error}"))
            }
            _ if self.mode == Mode::Quiet => {}
            Event::Retrying {
                what,
                retry,
                error,
                delay,
            } => self.line(&format!(
                "retry {retry} of {what} in {} ms: {error}",
                delay.as_millis()
            )),
            Event::Normalizing { records } => {
                self.counters().records = *records;
                self.draw(false);
            }
            Event::Normalized {
                load_id,
                rows,
                jobs,
            } if self.mode == Mode::Lines => self.line(&format!(
                "normalized {rows} rows into {jobs} file(s) (load {load_id})"
            )),
            Event::LoadStarted {
                load_id,
                files,
                bytes,
                deletes,
            } => {
                {
                    let mut c = self.counters();
                    (c.files, c.files_done, c.bytes, c.bytes_done) = (*files, 0, *bytes, 0);
                    (c.deletes, c.deleted) = (*deletes, 0);
                }
                match self.mode {
                    Mode::Lines => self.line(&format!(
                        "loading {load_id}: {files} file(s), {bytes} bytes{}",
                        match deletes {
                            0 => String::new(),
                            n => format!(", {n} object(s) to delete first (replace)"),
                        }
                    )),
                    _ => self.draw(true),
                }
            }
            Event::Deleted { key } => {
                self.counters().deleted += 1;
                match self.mode {
                    Mode::Lines if log::enabled() => self.line(&format!("deleted {key}")),
                    Mode::Lines => {}
                    _ => self.draw(false),
                }
            }
            Event::Uploaded { key, bytes } => {
                {
                    let mut c = self.counters();
                    c.files_done += 1;
                    c.bytes_done += bytes;
                }
                match self.mode {
                    Mode::Lines if log::enabled() => {
                        self.line(&format!("uploaded {key} ({bytes} bytes)"))
                    }
                    Mode::Lines => {}
                    _ => self.draw(false),
                }
            }
            Event::LoadFinished {
                load_id,
                files,
                bytes,
            } => match self.mode {
                Mode::Lines => self.line(&format!(
                    "loaded {load_id}: {files} file(s), {bytes} bytes, marker written"
                )),
                _ => self.clear_bar(),
            },
            _ => {}
        }
    }
}

/// `1.5 MiB`-style sizes for the bar.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
    }
}
