//! Fan-out: who hears of an event, on which channels (D1).
//!
//! Recipients are the owner and everyone the camera is shared with, looked
//! up at the moment of the event, so a revoked share gets nothing more.
//! Nothing goes to anyone when the owner turned the camera's alerts off,
//! nor to a person who turned alerts off for that camera. In-app alerts
//! always flow otherwise (they are the live event feed); email and push
//! also respect the person's quiet hours and the camera's cooldown.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use super::hub::Alert;
use super::prefs::{Delivery, Preferences};
use super::{Event, Events};
use crate::accounts::contact::ContactKind;
use crate::audit::AuditEntry;
use crate::cameras::Camera;
use crate::clock::Timestamp;
use crate::ids::AccountId;
use crate::ports::{Attachment, AuditStore, BlobStore, Message};
use crate::recordings::Recordings;
use crate::Result;

impl Events {
    /// Alerts the people with access; true when anyone got an email or push.
    ///
    /// In-app alerts go out first, to everyone at once, from one query of
    /// the camera's switches: their latency must not grow with the slower
    /// channels' per-person work that follows.
    pub(super) async fn fan_out(&self, camera: &Camera, event: &Event) -> Result<bool> {
        if !camera.settings.alerts {
            return Ok(false);
        }
        let mut recipients: Vec<AccountId> = vec![event.account_id];
        for share in self.shares.shares_of(camera.id).await? {
            recipients.push(share.account_id);
        }
        let mut switches: HashMap<AccountId, Vec<(String, bool)>> = HashMap::new();
        for (who, channel, on) in self.store.camera_preferences(camera.id).await? {
            switches.entry(who).or_default().push((channel, on));
        }
        let prefs: Vec<(AccountId, Preferences)> = recipients
            .iter()
            .map(|&who| {
                let own = switches.get(&who).map_or(&[][..], Vec::as_slice);
                (who, Preferences::from_switches(own))
            })
            .collect();
        let alert = Alert {
            event_id: event.id,
            camera_id: camera.id.0,
            camera_name: camera.settings.name.clone(),
            kind: event.kind.clone(),
            at_ms: event.at.ms(),
            has_snapshot: event.snapshot_key.is_some(),
            stored: Some(Instant::now()),
        };
        let in_app: Vec<AccountId> = prefs
            .iter()
            .filter(|(_, p)| p.allows("in_app"))
            .map(|(who, _)| *who)
            .collect();
        for who in &in_app {
            self.hub.publish(*who, alert.clone());
        }
        if let (Some(cluster), false) = (self.cluster(), in_app.is_empty()) {
            let accounts = in_app.iter().map(|a| a.0).collect();
            cluster
                .send(&crate::cluster::Message::Alert {
                    accounts,
                    alert: alert.clone(),
                })
                .await;
        }
        self.spawn_sinks(camera, event);

        let now = self.clock.now();
        let cooling = self
            .store
            .last_alert_at(camera.id)
            .await?
            .is_some_and(|last| now < last.plus(self.config.cooldown));
        let wants_push: Vec<AccountId> = prefs
            .iter()
            .filter(|(_, p)| p.allows("push"))
            .map(|(who, _)| *who)
            .collect();
        let with_push: HashSet<AccountId> = if wants_push.is_empty() {
            HashSet::new()
        } else {
            self.push
                .store
                .accounts_with_push(&wants_push)
                .await?
                .into_iter()
                .collect()
        };
        let mut alerted = false;
        for (who, p) in prefs {
            // Before email, whose branch ends the iteration once mail is sent.
            if with_push.contains(&who) && self.push_alert(who, &alert, event.at, cooling).await? {
                alerted = true;
            }
            if p.allows("email") {
                let settings = self.store.alert_settings(who).await?.unwrap_or_default();
                let status = if cooling {
                    "skipped_cooldown"
                } else if settings.is_quiet(event.at) {
                    "skipped_quiet_hours"
                } else {
                    alerted = true;
                    // A snapshot is attached only when the person chose so.
                    let snapshot = event
                        .snapshot_key
                        .clone()
                        .filter(|_| settings.snapshot_in_email)
                        .map(|key| (key, event.account_id));
                    self.spawn_email(who, &alert, snapshot);
                    continue;
                };
                self.log(event.id, who, "email", status, None).await?;
            }
        }
        if alerted {
            self.store.set_alerted(event.id).await?;
        }
        Ok(alerted)
    }

    /// Hands the event to every integration in the background: a slow
    /// webhook or broker must not hold up the camera or the other alerts.
    fn spawn_sinks(&self, camera: &Camera, event: &Event) {
        for sink in &self.sinks {
            let (sink, camera, event) = (sink.clone(), camera.clone(), event.clone());
            tokio::spawn(async move {
                if let Err(e) = sink.event(&camera, &event).await {
                    tracing::warn!(sink = sink.name(), camera = %camera.id, error = %e, "integration delivery failed");
                }
            });
        }
    }

    async fn log(
        &self,
        event: i64,
        who: AccountId,
        channel: &str,
        status: &str,
        detail: Option<String>,
    ) -> Result<()> {
        self.store
            .log_delivery(&Delivery {
                event_id: event,
                account_id: who,
                channel: channel.into(),
                status: status.into(),
                detail,
                at: self.clock.now(),
            })
            .await
    }

    /// Sends the alert mail in the background: SMTP must not hold up the
    /// camera's request. The outcome goes to the delivery log.
    fn spawn_email(&self, who: AccountId, alert: &Alert, snapshot: Option<(String, AccountId)>) {
        let attach = snapshot.map(|(key, owner)| {
            (
                key,
                owner,
                self.blobs.clone(),
                self.recordings.clone(),
                self.audit.clone(),
            )
        });
        let accounts = self.accounts.clone();
        let email = self.email.clone();
        let store = self.store.clone();
        let clock = self.clock.clone();
        let alert = alert.clone();
        tokio::spawn(async move {
            let to = match accounts.contacts(who).await {
                Ok(contacts) => contacts
                    .into_iter()
                    .find(|c| c.is_deliverable() && c.address.kind() == ContactKind::Email)
                    .map(|c| c.address),
                Err(e) => {
                    tracing::warn!(account = %who, error = %e, "alert mail: contacts unreadable");
                    None
                }
            };
            let (status, detail) = match to {
                None => ("no_address", None),
                Some(address) => {
                    let attachment = match attach {
                        None => None,
                        Some((key, owner, blobs, recordings, audit)) => {
                            let read = email_snapshot(
                                &*blobs,
                                &recordings,
                                &*audit,
                                &key,
                                (who, owner),
                                &alert,
                                clock.now(),
                            )
                            .await;
                            match read {
                                Ok(file) => file,
                                Err(e) => {
                                    // The alert matters more than its picture.
                                    tracing::warn!(account = %who, error = %e, "alert mail: snapshot unreadable, sent without it");
                                    None
                                }
                            }
                        }
                    };
                    let message = Message {
                        to: address,
                        subject: format!("{}: {} detected", alert.camera_name, alert.kind),
                        body: format!(
                            "Your camera \"{}\" reported {} at {}.\n\nOpen camvault to see the snapshot and the clip.\n\nYou get this mail because email alerts are on for this camera; turn them off in the camera's alert settings.",
                            alert.camera_name,
                            alert.kind,
                            media::hls::format_program_date_time(alert.at_ms).unwrap_or_default(),
                        ),
                        attachment,
                        unsubscribe: None,
                    };
                    match email.send(&message).await {
                        Ok(()) => ("sent", None),
                        Err(e) => ("failed", Some(e.to_string())),
                    }
                }
            };
            let logged = store
                .log_delivery(&Delivery {
                    event_id: alert.event_id,
                    account_id: who,
                    channel: "email".into(),
                    status: status.into(),
                    detail,
                    at: clock.now(),
                })
                .await;
            if let Err(e) = logged {
                tracing::warn!(error = %e, "alert delivery not logged");
            }
        });
    }
}

/// The event's snapshot as a mail attachment, read on the recipient's
/// behalf and written to the owner's access log like any other view of it.
async fn email_snapshot(
    blobs: &dyn BlobStore,
    recordings: &Recordings,
    audit: &dyn AuditStore,
    key: &str,
    (who, owner): (AccountId, AccountId),
    alert: &Alert,
    now: Timestamp,
) -> Result<Option<Attachment>> {
    let Some(bytes) = super::integration::open_sealed(blobs, recordings, key).await? else {
        return Ok(None);
    };
    audit
        .append(&AuditEntry {
            actor: Some(who),
            role: if who == owner { "owner" } else { "viewer" }.into(),
            subject: Some(owner),
            action: "event.snapshot".into(),
            object: format!("camera:{} event:{}", alert.camera_id, alert.event_id),
            reason: Some("alert email attachment".into()),
            at: now,
        })
        .await?;
    Ok(Some(Attachment {
        file_name: format!("event-{}.jpg", alert.event_id),
        content_type: "image/jpeg".into(),
        bytes,
    }))
}
