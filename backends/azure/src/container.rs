//! Creating and deleting the bucket's container (Create/Delete Container REST calls, signed with
//! the bucket's own credential). `object_store` has no container operations; these are used by
//! the tests and offered to direct users of the crate. Loading never creates a container.

use http::{Method, StatusCode};
use stowage_plugin_sdk::Result;

use crate::backend::AzureStore;

impl AzureStore {
    /// Creates the container; `Ok(false)` if it already existed.
    pub fn create_container(&self) -> Result<bool> {
        let what = "creating the container";
        let (status, code) = self.rest_call(Method::PUT, None, what)?;
        match status {
            StatusCode::CREATED => Ok(true),
            StatusCode::CONFLICT => Ok(false),
            other => Err(self.status_error(other, &code, what)),
        }
    }

    /// Deletes the container and every blob in it; a missing container is not an error.
    pub fn delete_container(&self) -> Result<()> {
        let what = "deleting the container";
        match self.rest_call(Method::DELETE, None, what)? {
            (StatusCode::ACCEPTED | StatusCode::OK | StatusCode::NOT_FOUND, _) => Ok(()),
            (other, code) => Err(self.status_error(other, &code, what)),
        }
    }
}
