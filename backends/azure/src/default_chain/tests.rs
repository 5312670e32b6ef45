use std::sync::atomic::{AtomicUsize, Ordering};

use object_store::StaticCredentialProvider;

use super::*;
use crate::runtime::block_on;

/// A provider that always fails and counts its calls.
#[derive(Debug, Default)]
struct Failing(AtomicUsize);

#[async_trait]
impl CredentialProvider for Failing {
    type Credential = AzureCredential;
    async fn get_credential(&self) -> object_store::Result<Arc<AzureCredential>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(object_store::Error::Generic {
            store: "test",
            source: "no metadata endpoint\nsecond line".into(),
        })
    }
}

fn token(value: &str) -> AzureCredentialProvider {
    Arc::new(StaticCredentialProvider::new(AzureCredential::BearerToken(
        value.to_string(),
    )))
}

#[test]
fn the_first_working_source_is_used_and_remembered() {
    let failing = Arc::new(Failing::default());
    let chain = DefaultChain::new(vec![
        Source {
            name: "environment",
            provider: Err("not set".into()),
        },
        Source {
            name: "managed identity",
            provider: Ok(failing.clone()),
        },
        Source {
            name: "Azure CLI",
            provider: Ok(token("cli-token")),
        },
        Source {
            name: "never reached",
            provider: Ok(token("other")),
        },
    ]);
    for _ in 0..3 {
        let credential = block_on(chain.get_credential()).unwrap().unwrap();
        assert_eq!(
            *credential,
            AzureCredential::BearerToken("cli-token".into())
        );
    }
    assert_eq!(chain.chosen(), Some("Azure CLI"));
    assert_eq!(failing.0.load(Ordering::SeqCst), 1, "probed once only");
}

#[test]
fn when_nothing_works_the_error_lists_every_source() {
    let chain = DefaultChain::new(vec![
        Source {
            name: "environment",
            provider: Err("AZURE_TENANT_ID … not all set".into()),
        },
        Source {
            name: "managed identity",
            provider: Ok(Arc::new(Failing::default())),
        },
    ]);
    let err = block_on(chain.get_credential()).unwrap().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("no Azure credential found"), "{text}");
    assert!(
        text.contains("environment (AZURE_TENANT_ID … not all set)"),
        "{text}"
    );
    assert!(
        text.contains("managed identity (Generic test error: no metadata endpoint)"),
        "{text}"
    );
    assert!(!text.contains("second line"), "{text}");
    assert_eq!(chain.chosen(), None);
}
