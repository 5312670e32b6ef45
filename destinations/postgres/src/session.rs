//! One PostgreSQL connection as a [`Destination`]: SQL scripts, small queries as JSON lines,
//! and `COPY` of staged files. Calls are serialized by a mutex; the session's time zone is UTC.

use std::sync::{Mutex, MutexGuard};

use postgres::{Client, NoTls, SimpleQueryMessage};
use stowage_plugin_sdk::{CopyRequest, Destination, ObjectReader, PluginError, Result};

use crate::config::PostgresConfig;
use crate::copy::{broke_session, copy_file};
use crate::errors::from_pg;

/// An open connection.
pub struct PostgresSession {
    client: Mutex<Client>,
    config: PostgresConfig,
    secrets: Vec<String>,
}

impl std::fmt::Debug for PostgresSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresSession")
    }
}

impl PostgresSession {
    /// Connects (without TLS) and sets the session time zone to UTC.
    pub fn connect(config: &PostgresConfig) -> Result<PostgresSession> {
        Ok(PostgresSession {
            client: Mutex::new(new_client(config)?),
            config: config.clone(),
            secrets: config.secrets.clone(),
        })
    }

    fn client(&self) -> MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Destination for PostgresSession {
    fn execute(&self, sql: &str) -> Result<()> {
        self.client().batch_execute(sql).map_err(|e| {
            from_pg(&e, "executing SQL", &self.secrets).with_context("sql", excerpt(sql))
        })
    }

    fn query(&self, sql: &str) -> Result<String> {
        let wrapped = format!(
            "SELECT row_to_json(q)::text FROM ({}) q",
            sql.trim().trim_end_matches(';')
        );
        let messages = self.client().simple_query(&wrapped).map_err(|e| {
            from_pg(&e, "running a query", &self.secrets).with_context("sql", excerpt(sql))
        })?;
        let mut out = String::new();
        for message in messages {
            if let SimpleQueryMessage::Row(row) = message {
                let line = row.get(0).ok_or_else(|| {
                    PluginError::unexpected("postgres: row_to_json returned NULL")
                })?;
                out.push_str(line);
                out.push('\n');
            }
        }
        Ok(out)
    }

    fn copy_file(&self, request: &CopyRequest, source: Box<dyn ObjectReader>) -> Result<u64> {
        let mut client = self.client();
        let result = copy_file(&mut client, request, source, &self.secrets);
        if let Err(e) = &result
            && broke_session(e)
        {
            // The server aborted the COPY (and any open transaction with it); a new connection
            // behaves as a rolled-back session.
            *client = new_client(&self.config)?;
        }
        result
    }
}

fn new_client(config: &PostgresConfig) -> Result<Client> {
    let mut client = config
        .driver
        .connect(NoTls)
        .map_err(|e| from_pg(&e, "connecting", &config.secrets))?;
    client
        .batch_execute("SET TIME ZONE 'UTC'")
        .map_err(|e| from_pg(&e, "setting the time zone", &config.secrets))?;
    Ok(client)
}

/// The start of a SQL text, for error context.
fn excerpt(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(200).collect()
}
