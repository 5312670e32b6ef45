//! The default credential chain, used when no account key, SAS token or service principal is
//! configured. Like Azure's `DefaultAzureCredential` it tries, in order:
//!
//! 1. **environment**: a service principal from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
//!    `AZURE_CLIENT_SECRET` (authority `AZURE_AUTHORITY_HOST`);
//! 2. **workload identity** (AKS): `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
//!    `AZURE_FEDERATED_TOKEN_FILE`;
//! 3. **managed identity**: the instance metadata service, or `IDENTITY_ENDPOINT` (App Service,
//!    Functions); `AZURE_CLIENT_ID` selects a user-assigned identity;
//! 4. **Azure CLI**: `az account get-access-token` of the signed-in user.
//!
//! The first source that yields a token is remembered and used from then on. Reading these
//! variables is the one place the plugin looks at the environment: that is what a credential
//! chain is (the engine has no say in which identity a machine has). The chain is probed on the
//! first request, not when the bucket is opened.

use std::sync::Arc;
use std::sync::Mutex;

use async_trait::async_trait;
use object_store::CredentialProvider;
use object_store::azure::{AzureCredential, AzureCredentialProvider};
use stowage_plugin_sdk::Result;

use crate::credentials::{ClientSettings, probe_retry};

/// One link of the chain.
pub struct Source {
    /// Shown in errors (`managed identity`).
    pub name: &'static str,
    /// The provider, or why this source is not configured.
    pub provider: std::result::Result<AzureCredentialProvider, String>,
}

impl std::fmt::Debug for Source {
    // The provider is left out: a provider's `Debug` may print a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("name", &self.name)
            .field("configured", &self.provider.is_ok())
            .finish()
    }
}

/// No source of the chain produced a credential; the text says what each one answered.
#[derive(Debug)]
pub struct NoCredentialError(pub String);

impl std::fmt::Display for NoCredentialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no Azure credential found; tried {}. Set azure_storage_account_key, \
             azure_storage_sas_token or azure_tenant_id/azure_client_id/azure_client_secret, \
             or sign in with `az login`",
            self.0
        )
    }
}

impl std::error::Error for NoCredentialError {}

/// Tries each source in order; remembers the first that works.
pub struct DefaultChain {
    sources: Vec<Source>,
    chosen: Mutex<Option<usize>>,
    probing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.sources.iter().map(|s| s.name).collect();
        f.debug_struct("DefaultChain")
            .field("sources", &names)
            .field("chosen", &self.chosen())
            .finish()
    }
}

impl DefaultChain {
    /// A chain over `sources`, tried in order.
    pub fn new(sources: Vec<Source>) -> DefaultChain {
        DefaultChain {
            sources,
            chosen: Mutex::new(None),
            probing: tokio::sync::Mutex::new(()),
        }
    }

    /// The standard chain for a bucket, configured from the process environment.
    pub fn from_environment(settings: &ClientSettings) -> Result<DefaultChain> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let tenant = var("AZURE_TENANT_ID");
        let client = var("AZURE_CLIENT_ID");
        let authority = var("AZURE_AUTHORITY_HOST");
        let base = || {
            let builder = settings.builder();
            match &authority {
                Some(host) => builder.with_authority_host(host),
                None => builder,
            }
        };
        let provider = |builder: object_store::azure::MicrosoftAzureBuilder| {
            builder
                .build()
                .map(|store| Arc::clone(store.credentials()))
                .map_err(|e| e.to_string())
        };
        let environment = match (&tenant, &client, var("AZURE_CLIENT_SECRET")) {
            (Some(t), Some(c), Some(secret)) => provider(
                base()
                    .with_tenant_id(t)
                    .with_client_id(c)
                    .with_client_secret(secret)
                    .with_credential_type("client_secret"),
            ),
            _ => Err(
                "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are not all set".into(),
            ),
        };
        let workload = match (&tenant, &client, var("AZURE_FEDERATED_TOKEN_FILE")) {
            (Some(t), Some(c), Some(file)) => provider(
                base()
                    .with_tenant_id(t)
                    .with_client_id(c)
                    .with_federated_token_file(file)
                    .with_credential_type("workload_identity"),
            ),
            _ => Err("AZURE_FEDERATED_TOKEN_FILE is not set".into()),
        };
        let mut managed = base()
            .with_retry(probe_retry())
            .with_credential_type("managed_identity");
        if let Some(c) = &client {
            managed = managed.with_client_id(c);
        }
        if let Some(endpoint) = var("IDENTITY_ENDPOINT").or_else(|| var("MSI_ENDPOINT")) {
            managed = managed.with_msi_endpoint(endpoint);
        }
        Ok(DefaultChain::new(vec![
            Source {
                name: "environment",
                provider: environment,
            },
            Source {
                name: "workload identity",
                provider: workload,
            },
            Source {
                name: "managed identity",
                provider: provider(managed),
            },
            Source {
                name: "Azure CLI",
                provider: provider(base().with_credential_type("azure_cli")),
            },
        ]))
    }

    /// The source in use, once one has worked.
    pub fn chosen(&self) -> Option<&'static str> {
        self.chosen_index().map(|i| self.sources[i].name)
    }

    fn chosen_index(&self) -> Option<usize> {
        *self.chosen.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn probe(&self) -> object_store::Result<Arc<AzureCredential>> {
        let _one_at_a_time = self.probing.lock().await;
        if let Some(i) = self.chosen_index() {
            return self.get_from(i).await;
        }
        let mut answers = Vec::new();
        for (i, source) in self.sources.iter().enumerate() {
            let provider = match &source.provider {
                Ok(provider) => provider,
                Err(why) => {
                    answers.push(format!("{} ({why})", source.name));
                    continue;
                }
            };
            match provider.get_credential().await {
                Ok(credential) => {
                    *self.chosen.lock().unwrap_or_else(|p| p.into_inner()) = Some(i);
                    return Ok(credential);
                }
                Err(e) => answers.push(format!("{} ({})", source.name, first_line(&e))),
            }
        }
        Err(object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: Box::new(NoCredentialError(answers.join("; "))),
        })
    }

    async fn get_from(&self, i: usize) -> object_store::Result<Arc<AzureCredential>> {
        match &self.sources[i].provider {
            Ok(provider) => provider.get_credential().await,
            Err(why) => Err(object_store::Error::Generic {
                store: "MicrosoftAzure",
                source: why.clone().into(),
            }),
        }
    }
}

#[async_trait]
impl CredentialProvider for DefaultChain {
    type Credential = AzureCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AzureCredential>> {
        match self.chosen_index() {
            Some(i) => self.get_from(i).await,
            None => self.probe().await,
        }
    }
}

/// The cause in an error's first line (after the request description `… - `), at most 200
/// characters.
fn first_line(err: &object_store::Error) -> String {
    let text = err.to_string();
    let line = text.lines().next().unwrap_or_default();
    let line = line.rsplit(" - ").next().unwrap_or(line).trim();
    match line.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests;
