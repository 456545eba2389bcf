//! Data residency (F11): an account's data lives in its region's blob
//! store. New blobs get the region's key prefix when they are written;
//! moving to another region needs the person's consent, copies every blob
//! over, points the rows at the copies, deletes the originals, and is
//! recorded in the person's access log.

use std::sync::Arc;

use async_trait::async_trait;

use crate::audit::AuditEntry;
use crate::clock::{Clock, Timestamp};
use crate::ids::AccountId;
use crate::ports::{AuditStore, BlobStore};
use crate::privacy::closure::ClosureStore;
use crate::{Error, Result};

/// Where accounts' data lives.
#[async_trait]
pub trait RegionStore: Send + Sync {
    /// The account's region, if not the home one.
    async fn account_region(&self, account: AccountId) -> Result<Option<String>>;
    /// Records the account's region.
    async fn set_account_region(
        &self,
        account: AccountId,
        region: &str,
        now: Timestamp,
    ) -> Result<()>;
    /// Points every row naming blob `old` at `new`.
    async fn rename_blob(&self, old: &str, new: &str) -> Result<()>;
}

/// The regions this server has, and the key prefix of each.
#[derive(Debug, Clone)]
pub struct Regions {
    /// The home region's name (its blobs have plain keys).
    pub home: String,
    /// The other regions' names.
    pub others: Vec<String>,
}

impl Regions {
    /// Only the home region.
    pub fn home_only(home: &str) -> Self {
        Regions {
            home: home.to_string(),
            others: Vec::new(),
        }
    }

    /// Whether `name` is one of them.
    pub fn knows(&self, name: &str) -> bool {
        name == self.home || self.others.iter().any(|o| o == name)
    }

    /// The key prefix of `name`'s blobs (empty for home).
    pub fn prefix(&self, name: &str) -> String {
        if name == self.home {
            String::new()
        } else {
            format!("regions/{name}/")
        }
    }

    /// Every name, home first.
    pub fn all(&self) -> Vec<String> {
        std::iter::once(self.home.clone())
            .chain(self.others.iter().cloned())
            .collect()
    }
}

/// The key prefixes for new blobs, by account (shared by every writer).
pub struct RegionPrefix {
    store: Arc<dyn RegionStore>,
    regions: Regions,
}

impl RegionPrefix {
    /// Over `store` with `regions`.
    pub fn new(store: Arc<dyn RegionStore>, regions: Regions) -> Self {
        RegionPrefix { store, regions }
    }

    /// The account's region.
    pub async fn region_of(&self, account: AccountId) -> Result<String> {
        // Every segment upload asks: with one region there is nothing to look up.
        if self.regions.others.is_empty() {
            return Ok(self.regions.home.clone());
        }
        Ok(self
            .store
            .account_region(account)
            .await?
            .filter(|r| self.regions.knows(r))
            .unwrap_or_else(|| self.regions.home.clone()))
    }

    /// The prefix new blobs of `account` get.
    pub async fn for_account(&self, account: AccountId) -> Result<String> {
        Ok(self.regions.prefix(&self.region_of(account).await?))
    }

    /// The regions.
    pub fn regions(&self) -> &Regions {
        &self.regions
    }
}

/// The residency service.
pub struct Residency {
    prefixes: Arc<RegionPrefix>,
    store: Arc<dyn RegionStore>,
    rows: Arc<dyn ClosureStore>,
    blobs: Arc<dyn BlobStore>,
    audit: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
}

impl Residency {
    /// Wires the service.
    pub fn new(
        prefixes: Arc<RegionPrefix>,
        store: Arc<dyn RegionStore>,
        rows: Arc<dyn ClosureStore>,
        blobs: Arc<dyn BlobStore>,
        audit: Arc<dyn AuditStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Residency {
            prefixes,
            store,
            rows,
            blobs,
            audit,
            clock,
        }
    }

    /// The account's region and every region there is.
    pub async fn region(&self, who: AccountId) -> Result<(String, Vec<String>)> {
        Ok((
            self.prefixes.region_of(who).await?,
            self.prefixes.regions().all(),
        ))
    }

    /// Moves `who`'s data to `region`; only with `consent`. Returns how
    /// many blobs moved.
    pub async fn move_to(&self, who: AccountId, region: &str, consent: bool) -> Result<u64> {
        let regions = self.prefixes.regions();
        if !regions.knows(region) {
            return Err(Error::invalid(
                "region",
                format!("one of {}", regions.all().join(", ")),
            ));
        }
        let from = self.prefixes.region_of(who).await?;
        if from == region {
            return Ok(0);
        }
        if !consent {
            return Err(Error::invalid(
                "consent",
                "moving your data to another region needs your consent",
            ));
        }
        let (old_prefix, new_prefix) = (regions.prefix(&from), regions.prefix(region));
        // New blobs go to the new region from now on; then the old ones follow.
        self.store
            .set_account_region(who, region, self.clock.now())
            .await?;
        let (keys, export_prefixes) = self.rows.blobs_of(who).await?;
        let mut moved = 0;
        for old in keys {
            let Some(bare) = old.strip_prefix(old_prefix.as_str()) else {
                continue; // already in the new region
            };
            if old.starts_with("regions/") && old_prefix.is_empty() {
                continue;
            }
            let new = format!("{new_prefix}{bare}");
            if let Some(bytes) = self.blobs.get(&old).await? {
                self.blobs.put(&new, bytes).await?;
                self.store.rename_blob(&old, &new).await?;
                self.blobs.delete(&old).await?;
                moved += 1;
            }
        }
        // Exports are copies made for the person, and pieces of an album
        // upload under way are not a file yet: they are deleted rather than
        // moved (an export can be asked for again, an upload sent again).
        for prefix in export_prefixes {
            // Listing a plain prefix covers every region's store.
            for (key, _) in self.blobs.list(&prefix).await? {
                self.blobs.delete(&key).await?;
            }
        }
        self.audit
            .append(&AuditEntry {
                actor: Some(who),
                role: "owner".into(),
                subject: Some(who),
                action: "residency.move".into(),
                object: format!("account:{who} {from} -> {region}, {moved} files"),
                reason: Some("moved with the person's consent".into()),
                at: self.clock.now(),
            })
            .await?;
        tracing::info!(account = %who, from = %from, to = %region, moved, "account data moved");
        Ok(moved)
    }
}
