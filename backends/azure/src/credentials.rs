//! Building the `object_store` client for one bucket: endpoint, HTTP settings and the credential
//! form chosen in [`crate::config`].
//!
//! | form | options | requests carry |
//! |---|---|---|
//! | Shared Key | `azure_storage_account_key` | `Authorization: SharedKey …` |
//! | SAS | `azure_storage_sas_token` | the token's query parameters |
//! | service principal | `azure_tenant_id`, `azure_client_id`, `azure_client_secret` | Entra bearer token |
//! | anonymous | `kwargs.anon = true` | nothing |
//! | default chain | none of the above | bearer token from [`crate::default_chain`] |

use std::sync::Arc;
use std::time::Duration;

use object_store::azure::{AzureAccessKey, MicrosoftAzure, MicrosoftAzureBuilder, split_sas};
use object_store::{ClientOptions, HeaderValue, RetryConfig};
use stowage_plugin_sdk::{PluginError, Result};

use crate::config::{AzureConfig, Credential};
use crate::default_chain::DefaultChain;
use crate::endpoint::Endpoint;

/// `User-Agent` of every request.
const USER_AGENT: &str = concat!("stowage-azure/", env!("CARGO_PKG_VERSION"));

/// Where and how to connect, shared by the main client and the default chain's probes.
#[derive(Clone)]
pub struct ClientSettings {
    /// Account and Blob endpoint.
    pub endpoint: Endpoint,
    /// Container.
    pub container: String,
    /// HTTP settings.
    pub client_options: ClientOptions,
    /// Requests are sent unsigned (`kwargs.anon`).
    pub anonymous: bool,
}

impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSettings")
            .field("endpoint", &self.endpoint)
            .field("container", &self.container)
            .finish_non_exhaustive()
    }
}

impl ClientSettings {
    /// Settings for `container` at `endpoint` with the config's timeouts.
    pub fn new(endpoint: Endpoint, container: &str, config: &AzureConfig) -> ClientSettings {
        let mut client_options = ClientOptions::new()
            .with_user_agent(HeaderValue::from_static(USER_AGENT))
            .with_allow_http(endpoint.account_url.starts_with("http://"));
        if let Some(timeout) = config.connect_timeout {
            client_options = client_options.with_connect_timeout(timeout);
        }
        if let Some(timeout) = config.request_timeout {
            client_options = client_options.with_timeout(timeout);
        }
        ClientSettings {
            endpoint,
            container: container.to_string(),
            client_options,
            anonymous: config.credential == Credential::Anonymous,
        }
    }

    /// A builder for this account, container and endpoint, without credentials.
    pub fn builder(&self) -> MicrosoftAzureBuilder {
        let mut builder = MicrosoftAzureBuilder::new()
            .with_account(&self.endpoint.account)
            .with_container_name(&self.container)
            .with_endpoint(self.endpoint.account_url.clone())
            .with_client_options(self.client_options.clone())
            .with_retry(RetryConfig::default());
        if let Some(authority) = self.endpoint.authority_host {
            builder = builder.with_authority_host(authority);
        }
        builder
    }
}

/// The client for one bucket.
pub fn build_client(settings: &ClientSettings, credential: &Credential) -> Result<MicrosoftAzure> {
    let builder = settings.builder();
    let builder = match credential {
        Credential::AccountKey(key) => {
            AzureAccessKey::try_new(key.expose()).map_err(|_| {
                PluginError::invalid(
                    "azure_storage_account_key is not a valid account key (expected the \
                     base64 key shown under Access keys)",
                )
            })?;
            builder.with_access_key(key.expose())
        }
        Credential::SasToken(token) => builder.with_sas_authorization(sas_pairs(token.expose())?),
        Credential::ServicePrincipal {
            tenant_id,
            client_id,
            client_secret,
        } => builder
            .with_tenant_id(tenant_id)
            .with_client_id(client_id)
            .with_client_secret(client_secret.expose())
            .with_credential_type("client_secret"),
        Credential::Anonymous => builder.with_skip_signature(true),
        Credential::DefaultChain => {
            builder.with_credentials(Arc::new(DefaultChain::from_environment(settings)?))
        }
    };
    builder.build().map_err(|e| {
        // Builder errors name settings, never values; scrubbed anyway by the caller's context.
        PluginError::invalid(format!("cannot configure the Azure client: {e}"))
    })
}

/// The query pairs of a SAS token (with or without the leading `?`).
fn sas_pairs(token: &str) -> Result<Vec<(String, String)>> {
    let invalid = || {
        PluginError::invalid(
            "azure_storage_sas_token is not a SAS token (expected a query string such as \
             `sv=…&se=…&sp=…&sig=…`)",
        )
    };
    let pairs = split_sas(token).map_err(|_| invalid())?;
    if !pairs.iter().any(|(k, _)| k == "sig") {
        return Err(invalid());
    }
    Ok(pairs)
}

/// Retry settings for the probes of the default chain: fail fast off Azure.
pub fn probe_retry() -> RetryConfig {
    RetryConfig {
        max_retries: 1,
        retry_timeout: Duration::from_secs(5),
        ..RetryConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::url::BucketUrl;

    fn settings() -> ClientSettings {
        let url = BucketUrl::parse("az://c/p").unwrap();
        let endpoint = Endpoint::resolve(&url, Some("acct"), None).unwrap();
        let config = AzureConfig::from_options(Default::default()).unwrap();
        ClientSettings::new(endpoint, "c", &config)
    }

    #[test]
    fn invalid_keys_and_tokens_are_rejected_without_echoing_them() {
        let err = build_client(
            &settings(),
            &Credential::AccountKey(Secret::new("not base64!!")),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("azure_storage_account_key is not a valid"),
            "{err}"
        );
        assert!(!err.to_string().contains("not base64!!"), "{err}");
        let err = build_client(
            &settings(),
            &Credential::SasToken(Secret::new("just-a-word")),
        )
        .unwrap_err();
        assert!(err.to_string().contains("is not a SAS token"), "{err}");
        assert!(!err.to_string().contains("just-a-word"), "{err}");
    }

    #[test]
    fn every_static_form_builds() {
        for credential in [
            Credential::AccountKey(Secret::new("a2V5a2V5")),
            Credential::SasToken(Secret::new("?sv=2022-11-02&sp=r&sig=abc%3D")),
            Credential::ServicePrincipal {
                tenant_id: "t".into(),
                client_id: "c".into(),
                client_secret: Secret::new("s"),
            },
            Credential::Anonymous,
        ] {
            build_client(&settings(), &credential).unwrap();
        }
    }
}
