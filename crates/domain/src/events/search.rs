//! Search over events and recordings (C7): by camera, time range, type,
//! label, and text over camera names and labels; paged newest first.
//! Recent searches are kept only to offer them again, can be cleared, and
//! are not kept at all once switched off.

use serde::Serialize;

use super::{Event, Events};
use crate::clock::Timestamp;
use crate::ids::{AccountId, CameraId};
use crate::recordings::Span;
use crate::{Error, Result};

/// Most results per page.
pub const MAX_PAGE: i64 = 200;
/// Recent searches offered.
const RECENT: i64 = 10;

/// What a person asks for.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// Words matched against camera names and event labels.
    pub text: Option<String>,
    /// Only these cameras (must be ones the person may see).
    pub cameras: Vec<CameraId>,
    /// From, Unix ms.
    pub from: Timestamp,
    /// To, Unix ms.
    pub to: Timestamp,
    /// Only these event types.
    pub kinds: Vec<String>,
    /// Only events with this label.
    pub label: Option<String>,
    /// Continue after this (at, id) from the previous page.
    pub before: Option<(i64, i64)>,
    /// Page size.
    pub limit: i64,
}

/// The event query the store runs: the scope is already resolved to the
/// cameras (and their current owners) the person may see.
#[derive(Debug, Clone)]
pub struct EventQuery {
    /// (camera, owner) pairs in scope.
    pub scope: Vec<(CameraId, AccountId)>,
    /// With text: cameras whose names match (their events all match).
    pub named: Vec<CameraId>,
    /// With text: the lower-cased text, matched inside labels.
    pub text: Option<String>,
    /// From.
    pub from: Timestamp,
    /// To.
    pub to: Timestamp,
    /// Types.
    pub kinds: Vec<String>,
    /// Exact label.
    pub label: Option<String>,
    /// Cursor.
    pub before: Option<(i64, i64)>,
    /// Page size (one more is fetched to know whether a next page exists).
    pub limit: i64,
}

/// Recorded spans of one camera.
#[derive(Debug, Clone, Serialize)]
pub struct CameraSpans {
    /// The camera.
    pub camera_id: CameraId,
    /// Its name.
    pub camera_name: String,
    /// Its recorded stretches in the range.
    pub spans: Vec<Span>,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// Matching events, newest first.
    pub events: Vec<Event>,
    /// Cursor of the next page, if there is one.
    pub next: Option<(i64, i64)>,
    /// Recordings of matching cameras (first page only, and only when the
    /// search does not filter on event type or label).
    pub recordings: Vec<CameraSpans>,
}

impl Events {
    /// Runs a search for `who`.
    pub async fn search(&self, who: AccountId, req: SearchRequest) -> Result<SearchResults> {
        if req.to <= req.from {
            return Err(Error::invalid("to", "must be after from"));
        }
        if req.to.ms() - req.from.ms() > 366 * 86_400_000 {
            return Err(Error::invalid("to", "ranges cover at most a year"));
        }
        let text = req
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        if text.as_ref().is_some_and(|t| t.chars().count() > 100) {
            return Err(Error::invalid("q", "at most 100 characters"));
        }
        for k in &req.kinds {
            super::check_kind(k)?;
        }
        let mut visible = Vec::new();
        for (camera, _) in self.cameras.list(who).await? {
            if req.cameras.is_empty() || req.cameras.contains(&camera.id) {
                if let Some(owner) = camera.owner {
                    visible.push((camera, owner));
                }
            }
        }
        if req
            .cameras
            .iter()
            .any(|id| !visible.iter().any(|(c, _)| c.id == *id))
        {
            // Someone else's camera gets the answer of one that does not exist.
            return Err(Error::NotFound("camera"));
        }
        let named: Vec<CameraId> = match &text {
            Some(t) => visible
                .iter()
                .filter(|(c, _)| c.settings.name.to_lowercase().contains(t.as_str()))
                .map(|(c, _)| c.id)
                .collect(),
            None => Vec::new(),
        };
        let limit = req.limit.clamp(1, MAX_PAGE);
        let mut events = self
            .store
            .search_events(&EventQuery {
                scope: visible.iter().map(|(c, o)| (c.id, *o)).collect(),
                named: named.clone(),
                text: text.clone(),
                from: req.from,
                to: req.to,
                kinds: req.kinds.clone(),
                label: req.label.as_deref().map(str::to_lowercase),
                before: req.before,
                limit: limit + 1,
            })
            .await?;
        let next = if events.len() as i64 > limit {
            events.truncate(limit as usize);
            events.last().map(|e| (e.at.ms(), e.id))
        } else {
            None
        };
        let mut recordings = Vec::new();
        if req.before.is_none() && req.kinds.is_empty() && req.label.is_none() {
            for (camera, _) in &visible {
                if text.is_some() && !named.contains(&camera.id) {
                    continue;
                }
                let spans = self
                    .recordings
                    .timeline(
                        who,
                        camera.id,
                        req.from,
                        req.to
                            .min(req.from.plus(crate::recordings::playback::MAX_RANGE)),
                    )
                    .await?;
                if !spans.is_empty() {
                    recordings.push(CameraSpans {
                        camera_id: camera.id,
                        camera_name: camera.settings.name.clone(),
                        spans,
                    });
                }
            }
        }
        if let Some(t) = &text {
            if req.before.is_none() && self.store.search_history_enabled(who).await? {
                self.store.add_search(who, t, self.clock.now()).await?;
            }
        }
        Ok(SearchResults {
            events,
            next,
            recordings,
        })
    }

    /// `who`'s recent searches (empty when history is off).
    pub async fn recent_searches(&self, who: AccountId) -> Result<Vec<String>> {
        self.store.recent_searches(who, RECENT).await
    }

    /// Forgets `who`'s searches.
    pub async fn clear_searches(&self, who: AccountId) -> Result<()> {
        self.store.clear_searches(who).await
    }

    /// Whether `who`'s searches are remembered.
    pub async fn search_history_enabled(&self, who: AccountId) -> Result<bool> {
        self.store.search_history_enabled(who).await
    }

    /// Switches remembering searches; switching off also forgets them.
    pub async fn set_search_history(&self, who: AccountId, enabled: bool) -> Result<()> {
        self.store.set_search_history(who, enabled).await?;
        if !enabled {
            self.store.clear_searches(who).await?;
        }
        Ok(())
    }
}
