//! Sharing a camera (C6): the owner invites by email or phone with a role;
//! the invitee accepts after signing in with that verified address; the
//! owner sees everyone with access and revokes at any time.
//!
//! Access is read from storage on every request, so a revoked person loses
//! access with their very next request.

use std::time::Duration;

use serde::Serialize;

use super::{Access, Camera, Cameras};
use crate::accounts::contact::Address;
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::ports::Message;
use crate::{Error, Result};

/// How long an invitation can be accepted.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The role a share grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareRole {
    /// Watch live and recordings, see events.
    Viewer,
    /// Viewer plus settings.
    Operator,
}

impl ShareRole {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareRole::Viewer => "viewer",
            ShareRole::Operator => "operator",
        }
    }

    /// Parses the storage or API name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "viewer" => Ok(ShareRole::Viewer),
            "operator" => Ok(ShareRole::Operator),
            _ => Err(Error::invalid("role", "must be viewer or operator")),
        }
    }

    /// The access it gives.
    pub fn access(self) -> Access {
        match self {
            ShareRole::Viewer => Access::Viewer,
            ShareRole::Operator => Access::Operator,
        }
    }
}

/// A pending invitation.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// Its id (0 before it is stored).
    pub id: i64,
    /// The camera.
    pub camera_id: CameraId,
    /// Who is invited.
    pub address: Address,
    /// The role offered.
    pub role: ShareRole,
    /// Until when it can be accepted.
    pub expires_at: Timestamp,
    /// When it was made.
    pub created_at: Timestamp,
}

/// A granted share as the owner sees it.
#[derive(Debug, Clone)]
pub struct Share {
    /// The person.
    pub account_id: AccountId,
    /// Their username.
    pub username: String,
    /// Their role.
    pub role: ShareRole,
    /// Since when.
    pub since: Timestamp,
}

impl Cameras {
    async fn owned(&self, who: AccountId, id: CameraId) -> Result<Camera> {
        let (camera, access) = self.access(who, id).await?;
        if access != Access::Owner {
            return Err(Error::Forbidden);
        }
        Ok(camera)
    }

    /// Invites an address to a camera; the address gets a message.
    pub async fn invite(
        &self,
        who: AccountId,
        id: CameraId,
        contact: &str,
        role: &str,
    ) -> Result<Invitation> {
        let camera = self.owned(who, id).await?;
        let role = ShareRole::parse(role)?;
        let address = Address::parse_any(contact)?;
        let own = self.accounts.contacts(who).await?;
        if own.iter().any(|c| c.address == address) {
            return Err(Error::invalid("contact", "is your own address"));
        }
        let now = self.clock.now();
        let mut inv = Invitation {
            id: 0,
            camera_id: id,
            address,
            role,
            expires_at: now.plus(INVITATION_TTL),
            created_at: now,
        };
        inv.id = self.shares.create_invitation(&inv).await?;
        let message = Message {
            to: inv.address.clone(),
            subject: "A camera was shared with you".to_string(),
            body: format!(
                "You were invited to the camvault camera \"{}\" as {}. Sign in with this address \
                 within 7 days and accept the invitation under Cameras.",
                camera.settings.name,
                role.as_str()
            ),
            attachment: None,
            unsubscribe: None,
        };
        self.outbox.send(&message).await?;
        tracing::info!(account = %who, camera = %id, to = %inv.address.masked(), "camera shared by invitation");
        Ok(inv)
    }

    /// The people with access and the pending invitations (owner only).
    pub async fn shares(
        &self,
        who: AccountId,
        id: CameraId,
    ) -> Result<(Vec<Share>, Vec<Invitation>)> {
        self.owned(who, id).await?;
        let now = self.clock.now();
        Ok((
            self.shares.shares_of(id).await?,
            self.shares.invitations_of(id, now).await?,
        ))
    }

    /// Ends a share: by the owner for anyone, or by a person for themselves.
    pub async fn revoke_share(
        &self,
        who: AccountId,
        id: CameraId,
        person: AccountId,
    ) -> Result<()> {
        if who != person {
            self.owned(who, id).await?;
        }
        if !self.shares.delete_share(id, person).await? {
            return Err(Error::NotFound("share"));
        }
        tracing::info!(account = %who, camera = %id, person = %person, "share revoked");
        Ok(())
    }

    /// Withdraws a pending invitation (owner).
    pub async fn cancel_invitation(
        &self,
        who: AccountId,
        id: CameraId,
        invitation: i64,
    ) -> Result<()> {
        self.owned(who, id).await?;
        match self.shares.invitation(invitation).await? {
            Some(inv) if inv.camera_id == id => {
                self.shares.delete_invitation(invitation).await?;
                Ok(())
            }
            _ => Err(Error::NotFound("invitation")),
        }
    }

    /// Live invitations to `who`'s verified addresses, with their cameras.
    pub async fn invitations(&self, who: AccountId) -> Result<Vec<(Invitation, Camera)>> {
        let verified: Vec<Address> = self
            .accounts
            .contacts(who)
            .await?
            .into_iter()
            .filter(|c| c.is_deliverable())
            .map(|c| c.address)
            .collect();
        if verified.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for inv in self
            .shares
            .invitations_to(&verified, self.clock.now())
            .await?
        {
            if let Some(camera) = self.store.camera(inv.camera_id).await? {
                out.push((inv, camera));
            }
        }
        Ok(out)
    }

    /// The invitation if it is live and addressed to one of `who`'s verified addresses.
    async fn my_invitation(&self, who: AccountId, invitation: i64) -> Result<(Invitation, Camera)> {
        self.invitations(who)
            .await?
            .into_iter()
            .find(|(inv, _)| inv.id == invitation)
            .ok_or(Error::NotFound("invitation"))
    }

    /// Accepts an invitation: the camera becomes visible with the offered role.
    pub async fn accept_invitation(&self, who: AccountId, invitation: i64) -> Result<Camera> {
        let (inv, camera) = self.my_invitation(who, invitation).await?;
        if camera.owner == Some(who) {
            return Err(Error::invalid("invitation", "you own this camera"));
        }
        self.shares
            .accept_invitation(inv.id, who, self.clock.now())
            .await?;
        tracing::info!(account = %who, camera = %camera.id, "invitation accepted");
        Ok(camera)
    }

    /// Declines an invitation.
    pub async fn decline_invitation(&self, who: AccountId, invitation: i64) -> Result<()> {
        let (inv, _) = self.my_invitation(who, invitation).await?;
        self.shares.delete_invitation(inv.id).await?;
        Ok(())
    }
}
