//! Reading orders: one order, lists and counts of the orders the caller
//! sees, an order's history, its children.

use chrono::{DateTime, NaiveDate, Utc};
use orderflow_api::{
    ChildList, ChildView, HistoryPage, ListQuery, OrderCounts, OrderList, OrderView, PageQuery,
    StatusCount,
};
use orderflow_core::engine;
use orderflow_core::model::Child;
use orderflow_store::{OrderFilter, OrderSort, StoreError, visibility, visibility_once_seen};

use crate::auth::UserCaller;
use crate::error::AppError;
use crate::{App, views};

/// A time filter: an RFC 3339 time or a `YYYY-MM-DD` date (UTC) with a
/// four-digit year. An empty value is refused like any other that is not a
/// time: a client that means "no bound" leaves the parameter out.
fn parse_time(name: &str, value: Option<&String>) -> Result<Option<DateTime<Utc>>, AppError> {
    let Some(text) = value else {
        return Ok(None);
    };
    let refused =
        || AppError::bad_request(format!("{name} must be an RFC 3339 time or YYYY-MM-DD"));
    let four_digit_year = text.len() >= 10
        && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && text.as_bytes()[4] == b'-';
    if !four_digit_year {
        return Err(refused());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(refused)
}

/// Where the next page starts: after the last row, when this page is full.
fn next_after<T>(rows: &[T], limit: u32, seq: impl Fn(&T) -> u64) -> Option<u64> {
    (rows.len() >= limit as usize)
        .then(|| rows.last().map(seq))
        .flatten()
}

/// The page size asked for (`default` when absent); one outside 1 to `max`
/// is refused rather than quietly changed, so a client never mistakes a
/// short page for the end.
pub(crate) fn limit_within(asked: Option<u32>, default: u32, max: u32) -> Result<u32, AppError> {
    match asked {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(AppError::bad_request(format!(
            "limit must be from 1 to {max}, not {n}"
        ))),
    }
}

impl App {
    fn filter_of(&self, caller: &UserCaller, q: &ListQuery) -> Result<OrderFilter, AppError> {
        let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        Ok(OrderFilter {
            organization: caller.organization().to_owned(),
            visible_statuses: self.workflows.visibility(|wf| visibility([wf])),
            seen_statuses: self.workflows.visibility(|wf| visibility_once_seen([wf])),
            workflow: nonempty(&q.workflow),
            status: nonempty(&q.status),
            party: nonempty(&q.party),
            text: nonempty(&q.q),
            created_from: parse_time("created_from", q.created_from.as_ref())?,
            created_to: parse_time("created_to", q.created_to.as_ref())?,
            updated_from: parse_time("updated_from", q.updated_from.as_ref())?,
            updated_to: parse_time("updated_to", q.updated_to.as_ref())?,
            sort: match nonempty(&q.sort) {
                None => OrderSort::default(),
                Some(s) => OrderSort::parse(&s).ok_or_else(|| {
                    AppError::bad_request(format!(
                        "sort must be newest, oldest, updated or waiting, not {s:?}"
                    ))
                })?,
            },
        })
    }

    /// The page size asked for of a list of orders or children.
    fn page_limit(&self, asked: Option<u32>, default: u32) -> Result<u32, AppError> {
        let max = self.limits.page_limit_max;
        limit_within(asked, default.min(max), max)
    }

    /// The order, its status, version and the caller's actions now.
    pub async fn order(&self, caller: &UserCaller, id: &str) -> Result<OrderView, AppError> {
        let v = self.load_visible(caller, id).await?;
        let settings = self.party_settings(&v.order).await?;
        let mut memo = self.memos.take(&v.order.id);
        let view = self.view_for(&v.wf, &v.order, &settings, &caller.actor(), &mut memo);
        self.memos.keep(&v.order.id, memo);
        view
    }

    /// Orders the caller sees, newest first, with cursor paging.
    pub async fn list_orders(
        &self,
        caller: &UserCaller,
        q: &ListQuery,
    ) -> Result<OrderList, AppError> {
        let filter = self.filter_of(caller, q)?;
        let limit = self.page_limit(q.limit, 50)?;
        let page = self
            .store
            .orders(
                &filter,
                q.cursor.as_deref().filter(|c| !c.is_empty()),
                limit,
            )
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) => AppError::bad_request(m),
                other => other.into(),
            })?;
        let actor = caller.actor();
        let items = page
            .items
            .iter()
            .filter(|o| {
                // The store filters by visibility; the engine has the last word.
                self.workflow_of(o).is_some_and(|wf| wf.can_see(o, &actor))
            })
            .map(|o| views::summary(self.workflow_of(o).as_deref(), o))
            .collect();
        Ok(OrderList {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// Visible orders per workflow and status, for dashboards.
    pub async fn count_orders(
        &self,
        caller: &UserCaller,
        q: &ListQuery,
    ) -> Result<OrderCounts, AppError> {
        let filter = self.filter_of(caller, q)?;
        // The list's query, checked as the list checks it, though a count
        // has no pages.
        self.page_limit(q.limit, 50)?;
        let mut rows: Vec<_> = self
            .store
            .count_by_status(&filter)
            .await?
            .into_iter()
            .map(|(workflow, status, count)| {
                let wf = self.workflow(&workflow);
                // People read statuses in the order their workflow declares
                // them (draft before published), not alphabetically.
                let place = wf
                    .as_ref()
                    .and_then(|wf| wf.def.states.iter().position(|s| s.id == status))
                    .unwrap_or(usize::MAX);
                let status = match wf {
                    Some(wf) => views::status(&wf, &status),
                    None => views::child_status_unknown(&status),
                };
                (
                    place,
                    StatusCount {
                        status,
                        workflow,
                        count,
                    },
                )
            })
            .collect();
        rows.sort_by(|(a, x), (b, y)| {
            (&x.workflow, a, &x.status.id).cmp(&(&y.workflow, b, &y.status.id))
        });
        let counts: Vec<StatusCount> = rows.into_iter().map(|(_, c)| c).collect();
        let total = counts.iter().map(|c| c.count).sum();
        Ok(OrderCounts { counts, total })
    }

    /// The order's history, oldest first.
    pub async fn history(
        &self,
        caller: &UserCaller,
        id: &str,
        q: &PageQuery,
    ) -> Result<HistoryPage, AppError> {
        let v = self.load_visible(caller, id).await?;
        let limit = self.page_limit(q.limit, 100)?;
        let entries = self
            .store
            .history(&v.order.id, q.after.unwrap_or(0), limit)
            .await?;
        // Entries written while none of the caller's slots could see the
        // order are not theirs to read; paging still counts them.
        let slots = v.order.slots_of(caller.organization());
        Ok(HistoryPage {
            next_after: next_after(&entries, limit, |e| e.seq),
            items: entries
                .iter()
                .filter(|e| slots.iter().any(|s| !e.hidden_from.contains(s)))
                .map(|e| views::history(Some(&v.wf), e))
                .collect(),
        })
    }

    /// Children of one kind, oldest first.
    pub async fn list_children(
        &self,
        caller: &UserCaller,
        id: &str,
        q: &PageQuery,
    ) -> Result<ChildList, AppError> {
        let v = self.load_visible(caller, id).await?;
        let limit = self.page_limit(q.limit, 100)?;
        let after = q.after.unwrap_or(0);
        let kinds = &v.wf.def.children;
        let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some(kinds.iter().find(|c| c.id == k).ok_or_else(|| {
                AppError::bad_request(format!("{} has no child kind {k:?}", v.wf.id()))
            })?),
            None => None,
        };
        let children: Vec<Child> = match kind {
            Some(k) if k.parent != "order" => {
                self.store
                    .children(&v.order.id, &k.id, after, limit)
                    .await?
            }
            _ => v
                .order
                .children
                .iter()
                .filter(|c| kind.is_none_or(|k| c.kind == k.id) && c.seq > after)
                .take(limit as usize)
                .cloned()
                .collect(),
        };
        Ok(ChildList {
            next_after: next_after(&children, limit, |c| c.seq),
            items: children
                .iter()
                .map(|c| views::child(&v.wf, c, None))
                .collect(),
        })
    }

    /// One child with the caller's actions on it.
    pub async fn child(
        &self,
        caller: &UserCaller,
        id: &str,
        child_id: &str,
    ) -> Result<ChildView, AppError> {
        let v = self.load_visible(caller, id).await?;
        let child = self.find_child(&v.order, child_id).await?;
        let settings = self.party_settings(&v.order).await?;
        let actions = engine::available_child_actions(
            &v.wf,
            &v.order,
            &child,
            &settings,
            &caller.actor(),
            self.now(),
        )?;
        Ok(views::child(&v.wf, &child, Some(views::actions(actions))))
    }
}
