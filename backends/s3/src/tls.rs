//! `client_kwargs.verify`: the HTTP client used when certificates are checked against a custom
//! CA bundle, or not checked at all.
//!
//! - A CA bundle goes to the SDK's own client (rustls + aws-lc, system roots plus the bundle).
//!   The bundle is parsed here first, so a bad file is a clear error, not a panic later.
//! - `verify=false` needs a connector the SDK does not offer: [`UnverifiedTlsClient`] is a
//!   hyper client over rustls with a verifier that accepts any certificate (botocore's
//!   `verify=False`). Connection errors are classified like the SDK's (I/O: retried).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::config::{SharedHttpClient, http::HttpResponse};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use stowage_plugin_sdk::{PluginError, Result};

use crate::config::TlsVerify;

/// The HTTP client for `verify`, or `None` for the SDK's default client.
pub fn http_client(verify: &TlsVerify) -> Result<Option<SharedHttpClient>> {
    match verify {
        TlsVerify::System => Ok(None),
        TlsVerify::CaBundle(path) => ca_bundle_client(path).map(Some),
        TlsVerify::Disabled => Ok(Some(SharedHttpClient::new(UnverifiedTlsClient::default()))),
    }
}

/// The SDK's client trusting the system roots and the certificates in the PEM file at `path`.
fn ca_bundle_client(path: &Path) -> Result<SharedHttpClient> {
    let pem = std::fs::read(path).map_err(|e| {
        PluginError::invalid(format!(
            "cannot read the CA bundle of client_kwargs.verify `{}`: {e}",
            path.display()
        ))
    })?;
    check_ca_bundle(&pem).map_err(|why| {
        PluginError::invalid(format!(
            "client_kwargs.verify `{}` is not a usable PEM CA bundle: {why}",
            path.display()
        ))
    })?;
    let context = TlsContext::builder()
        .with_trust_store(TrustStore::default().with_pem_certificate(pem))
        .build()
        .map_err(|e| PluginError::invalid(format!("TLS settings: {e}")))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

/// Checks that `pem` holds at least one certificate and that each parses as a trust anchor.
fn check_ca_bundle(pem: &[u8]) -> std::result::Result<(), String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format!("{e:?}"))?;
    if certs.is_empty() {
        return Err("it contains no certificate".into());
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Connect and read timeouts of a connector.
type Timeouts = (Option<Duration>, Option<Duration>);

/// An HTTP client that accepts any server certificate (`client_kwargs.verify=false`).
#[derive(Debug, Default)]
pub struct UnverifiedTlsClient {
    /// One connector (and so one connection pool) per timeout setting.
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

impl HttpClient for UnverifiedTlsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(|p| p.into_inner());
        connectors
            .entry(key)
            .or_insert_with(|| SharedHttpConnector::new(UnverifiedConnector::new(key.0, key.1)))
            .clone()
    }
}

/// A hyper client over rustls without certificate checks.
#[derive(Debug, Clone)]
struct UnverifiedConnector {
    client: Client<HttpsConnector<TcpConnector>, SdkBody>,
    read_timeout: Option<Duration>,
}

impl UnverifiedConnector {
    fn new(connect_timeout: Option<Duration>, read_timeout: Option<Duration>) -> Self {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(connect_timeout);
        let https = HttpsConnector::from((tcp, unverified_tls_config()));
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(https);
        UnverifiedConnector {
            client,
            read_timeout,
        }
    }
}

impl HttpConnector for UnverifiedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let response = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, response)
                    .await
                    .map_err(|e| ConnectorError::timeout(e.into()))?,
                None => response.await,
            };
            let response = response.map_err(|e| ConnectorError::io(e.into()))?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// rustls settings with the aws-lc provider and a verifier that accepts everything.
fn unverified_tls_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("the aws-lc provider supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// Accepts any server certificate and handshake signature.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bundles_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = ca_bundle_client(&missing).unwrap_err();
        assert!(err.message().contains("client_kwargs.verify"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = ca_bundle_client(&empty).unwrap_err();
        assert!(err.message().contains("no certificate"), "{err}");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = ca_bundle_client(&garbage).unwrap_err();
        assert!(
            err.message().contains("not a usable PEM CA bundle"),
            "{err}"
        );
    }
}
