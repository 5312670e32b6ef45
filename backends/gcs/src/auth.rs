//! Builds the gcloud-storage [`Client`] for a [`GcsConfig`]: our HTTP client (connect and idle
//! timeouts), the endpoint, and a token source for the configured [`Credentials`].
//!
//! Service-account and OAuth-user credentials fetch their first access token while the client is
//! built, so wrong credentials fail when the bucket is opened, not at the first upload. That
//! fetch is retried like every other request. OAuth user credentials (given as fields or as an
//! `authorized_user` document) use [`UserTokenProvider`]; service accounts and Application
//! Default Credentials use gcloud-auth.

use std::sync::Arc;

use gcloud_storage::client::google_cloud_auth::credentials::CredentialsFile;
use gcloud_storage::client::{Client, ClientConfig};
use stowage_plugin_sdk::{PluginError, Result};
use token_source::{TokenSource, TokenSourceProvider};

use crate::config::{Credentials, GcsConfig, ServiceAccountKey, UserCredentials};
use crate::error::{from_auth, from_reqwest};
use crate::retry::with_retries;
use crate::secret::{Redactor, Secret};
use crate::user_token::UserTokenProvider;

/// A ready client for `config` (async: the caller blocks on it through the plugin runtime).
/// `redactor` learns the secrets found in credential files and documents.
pub async fn build_client(config: &GcsConfig, redactor: &mut Redactor) -> Result<Client> {
    let credentials = resolve(&config.credentials, config.project_id.as_deref())?;
    credentials.teach(redactor);
    let redactor = &*redactor;
    with_retries(&config.retry, config.requests_timeout, || {
        connect(config, &credentials, redactor)
    })
    .await
    .map_err(|e| {
        e.while_doing(format_args!(
            "authenticating to GCS with {}",
            describe(&config.credentials)
        ))
    })
}

/// Credentials in the form the client is built from.
enum Resolved {
    /// No `Authorization` header.
    Anonymous,
    /// A fixed token.
    AccessToken(Secret),
    /// OAuth user credentials, through [`UserTokenProvider`].
    User(UserCredentials),
    /// A service-account (or other) credentials document for gcloud-auth.
    Document(Secret),
    /// gcloud-auth's Application Default Credentials.
    ApplicationDefault,
}

impl Resolved {
    /// Lets `redactor` know every secret value in these credentials.
    fn teach(&self, redactor: &mut Redactor) {
        match self {
            Resolved::AccessToken(token) => redactor.add(token),
            Resolved::User(user) => {
                redactor.add(&user.client_secret);
                redactor.add(&user.refresh_token);
            }
            Resolved::Document(json) => {
                let doc: serde_json::Value =
                    serde_json::from_str(json.expose()).unwrap_or_default();
                for field in ["private_key", "client_secret", "refresh_token"] {
                    if let Some(value) = doc[field].as_str() {
                        redactor.add(&Secret::new(value));
                    }
                }
            }
            Resolved::Anonymous | Resolved::ApplicationDefault => {}
        }
    }
}

/// Reads files and parses documents once, before any attempt.
fn resolve(credentials: &Credentials, project_id: Option<&str>) -> Result<Resolved> {
    Ok(match credentials {
        Credentials::Anonymous => Resolved::Anonymous,
        Credentials::ApplicationDefault => Resolved::ApplicationDefault,
        Credentials::AccessToken(token) => Resolved::AccessToken(token.clone()),
        Credentials::AuthorizedUser(user) => Resolved::User(user.clone()),
        Credentials::ServiceAccount(key) => {
            Resolved::Document(service_account_json(key, project_id))
        }
        Credentials::Json(json) => document(json.clone())?,
        Credentials::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                PluginError::from_io(&e, "cannot read the GCS credentials file")
                    .with_context("credentials_file", path.display().to_string())
            })?;
            document(Secret::new(text))
                .map_err(|e| e.with_context("credentials_file", path.display().to_string()))?
        }
    })
}

/// A credentials document: `authorized_user` ones go to [`UserTokenProvider`], the rest to
/// gcloud-auth.
fn document(json: Secret) -> Result<Resolved> {
    let doc: serde_json::Value = serde_json::from_str(json.expose()).map_err(|e| {
        PluginError::invalid(format!(
            "the GCS credentials are not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if doc["type"] != "authorized_user" {
        return Ok(Resolved::Document(json));
    }
    let field = |name: &str| {
        doc[name].as_str().map(str::to_string).ok_or_else(|| {
            PluginError::invalid(format!("the authorized_user credentials have no `{name}`"))
        })
    };
    Ok(Resolved::User(UserCredentials {
        client_id: field("client_id")?,
        client_secret: Secret::new(field("client_secret")?),
        refresh_token: Secret::new(field("refresh_token")?),
        token_uri: doc["token_uri"].as_str().map(str::to_string),
    }))
}

/// One attempt at an authenticated client (fetches the first token where credentials have one).
async fn connect(
    config: &GcsConfig,
    credentials: &Resolved,
    redactor: &Redactor,
) -> Result<Client> {
    let http = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_idle_timeout)
        .build()
        .map_err(from_reqwest)?;
    let mut client_config = ClientConfig {
        http: Some(reqwest_middleware::ClientBuilder::new(http.clone()).build()),
        ..ClientConfig::default()
    };
    if let Some(endpoint) = &config.endpoint {
        client_config.storage_endpoint = endpoint.clone();
    }
    let fail = |e| from_auth(e, redactor);
    let client_config = match credentials {
        Resolved::Anonymous => client_config.anonymous(),
        Resolved::AccessToken(token) => ClientConfig {
            token_source_provider: Some(Box::new(StaticToken::new(token.clone()))),
            ..client_config
        },
        Resolved::User(user) => {
            let provider = UserTokenProvider::new(user.clone(), http, redactor.clone());
            provider.source().access_token().await?;
            ClientConfig {
                token_source_provider: Some(Box::new(provider)),
                ..client_config
            }
        }
        Resolved::Document(json) => {
            let file = CredentialsFile::new_from_str(json.expose())
                .await
                .map_err(fail)?;
            client_config.with_credentials(file).await.map_err(fail)?
        }
        Resolved::ApplicationDefault => client_config.with_auth().await.map_err(fail)?,
    };
    Ok(Client::new(client_config))
}

fn service_account_json(key: &ServiceAccountKey, project_id: Option<&str>) -> Secret {
    let doc = serde_json::json!({
        "type": "service_account",
        "client_email": key.client_email,
        "private_key": key.private_key.expose(),
        "private_key_id": key.private_key_id,
        "token_uri": key.token_uri,
        "project_id": project_id,
    });
    Secret::new(doc.to_string())
}

/// Which credentials were used, for error messages (never their values).
fn describe(credentials: &Credentials) -> String {
    match credentials {
        Credentials::ServiceAccount(key) => format!("service account `{}`", key.client_email),
        Credentials::AuthorizedUser(user) => format!("OAuth client `{}`", user.client_id),
        Credentials::AccessToken(_) => "an access token".into(),
        Credentials::File(path) => format!("credentials file `{}`", path.display()),
        Credentials::Json(_) => "the credentials JSON of `kwargs.token`".into(),
        Credentials::Anonymous => "anonymous access".into(),
        Credentials::ApplicationDefault => "Application Default Credentials".into(),
    }
}

/// A fixed access token (dlt's `GcpOAuthCredentials.token`), sent as `Bearer` on every request.
#[derive(Debug)]
struct StaticToken(Arc<StaticTokenSource>);

#[derive(Debug)]
struct StaticTokenSource(Secret);

impl StaticToken {
    fn new(token: Secret) -> StaticToken {
        StaticToken(Arc::new(StaticTokenSource(token)))
    }
}

impl TokenSourceProvider for StaticToken {
    fn token_source(&self) -> Arc<dyn TokenSource> {
        self.0.clone()
    }
}

#[async_trait::async_trait]
impl TokenSource for StaticTokenSource {
    async fn token(&self) -> std::result::Result<String, Box<dyn std::error::Error + Send + Sync>> {
        Ok(format!("Bearer {}", self.0.expose()))
    }
}

#[cfg(test)]
mod tests {
    use stowage_plugin_sdk::ErrorKind;

    use super::*;

    #[test]
    fn documents_carry_the_fields_and_debug_hides_the_token() {
        let key = ServiceAccountKey {
            client_email: "sa@p.iam.gserviceaccount.com".into(),
            private_key: Secret::new("PEM"),
            private_key_id: Some("kid".into()),
            token_uri: Some("http://127.0.0.1:1/token".into()),
        };
        let doc: serde_json::Value =
            serde_json::from_str(service_account_json(&key, Some("proj")).expose()).unwrap();
        assert_eq!(doc["type"], "service_account");
        assert_eq!(doc["token_uri"], "http://127.0.0.1:1/token");
        assert_eq!(doc["project_id"], "proj");
        let token = StaticToken::new(Secret::new("ya29.hidden"));
        assert!(!format!("{token:?}").contains("ya29.hidden"));
    }

    #[test]
    fn a_missing_credentials_file_names_the_option_and_path() {
        let err = resolve(&Credentials::File("/nonexistent/sa.json".into()), None)
            .err()
            .expect("missing file");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let text = err.to_string();
        assert!(
            text.contains("credentials_file=/nonexistent/sa.json"),
            "{text}"
        );
    }
}
