//! [`UserTokenProvider`]: access tokens for OAuth user credentials (`client_id`, `client_secret`,
//! `refresh_token`) by the refresh-token grant, cached until shortly before they expire.
//!
//! gcloud-auth has such a source, but it ignores the HTTP status of the token endpoint (a
//! rejection reads as a body-decoding error, indistinguishable from an outage) and derives
//! `Debug` over the secrets. This one maps statuses like every other request (429/5xx
//! retryable, 400/401 `PermissionDenied`) and scrubs the secrets from what the endpoint says.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stowage_plugin_sdk::{ErrorKind, PluginError, Result};
use token_source::{TokenSource, TokenSourceProvider};

use crate::config::UserCredentials;
use crate::error::{from_reqwest, is_retryable_status};
use crate::secret::{Redactor, Secret};

/// Google's OAuth token endpoint (when `token_uri` is not given).
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// A token is renewed this long before it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Hands the storage client a [`UserTokenSource`].
#[derive(Debug, Clone)]
pub struct UserTokenProvider(Arc<UserTokenSource>);

impl UserTokenProvider {
    /// A provider for `user`, fetching through `http`.
    pub fn new(
        user: UserCredentials,
        http: reqwest::Client,
        redactor: Redactor,
    ) -> UserTokenProvider {
        UserTokenProvider(Arc::new(UserTokenSource {
            user,
            http,
            redactor,
            cached: Mutex::new(None),
        }))
    }

    /// The source itself (to fetch the first token while opening).
    pub fn source(&self) -> &UserTokenSource {
        &self.0
    }
}

impl TokenSourceProvider for UserTokenProvider {
    fn token_source(&self) -> Arc<dyn TokenSource> {
        self.0.clone()
    }
}

/// Fetches and caches access tokens.
pub struct UserTokenSource {
    user: UserCredentials,
    http: reqwest::Client,
    redactor: Redactor,
    cached: Mutex<Option<(Secret, Option<Instant>)>>,
}

impl std::fmt::Debug for UserTokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserTokenSource")
            .field("client_id", &self.user.client_id)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's answer (success or error).
#[derive(serde::Deserialize, Default)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<u64>,
    error: Option<String>,
    error_description: Option<String>,
}

impl UserTokenSource {
    /// A valid access token: the cached one, or a fresh one from the token endpoint.
    pub async fn access_token(&self) -> Result<Secret> {
        if let Some(token) = self.cached_token() {
            return Ok(token);
        }
        let (token, lifetime) = self.fetch().await?;
        let expires = lifetime.map(|l| Instant::now() + l.saturating_sub(EXPIRY_MARGIN));
        *self.cached.lock().expect("not poisoned") = Some((token.clone(), expires));
        Ok(token)
    }

    fn cached_token(&self) -> Option<Secret> {
        let cached = self.cached.lock().expect("not poisoned");
        match &*cached {
            Some((token, expires)) if expires.is_none_or(|e| Instant::now() < e) => {
                Some(token.clone())
            }
            _ => None,
        }
    }

    /// One refresh-token grant.
    async fn fetch(&self) -> Result<(Secret, Option<Duration>)> {
        let uri = self.user.token_uri.as_deref().unwrap_or(GOOGLE_TOKEN_URI);
        let form = [
            ("client_id", self.user.client_id.as_str()),
            ("client_secret", self.user.client_secret.expose()),
            ("grant_type", "refresh_token"),
            ("refresh_token", self.user.refresh_token.expose()),
        ];
        let response = self
            .http
            .post(uri)
            .form(&form)
            .send()
            .await
            .map_err(from_reqwest)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(from_reqwest)?;
        let answer: TokenAnswer = serde_json::from_slice(&body).unwrap_or_default();
        match answer.access_token {
            Some(token) if (200..300).contains(&status) => Ok((
                Secret::new(token),
                answer.expires_in.map(Duration::from_secs),
            )),
            _ => Err(self.rejection(status, &answer)),
        }
    }

    fn rejection(&self, status: u16, answer: &TokenAnswer) -> PluginError {
        let retryable = is_retryable_status(status);
        let kind = if retryable {
            ErrorKind::Io
        } else {
            ErrorKind::PermissionDenied
        };
        let detail = [answer.error.as_deref(), answer.error_description.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        let message =
            format!("the token endpoint answered HTTP {status} without an access token: {detail}");
        PluginError::new(kind, self.redactor.scrub(&message)).with_retryable(retryable)
    }
}

#[async_trait::async_trait]
impl TokenSource for UserTokenSource {
    async fn token(&self) -> std::result::Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let token = self.access_token().await?;
        Ok(format!("Bearer {}", token.expose()))
    }
}
