//! The support console's actions (E3): finding the account a caller speaks
//! of (by a contact they give, or an order number), its orders, sending its
//! verification codes again, a camera's network check, and opening a rights
//! request on the person's behalf. Each is an entry in the person's access
//! log, like every look-up.

use crate::accounts::contact::{Address, ContactKind};
use crate::billing::Order;
use crate::cameras::network::NetworkReport;
use crate::cameras::Access;
use crate::ids::{AccountId, CameraId};
use crate::privacy::requests::{RequestKind, RightsRequest};
use crate::{Error, Result};

use super::support::SupportDesk;

impl SupportDesk {
    /// The account with this order number, or this verified email address
    /// or phone number; the search is logged against the account found.
    pub async fn find(&self, staff: AccountId, query: &str) -> Result<AccountId> {
        let query = query.trim();
        let found = if query.to_ascii_uppercase().starts_with("CV-") {
            self.billing
                .order_by_number(&query.to_ascii_uppercase())
                .await
                .ok()
                .map(|o| o.account_id)
        } else {
            match Address::parse_any(query) {
                Ok(address) => self.accounts.account_with_contact(&address).await?,
                Err(_) => {
                    return Err(Error::invalid(
                        "q",
                        "an order number (CV-…), an email address or a phone number",
                    ))
                }
            }
        };
        let account = found.ok_or(Error::NotFound("account"))?;
        self.log(staff, account, "support.find", "account", None)
            .await?;
        Ok(account)
    }

    /// The account's orders.
    pub async fn orders(&self, staff: AccountId, account: AccountId) -> Result<Vec<Order>> {
        let orders = self.billing.orders_of(account).await?;
        self.log(staff, account, "support.orders", "orders", None)
            .await?;
        Ok(orders)
    }

    /// Sends new codes to the account's contacts that wait for one; how many.
    pub async fn resend_verification(&self, staff: AccountId, account: AccountId) -> Result<usize> {
        let mut sent = 0;
        for kind in [ContactKind::Email, ContactKind::Phone] {
            match self.accounts.resend_verification(account, kind).await {
                Ok(()) => sent += 1,
                Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if sent == 0 {
            return Err(Error::NotFound("contact waiting for a code"));
        }
        self.log(
            staff,
            account,
            "support.resend_verification",
            "contacts",
            None,
        )
        .await?;
        Ok(sent)
    }

    /// The network check of a camera the account owns.
    pub async fn network(
        &self,
        staff: AccountId,
        account: AccountId,
        camera: CameraId,
    ) -> Result<NetworkReport> {
        let owned = self
            .cameras
            .list(account)
            .await?
            .iter()
            .any(|(c, access)| c.id == camera && *access == Access::Owner);
        if !owned {
            return Err(Error::NotFound("camera"));
        }
        let report = self.cameras.network(account, camera).await?;
        self.log(
            staff,
            account,
            "support.network",
            &format!("camera:{camera}"),
            None,
        )
        .await?;
        Ok(report)
    }

    /// Opens a rights request as the person asked for it on the phone; the
    /// access log says who opened it.
    pub async fn open_request(
        &self,
        staff: AccountId,
        account: AccountId,
        kind: &str,
        details: &str,
    ) -> Result<RightsRequest> {
        let kind = RequestKind::parse(kind)?;
        self.accounts.profile(account).await?;
        let request = self.requests.submit(account, kind, details).await?;
        self.log(
            staff,
            account,
            "support.open_request",
            &format!("request:{}", request.id),
            Some("opened on the person's behalf"),
        )
        .await?;
        Ok(request)
    }
}
