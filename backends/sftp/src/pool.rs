//! A small pool of SFTP connections, so parallel and successive operations reuse authenticated
//! sessions instead of paying a handshake each.
//!
//! A [`Lease`] holds one connection; dropping it hands the connection back (up to
//! [`MAX_IDLE`] are kept), unless it was marked broken. One-shot operations go through
//! [`Pool::run`]: when a *reused* connection turns out to be dead (the server restarted or dropped
//! an idle session), the idle ones are discarded and the operation is tried once more on a fresh
//! connection. A failure on a fresh connection is returned as is (retryable when it is a network
//! failure), for the engine to retry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use ssh2::Sftp;
use stowage_plugin_sdk::{PluginError, Result};

use crate::connection::{Connection, Connector};
use crate::errors::{breaks_connection, ssh_error};

/// Idle connections kept for reuse.
pub const MAX_IDLE: usize = 4;

/// A failed operation: the error, and whether it broke the connection.
#[derive(Debug)]
pub struct Failure {
    /// What to report.
    pub error: PluginError,
    /// True if the connection must not be used again.
    pub broken: bool,
}

impl Failure {
    /// A libssh2 error of `what` on the server at `address`.
    pub fn ssh(err: &ssh2::Error, what: &str, address: &str) -> Failure {
        Failure {
            error: ssh_error(err, what, address),
            broken: breaks_connection(err),
        }
    }

    /// An error that leaves the connection usable.
    pub fn keeps_connection(error: PluginError) -> Failure {
        Failure {
            error,
            broken: false,
        }
    }
}

impl From<Failure> for PluginError {
    fn from(f: Failure) -> PluginError {
        f.error
    }
}

/// The connections of one bucket.
#[derive(Debug)]
pub struct Pool {
    connector: Connector,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    /// A pool holding one freshly opened connection (so bad settings fail at open).
    pub fn open(connector: Connector) -> Result<Arc<Pool>> {
        let first = connector.connect()?;
        Ok(Arc::new(Pool {
            connector,
            idle: Mutex::new(vec![first]),
        }))
    }

    /// The connector (settings, address, counters).
    pub fn connector(&self) -> &Connector {
        &self.connector
    }

    /// An idle connection, or a new one.
    pub fn lease(self: &Arc<Self>) -> Result<Lease> {
        let idle = self.idle().pop();
        match idle {
            Some(conn) => Ok(self.wrap(conn, true)),
            None => self.lease_new(),
        }
    }

    /// A new connection.
    pub fn lease_new(self: &Arc<Self>) -> Result<Lease> {
        let conn = self.connector.connect()?;
        Ok(self.wrap(conn, false))
    }

    /// Runs a one-shot operation; retried once on a fresh connection if a reused one was dead.
    /// Returns the lease too, for operations that keep using the connection.
    pub fn run<T>(
        self: &Arc<Self>,
        op: impl Fn(&Lease) -> std::result::Result<T, Failure>,
    ) -> Result<(Lease, T)> {
        let lease = self.lease()?;
        match op(&lease) {
            Ok(value) => Ok((lease, value)),
            Err(failure) if failure.broken => {
                lease.mark_broken();
                if !lease.reused {
                    return Err(failure.error);
                }
                drop(lease);
                let fresh = self.lease_new()?;
                match op(&fresh) {
                    Ok(value) => Ok((fresh, value)),
                    Err(failure) => {
                        if failure.broken {
                            fresh.mark_broken();
                        }
                        Err(failure.error)
                    }
                }
            }
            Err(failure) => Err(failure.error),
        }
    }

    /// Drops every idle connection (after one was found dead, the others likely are too).
    pub fn discard_idle(&self) {
        let dead: Vec<Connection> = std::mem::take(&mut *self.idle());
        drop(dead);
    }

    fn wrap(self: &Arc<Self>, conn: Connection, reused: bool) -> Lease {
        Lease {
            pool: Arc::clone(self),
            conn: Some(conn),
            reused,
            broken: AtomicBool::new(false),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        } else {
            drop(idle);
            conn.close();
        }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for conn in std::mem::take(&mut *self.idle()) {
            conn.close();
        }
    }
}

/// One connection taken from the pool; returned on drop unless marked broken.
#[derive(Debug)]
pub struct Lease {
    pool: Arc<Pool>,
    conn: Option<Connection>,
    reused: bool,
    broken: AtomicBool,
}

impl Lease {
    /// The SFTP channel.
    pub fn sftp(&self) -> &Sftp {
        &self.conn.as_ref().expect("present until drop").sftp
    }

    /// `host:port` for messages.
    pub fn address(&self) -> &str {
        self.pool.connector.address()
    }

    /// Marks the connection as unusable: it is dropped instead of returned, and the idle ones
    /// are discarded too.
    pub fn mark_broken(&self) {
        if !self.broken.swap(true, Ordering::Relaxed) {
            self.pool.discard_idle();
        }
    }

    /// True if the connection was marked broken.
    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && !self.is_broken()
        {
            self.pool.give_back(conn);
        }
    }
}
