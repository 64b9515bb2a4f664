//! Bucket housekeeping for the `s3_bucket` module: existence, versioning and the one lifecycle
//! rule stackbook manages (expiry of noncurrent versions).
//!
//! The seed's advice for a pgBackRest bucket is "enable versioning": an accidental
//! `stanza-delete` or an overwrite by a wrongly initialised cluster can then be undone. Old
//! versions cost storage forever unless a lifecycle rule expires them, so the module manages
//! exactly one rule, identified by [`LIFECYCLE_RULE_ID`], and leaves every other rule as it is.
//! Nothing here deletes objects; deleting a bucket is only possible when it holds no object
//! and no version (see [`S3Store::holds_anything`]).

use std::sync::atomic::Ordering;

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, VersioningConfiguration,
};

use super::S3Store;
use crate::store::StoreError;

/// The `ID` of the lifecycle rule stackbook owns.
pub const LIFECYCLE_RULE_ID: &str = "stackbook-noncurrent-version-expiration";

/// A bucket's versioning state as S3 reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    /// Never enabled.
    Unversioned,
    /// Enabled.
    Enabled,
    /// Enabled once, now suspended (S3 cannot go back to unversioned).
    Suspended,
}

impl Versioning {
    /// `Enabled`, `Suspended` or `Disabled` (amazon.aws's wording for never enabled).
    pub fn as_str(self) -> &'static str {
        match self {
            Versioning::Unversioned => "Disabled",
            Versioning::Enabled => "Enabled",
            Versioning::Suspended => "Suspended",
        }
    }
}

/// A lifecycle rule as far as the module cares: its id and, for ours, the days.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    rules: Vec<LifecycleRule>,
}

impl Lifecycle {
    /// Days after which noncurrent versions expire under stackbook's rule, if the rule exists
    /// and is enabled.
    pub fn noncurrent_days(&self) -> Option<i32> {
        self.rules
            .iter()
            .find(|r| r.id() == Some(LIFECYCLE_RULE_ID))
            .filter(|r| r.status() == &ExpirationStatus::Enabled)
            .and_then(|r| r.noncurrent_version_expiration())
            .and_then(NoncurrentVersionExpiration::noncurrent_days)
    }

    /// The rules with stackbook's rule set to `days` (or removed for `None`); others kept.
    fn with_noncurrent_days(&self, days: Option<i32>) -> Result<Vec<LifecycleRule>, String> {
        let mut rules: Vec<LifecycleRule> = self
            .rules
            .iter()
            .filter(|r| r.id() != Some(LIFECYCLE_RULE_ID))
            .cloned()
            .collect();
        if let Some(days) = days {
            let rule = LifecycleRule::builder()
                .id(LIFECYCLE_RULE_ID)
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().prefix("").build())
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(days)
                        .build(),
                )
                .build()
                .map_err(|e| e.to_string())?;
            rules.push(rule);
        }
        Ok(rules)
    }
}

impl S3Store {
    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Does the bucket exist (and may these credentials see it)?
    pub async fn bucket_exists(&self) -> Result<bool, StoreError> {
        self.count();
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) => Err(self.map_err(e, "head-bucket", "")),
        }
    }

    /// Creates the bucket in `region` (AWS needs a location constraint outside us-east-1).
    pub async fn create_bucket(&self, region: &str) -> Result<(), StoreError> {
        self.count();
        let mut request = self.client.create_bucket().bucket(&self.bucket);
        if region != "us-east-1" && !region.is_empty() {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.map_err(e, "create-bucket", ""))
    }

    /// The bucket's versioning state.
    pub async fn versioning(&self) -> Result<Versioning, StoreError> {
        self.count();
        let out = match self
            .client
            .get_bucket_versioning()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return versioning_from_raw(&e)
                    .ok_or_else(|| self.map_err(e, "get-bucket-versioning", ""));
            }
        };
        Ok(match out.status() {
            Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
            Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
            _ => Versioning::Unversioned,
        })
    }

    /// Enables (or suspends) versioning.
    pub async fn set_versioning(&self, enabled: bool) -> Result<(), StoreError> {
        self.count();
        let status = if enabled {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        self.client
            .put_bucket_versioning()
            .bucket(&self.bucket)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.map_err(e, "put-bucket-versioning", ""))
    }

    /// The bucket's lifecycle rules (none when it has no configuration).
    pub async fn lifecycle(&self) -> Result<Lifecycle, StoreError> {
        self.count();
        match self
            .client
            .get_bucket_lifecycle_configuration()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(out) => Ok(Lifecycle {
                rules: out.rules().to_vec(),
            }),
            Err(e)
                if e.as_service_error()
                    .and_then(|s| aws_sdk_s3::error::ProvideErrorMetadata::code(s))
                    == Some("NoSuchLifecycleConfiguration") =>
            {
                Ok(Lifecycle { rules: Vec::new() })
            }
            Err(e) => Err(self.map_err(e, "get-bucket-lifecycle", "")),
        }
    }

    /// Writes the lifecycle with stackbook's rule at `days` (removed for `None`), keeping the
    /// other rules of `current`.
    pub async fn set_noncurrent_expiration(
        &self,
        current: &Lifecycle,
        days: Option<i32>,
    ) -> Result<(), StoreError> {
        let rules = current
            .with_noncurrent_days(days)
            .map_err(|detail| self.invalid("put-bucket-lifecycle", detail))?;
        self.count();
        if rules.is_empty() {
            return self
                .client
                .delete_bucket_lifecycle()
                .bucket(&self.bucket)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.map_err(e, "delete-bucket-lifecycle", ""));
        }
        let configuration = BucketLifecycleConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(|e| self.invalid("put-bucket-lifecycle", e.to_string()))?;
        self.client
            .put_bucket_lifecycle_configuration()
            .bucket(&self.bucket)
            .lifecycle_configuration(configuration)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.map_err(e, "put-bucket-lifecycle", ""))
    }

    /// True when the bucket holds any object, object version or delete marker.
    pub async fn holds_anything(&self) -> Result<bool, StoreError> {
        self.count();
        let out = self
            .client
            .list_object_versions()
            .bucket(&self.bucket)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| self.map_err(e, "list-versions", ""))?;
        Ok(!out.versions().is_empty() || !out.delete_markers().is_empty())
    }

    /// Deletes the (empty) bucket.
    pub async fn delete_bucket(&self) -> Result<(), StoreError> {
        self.count();
        self.client
            .delete_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.map_err(e, "delete-bucket", ""))
    }

    fn invalid(&self, operation: &'static str, detail: String) -> StoreError {
        StoreError::Other {
            operation,
            key: String::new(),
            endpoint: self.endpoint.clone(),
            detail,
        }
    }
}

/// Some S3-compatible stores (moto) answer GetBucketVersioning under another root element
/// (`GetBucketVersioningResponse` instead of `VersioningConfiguration`), which the SDK refuses
/// to parse. For a 200 the `<Status>` element alone carries the answer; no element means the
/// bucket was never versioned. Anything else stays an error.
fn versioning_from_raw<E>(
    error: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Option<Versioning> {
    let raw = error.raw_response()?;
    if raw.status().as_u16() != 200 {
        return None;
    }
    let text = std::str::from_utf8(raw.body().bytes()?).ok()?;
    if !text.contains("VersioningConfiguration") && !text.contains("GetBucketVersioningResponse") {
        return None;
    }
    if text.contains("<Status>Enabled</Status>") {
        Some(Versioning::Enabled)
    } else if text.contains("<Status>Suspended</Status>") {
        Some(Versioning::Suspended)
    } else if text.contains("<Status>") {
        None
    } else {
        Some(Versioning::Unversioned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stackbook_s_rule_is_replaced_or_removed() {
        let other = LifecycleRule::builder()
            .id("keep-me")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .build()
            .unwrap();
        let current = Lifecycle { rules: vec![other] };
        assert_eq!(current.noncurrent_days(), None);
        let with = Lifecycle {
            rules: current.with_noncurrent_days(Some(30)).unwrap(),
        };
        assert_eq!(with.noncurrent_days(), Some(30));
        assert_eq!(with.rules.len(), 2);
        let changed = Lifecycle {
            rules: with.with_noncurrent_days(Some(7)).unwrap(),
        };
        assert_eq!(changed.noncurrent_days(), Some(7));
        assert_eq!(changed.rules.len(), 2);
        let removed = changed.with_noncurrent_days(None).unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].id(), Some("keep-me"));
    }
}
