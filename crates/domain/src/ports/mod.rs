//! Storage and delivery ports: what the domain needs from the outside.
//!
//! Each trait is a contract that `store` implements once per backend
//! (SQLite, PostgreSQL) and that the same tests run against. Methods return
//! [`Error::Taken`](crate::Error::Taken) on a uniqueness conflict and
//! [`Error::Storage`](crate::Error::Storage) on any backend failure.

use async_trait::async_trait;

use crate::accounts::contact::Address;
use crate::cameras::claims::{Claim, ClaimStatus};
use crate::cameras::firmware::Manifest;
use crate::cameras::network::Sample;
use crate::cameras::sharing::{Invitation, Share, ShareRole};
use crate::cameras::{Camera, CameraSettings, DeviceFacts};
use crate::clock::Timestamp;
use crate::ids::{AccountId, ApiTokenId, CameraId, ContactId, SessionId};
use crate::Result;

mod audit;
mod billing;
mod cluster;
mod events;
mod external_identity;
mod job_leases;
mod push;
mod rate_counts;
mod recordings;
mod second_factor;
mod service_log;
mod webhooks;
pub use audit::*;
pub use billing::*;
pub use cluster::*;
pub use events::*;
pub use external_identity::*;
pub use job_leases::*;
pub use push::*;
pub use rate_counts::*;
pub use recordings::*;
pub use second_factor::*;
pub use service_log::*;
pub use webhooks::*;

/// What an account may do beyond its own data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A household member.
    User,
    /// Operator staff who answer support requests.
    Support,
    /// Operator staff who administer the instance.
    Admin,
}

impl Role {
    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Support => "support",
            Role::Admin => "admin",
        }
    }

    /// Parses the storage name; unknown names fall back to the least privilege.
    pub fn from_stored(s: &str) -> Role {
        match s {
            "admin" => Role::Admin,
            "support" => Role::Support,
            _ => Role::User,
        }
    }
}

/// An account as stored.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Normalised username.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Its role.
    pub role: Role,
    /// When it was created.
    pub created_at: Timestamp,
}

/// Whether a contact is the account's current one or a replacement waiting
/// for verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactState {
    /// The contact in use (verified or not).
    Current,
    /// A new address that replaces the current one once verified (A4).
    Pending,
}

impl ContactState {
    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactState::Current => "current",
            ContactState::Pending => "pending",
        }
    }

    /// Parses the storage name.
    pub fn from_stored(s: &str) -> ContactState {
        if s == "pending" {
            ContactState::Pending
        } else {
            ContactState::Current
        }
    }
}

/// A contact as stored.
#[derive(Debug, Clone)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// Owner.
    pub account_id: AccountId,
    /// The address.
    pub address: Address,
    /// Current or pending replacement.
    pub state: ContactState,
    /// When the one-time code proved it, if it has been.
    pub verified_at: Option<Timestamp>,
}

impl Contact {
    /// Only verified current contacts may receive anything or sign in (A1, A4).
    pub fn is_deliverable(&self) -> bool {
        self.state == ContactState::Current && self.verified_at.is_some()
    }
}

/// What a one-time code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Proving a contact belongs to the account.
    Verify,
    /// Signing in without a password.
    Login,
}

impl CodePurpose {
    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::Verify => "verify",
            CodePurpose::Login => "login",
        }
    }
}

/// A one-time code as stored (hash only).
#[derive(Debug, Clone)]
pub struct CodeRecord {
    /// Row id.
    pub id: i64,
    /// Keyed hash of the code.
    pub code_hash: String,
    /// Wrong guesses so far.
    pub attempts: i64,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was issued.
    pub created_at: Timestamp,
}

/// A browser session as stored (the token itself is never stored).
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Its id.
    pub id: SessionId,
    /// Owner.
    pub account_id: AccountId,
    /// SHA-256 of the cookie token.
    pub token_hash: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// Last authenticated request (updated at most once a minute).
    pub last_seen_at: Timestamp,
    /// Browser description, truncated, for the session list.
    pub user_agent: Option<String>,
    /// Signed in with the first factor only; the second is still due.
    pub second_factor_pending: bool,
}

/// A personal API token as stored (hash only).
#[derive(Debug, Clone)]
pub struct ApiTokenRecord {
    /// Its id.
    pub id: ApiTokenId,
    /// Owner.
    pub account_id: AccountId,
    /// The owner's label for it.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<Timestamp>,
}

/// A throttle counter.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleRecord {
    /// Failures counted in the current window.
    pub failures: i64,
    /// Locked until this instant (epoch 0 when not locked).
    pub locked_until: Timestamp,
    /// Last failure.
    pub updated_at: Timestamp,
}

/// A new account with its initial, unverified contacts.
#[derive(Debug)]
pub struct NewAccount {
    /// Normalised username.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Initial contacts, unverified.
    pub contacts: Vec<Address>,
    /// Creation time.
    pub now: Timestamp,
}

/// Accounts and their contacts.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the account and its contacts in one transaction;
    /// `Taken("username")` if the name exists.
    async fn create_account(&self, new: NewAccount) -> Result<AccountId>;
    /// The account with this id.
    async fn account(&self, id: AccountId) -> Result<Option<Account>>;
    /// Whether the account was cancelled (it may not sign in again).
    async fn is_cancelled(&self, id: AccountId) -> Result<bool>;
    /// Since when the account restricted processing of its data (F6), if it did.
    async fn restricted_since(&self, id: AccountId) -> Result<Option<Timestamp>>;
    /// Restricts (Some) or lifts the restriction (None).
    async fn set_restricted(&self, id: AccountId, since: Option<Timestamp>) -> Result<()>;
    /// The account with this normalised username.
    async fn account_by_username(&self, username: &str) -> Result<Option<Account>>;
    /// Whether any admin account exists.
    async fn admin_exists(&self) -> Result<bool>;
    /// Replaces the password hash.
    async fn set_password_hash(&self, id: AccountId, hash: &str) -> Result<()>;
    /// All contacts of an account, current and pending.
    async fn contacts(&self, id: AccountId) -> Result<Vec<Contact>>;
    /// The verified current contact with this address, whoever owns it.
    async fn verified_contact(&self, address: &Address) -> Result<Option<Contact>>;
    /// Adds a contact, replacing the account's existing one of the same kind and state.
    async fn put_contact(
        &self,
        id: AccountId,
        address: &Address,
        state: ContactState,
        now: Timestamp,
    ) -> Result<ContactId>;
    /// Marks a current contact verified; `Taken("contact")` if another
    /// account verified the same address first.
    async fn mark_verified(&self, contact: ContactId, now: Timestamp) -> Result<()>;
    /// In one transaction: deletes the account's current contact of the
    /// pending one's kind (with its codes) and makes the pending one current
    /// and verified; `Taken("contact")` on conflict.
    async fn promote_pending(&self, pending: ContactId, now: Timestamp) -> Result<()>;
}

/// One-time codes.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Stores a code, replacing any earlier one for the same contact and purpose.
    async fn put_code(
        &self,
        contact: ContactId,
        purpose: CodePurpose,
        code_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()>;
    /// The live code for a contact and purpose.
    async fn code(&self, contact: ContactId, purpose: CodePurpose) -> Result<Option<CodeRecord>>;
    /// Counts one wrong guess; returns the new count.
    async fn bump_code_attempts(&self, code_id: i64) -> Result<i64>;
    /// Deletes a code (used, expired or exhausted).
    async fn delete_code(&self, code_id: i64) -> Result<()>;
}

/// Sessions and personal API tokens.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session; with `second_factor_pending` it grants nothing
    /// until [`SecondFactorStore::complete_second_factor`].
    async fn create_session(
        &self,
        account: AccountId,
        token_hash: &str,
        user_agent: Option<&str>,
        second_factor_pending: bool,
        now: Timestamp,
    ) -> Result<SessionId>;
    /// The session with this token hash and its account, in one query
    /// (this runs on every authenticated request).
    async fn session_with_account(&self, hash: &str) -> Result<Option<(SessionRecord, Account)>>;
    /// Records activity.
    async fn touch_session(&self, id: SessionId, now: Timestamp) -> Result<()>;
    /// All sessions of an account, newest first.
    async fn sessions_of(&self, account: AccountId) -> Result<Vec<SessionRecord>>;
    /// Deletes one of the account's sessions; false if it had none with that id.
    async fn delete_session(&self, account: AccountId, id: SessionId) -> Result<bool>;
    /// Deletes all of the account's sessions except `keep`; returns how many.
    async fn delete_other_sessions(
        &self,
        account: AccountId,
        keep: Option<SessionId>,
    ) -> Result<u64>;
    /// Stores a new API token.
    async fn create_api_token(
        &self,
        account: AccountId,
        name: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<ApiTokenId>;
    /// The API token with this hash.
    async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRecord>>;
    /// Records use of a token.
    async fn touch_api_token(&self, id: ApiTokenId, now: Timestamp) -> Result<()>;
    /// The account's API tokens.
    async fn api_tokens_of(&self, account: AccountId) -> Result<Vec<ApiTokenRecord>>;
    /// Revokes one of the account's tokens; false if none had that id.
    async fn delete_api_token(&self, account: AccountId, id: ApiTokenId) -> Result<bool>;
}

/// Failure counters for throttling.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The counter for `key`.
    async fn throttle(&self, key: &str) -> Result<Option<ThrottleRecord>>;
    /// Atomically counts one failure; returns the new count.
    async fn record_failure(&self, key: &str, now: Timestamp) -> Result<i64>;
    /// Locks the key until `until`.
    async fn lock(&self, key: &str, until: Timestamp) -> Result<()>;
    /// Forgets the key.
    async fn clear(&self, key: &str) -> Result<()>;
}

/// Small instance-wide values (e.g. the first-admin setup token hash).
#[async_trait]
pub trait SettingStore: Send + Sync {
    /// Reads a value.
    async fn setting(&self, name: &str) -> Result<Option<String>>;
    /// Writes a value.
    async fn set_setting(&self, name: &str, value: &str) -> Result<()>;
    /// Removes a value.
    async fn delete_setting(&self, name: &str) -> Result<()>;
}

/// Everything the identity rules need from storage, as one object.
#[async_trait]
pub trait IdentityStore:
    AccountStore
    + CodeStore
    + SessionStore
    + ThrottleStore
    + SettingStore
    + SecondFactorStore
    + ExternalIdentityStore
    + ServiceLogStore
    + crate::accounts::minors::GuardianStore
    + crate::privacy::residency::RegionStore
{
    /// Checks the database answers (readiness).
    async fn ping(&self) -> Result<()>;
}

/// A message to one address.
#[derive(Debug, Clone)]
pub struct Message {
    /// Recipient.
    pub to: Address,
    /// Subject line (email) or ignored (SMS).
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// A file sent along (email only; SMS senders ignore it).
    pub attachment: Option<Attachment>,
    /// The one-click unsubscribe address of marketing mail (RFC 8058),
    /// sent as `List-Unsubscribe` headers.
    pub unsubscribe: Option<String>,
}

/// A file attached to an email.
#[derive(Clone)]
pub struct Attachment {
    /// File name shown to the recipient.
    pub file_name: String,
    /// MIME type, e.g. `image/jpeg`.
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    // The bytes may be a snapshot of someone's home: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Hands messages to a delivery service (SMTP, SMS gateway, console).
#[async_trait]
pub trait Sender: Send + Sync {
    /// Delivers one message; an error means it was not accepted.
    async fn send(&self, message: &Message) -> Result<()>;
}

/// Where media and other blobs live.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing any earlier blob.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()>;
    /// Reads the blob under `key`.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Deletes the blob under `key` (no error if absent).
    async fn delete(&self, key: &str) -> Result<()>;
    /// Checks the store accepts writes (readiness).
    async fn check(&self) -> Result<()>;
    /// Reads bytes `start..end` of the blob under `key` (clamped to its
    /// length), so playback reads only the chunks a range covers.
    async fn get_range(&self, key: &str, start: u64, end: u64) -> Result<Option<Vec<u8>>>;
    /// Every blob whose key starts with `prefix`, with its size; used by the
    /// start-up reconciliation of the recording index.
    async fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>>;
    /// Starts a blob written in parts, for files too large to hold in
    /// memory; nothing is visible under `key` until the writer finishes.
    async fn put_parts(&self, key: &str) -> Result<Box<dyn BlobWriter>>;
}

/// A blob being written in parts (see [`BlobStore::put_parts`]).
#[async_trait]
pub trait BlobWriter: Send {
    /// Appends bytes; they may be sent on before the call returns.
    async fn write(&mut self, bytes: Vec<u8>) -> Result<()>;
    /// Makes the blob visible under its key, whole.
    async fn finish(self: Box<Self>) -> Result<()>;
    /// Gives up: nothing is left under the key.
    async fn abort(self: Box<Self>) -> Result<()>;
}

/// A device as the maker provisions it (hashes only).
#[derive(Debug, Clone)]
pub struct NewDevice {
    /// Normalised serial.
    pub serial: String,
    /// Model name.
    pub model: String,
    /// Keyed hash of the label code.
    pub code_hash: String,
    /// Keyed hash of the device secret.
    pub secret_hash: String,
}

/// Cameras and device tokens.
#[async_trait]
pub trait CameraStore: Send + Sync {
    /// Which of `serials` are already provisioned.
    async fn existing_serials(&self, serials: &[String]) -> Result<Vec<String>>;
    /// Inserts all devices in one transaction; with `update`, existing serials
    /// get the new model and hashes instead of failing with `Taken("serial")`.
    async fn provision(&self, devices: &[NewDevice], update: bool, now: Timestamp) -> Result<u64>;
    /// The camera with this id.
    async fn camera(&self, id: CameraId) -> Result<Option<Camera>>;
    /// The camera with this serial.
    async fn camera_by_serial(&self, serial: &str) -> Result<Option<Camera>>;
    /// Cameras owned by an account.
    async fn cameras_of_owner(&self, owner: AccountId) -> Result<Vec<Camera>>;
    /// Every camera, newest first, for the admin registry.
    async fn all_cameras(&self, limit: i64, offset: i64) -> Result<Vec<Camera>>;
    /// Binds an unowned camera; false if it has an owner already (atomic, so
    /// two people can never both bind it).
    async fn bind(
        &self,
        id: CameraId,
        owner: AccountId,
        name: &str,
        now: Timestamp,
    ) -> Result<bool>;
    /// Unbinds a camera from `owner` and resets its settings; false if not theirs.
    async fn unbind(&self, id: CameraId, owner: AccountId) -> Result<bool>;
    /// Saves settings; returns the new settings version.
    async fn save_settings(&self, id: CameraId, settings: &CameraSettings) -> Result<i64>;
    /// Saves reported device facts and appends a network sample, dropping
    /// samples of this camera older than `keep_after`.
    async fn save_facts(
        &self,
        id: CameraId,
        facts: &DeviceFacts,
        keep_after: Timestamp,
    ) -> Result<()>;
    /// Network samples of a camera since `since`, oldest first.
    async fn samples(&self, id: CameraId, since: Timestamp) -> Result<Vec<Sample>>;
    /// Publishes a firmware manifest; `Taken("firmware version")` if that
    /// model already has that version.
    async fn publish_firmware(&self, manifest: &Manifest) -> Result<i64>;
    /// Every manifest, newest first.
    async fn firmware_manifests(&self) -> Result<Vec<Manifest>>;
    /// The manifests of one model.
    async fn firmware_for_model(&self, model: &str) -> Result<Vec<Manifest>>;
    /// Adds RTSP cameras owned by `owner` in one transaction: (serial, name,
    /// URL without credentials, sealed source) each; returns their ids.
    async fn add_rtsp_cameras(
        &self,
        owner: AccountId,
        cameras: &[(String, String, String, Vec<u8>)],
        now: Timestamp,
    ) -> Result<Vec<CameraId>>;
    /// The sealed source of an RTSP camera.
    async fn rtsp_source(&self, id: CameraId) -> Result<Option<Vec<u8>>>;
    /// Replaces an RTSP camera's source.
    async fn set_rtsp_source(&self, id: CameraId, url: &str, sealed: &[u8]) -> Result<()>;
    /// Stores a device token hash.
    async fn create_device_token(
        &self,
        id: CameraId,
        token_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()>;
    /// The camera and expiry of a device token.
    async fn device_token(&self, token_hash: &str) -> Result<Option<(CameraId, Timestamp)>>;
}

/// Shares of cameras and pending invitations.
#[async_trait]
pub trait ShareStore: Send + Sync {
    /// The role `account` has on `camera` through a share, if any.
    async fn share_role(&self, camera: CameraId, account: AccountId) -> Result<Option<ShareRole>>;
    /// Cameras shared with `account`, with the role.
    async fn shared_with(&self, account: AccountId) -> Result<Vec<(Camera, ShareRole)>>;
    /// The shares of a camera, with the usernames of the people.
    async fn shares_of(&self, camera: CameraId) -> Result<Vec<Share>>;
    /// Grants (or changes) a share and deletes the invitation, in one transaction.
    async fn accept_invitation(
        &self,
        invitation: i64,
        account: AccountId,
        now: Timestamp,
    ) -> Result<()>;
    /// Removes a share; false if there was none.
    async fn delete_share(&self, camera: CameraId, account: AccountId) -> Result<bool>;
    /// Stores an invitation.
    async fn create_invitation(&self, invitation: &Invitation) -> Result<i64>;
    /// One invitation.
    async fn invitation(&self, id: i64) -> Result<Option<Invitation>>;
    /// Live invitations of a camera.
    async fn invitations_of(&self, camera: CameraId, now: Timestamp) -> Result<Vec<Invitation>>;
    /// Live invitations to any of these addresses.
    async fn invitations_to(
        &self,
        addresses: &[Address],
        now: Timestamp,
    ) -> Result<Vec<Invitation>>;
    /// Deletes an invitation; false if there was none.
    async fn delete_invitation(&self, id: i64) -> Result<bool>;
}

/// Ownership claims.
#[async_trait]
pub trait ClaimStore: Send + Sync {
    /// Stores a pending claim; `Taken("claim")` if the claimant already has
    /// one pending for that camera.
    async fn create_claim(&self, claim: &Claim) -> Result<i64>;
    /// Sets the blob key of a stored claim's evidence.
    async fn set_evidence_key(&self, id: i64, key: &str) -> Result<()>;
    /// One claim.
    async fn claim(&self, id: i64) -> Result<Option<Claim>>;
    /// Claims by status, oldest first.
    async fn claims_with_status(&self, status: ClaimStatus) -> Result<Vec<Claim>>;
    /// A claimant's claims, newest first.
    async fn claims_of(&self, claimant: AccountId) -> Result<Vec<Claim>>;
    /// Records the decision and forgets the evidence key in one transaction;
    /// on approval the camera moves to the claimant with factory settings and
    /// no shares. False if the claim was no longer pending.
    async fn decide_claim(
        &self,
        id: i64,
        approve: bool,
        reason: &str,
        admin: AccountId,
        camera_name: &str,
        now: Timestamp,
    ) -> Result<bool>;
}
