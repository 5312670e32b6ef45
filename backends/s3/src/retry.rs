//! Retry classification on top of the SDK's standard mode: a rejected TLS certificate is not
//! transient, so it is reported at once instead of after five attempts with backoff.

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};

use crate::error::error_chain;

/// Forbids retrying requests whose connection failed on the server's certificate.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRetryOnCertificateErrors;

impl ClassifyRetry for NoRetryOnCertificateErrors {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(err)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        match err.as_connector_error() {
            Some(connector) if is_certificate_error(&error_chain(connector)) => {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "stowage: no retry on certificate errors"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Whether an error chain's text is about the server's certificate.
pub fn is_certificate_error(chain: &str) -> bool {
    let lower = chain.to_ascii_lowercase();
    lower.contains("certificate") || lower.contains("unknownissuer")
}
