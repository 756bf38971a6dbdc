//! The one error of the application layer: a problem with a stable `code`,
//! an HTTP-like status, a detail, the fields at fault and, for refusals on
//! an order, its current version. The JSON API answers it as RFC 9457
//! problem JSON; the web UI shows its field messages beside the fields.
//! This table is the contract; `docs/api.md` repeats it.
//!
//! | code                     | HTTP | when                                                        |
//! |--------------------------|------|-------------------------------------------------------------|
//! | `bad_request`            | 400  | malformed JSON, a bad query parameter or header             |
//! | `unauthorized`           | 401  | no `Authorization: Bearer`, or an unknown token             |
//! | `forbidden`              | 403  | the caller's party or role may not do this (`allowed`)      |
//! | `not_found`              | 404  | no such object, or one the caller may not see               |
//! | `unknown_action`         | 404  | the workflow has no such action                             |
//! | `method_not_allowed`     | 405  | the route exists with another method                        |
//! | `not_available`          | 409  | the action is not available in this state (`available_in`)  |
//! | `guard_failed`           | 409  | a rule does not hold (`rule`, `message`, `values`)          |
//! | `invalid_setting`        | 409  | a party's stored setting does not fit the workflow (`fields`)|
//! | `version_conflict`       | 409  | someone changed the order first (`current_version`)         |
//! | `conflict`               | 409  | an object with this id exists already                       |
//! | `precondition_failed`    | 412  | `If-Match` names a stale version (`current_version`)        |
//! | `payload_too_large`      | 413  | the body is over the limit                                  |
//! | `unsupported_media_type` | 415  | wrong `Content-Type`, or content that is not what it claims |
//! | `invalid_input`          | 422  | invalid or missing inputs (`fields`)                        |
//! | `idempotency_key_reused` | 422  | an `Idempotency-Key` sent again with another request        |
//! | `invalid_definition`     | 422  | a workflow definition fails its check (`problems`, by line) |
//! | `too_many_attempts`      | 429  | too many failed sign-ins: wait the seconds `detail` names   |
//! | `internal`               | 500  | a failure of the server; details go to the logs only        |
//! | `unavailable`            | 503  | the store does not answer                                   |

use orderflow_api::{FieldProblem, Problem};
use orderflow_core::rejection::Rejection;
use orderflow_store::StoreError;

/// `(code, HTTP status, title)` of every kind of problem.
pub const CODES: &[(&str, u16, &str)] = &[
    ("bad_request", 400, "Bad request"),
    ("unauthorized", 401, "Unauthorized"),
    ("forbidden", 403, "Forbidden"),
    ("not_found", 404, "Not found"),
    ("unknown_action", 404, "Unknown action"),
    ("method_not_allowed", 405, "Method not allowed"),
    ("not_available", 409, "Action not available"),
    ("guard_failed", 409, "A rule does not hold"),
    (
        "invalid_setting",
        409,
        "An organisation setting does not fit",
    ),
    ("version_conflict", 409, "Version conflict"),
    ("conflict", 409, "Conflict"),
    ("precondition_failed", 412, "Precondition failed"),
    ("payload_too_large", 413, "Payload too large"),
    ("unsupported_media_type", 415, "Unsupported media type"),
    ("invalid_input", 422, "Invalid input"),
    ("idempotency_key_reused", 422, "Idempotency key reused"),
    ("invalid_definition", 422, "Invalid workflow definition"),
    ("too_many_attempts", 429, "Too many attempts"),
    ("internal", 500, "Internal error"),
    ("unavailable", 503, "Service unavailable"),
];

/// The problem of `code` with `detail`; the status and title come from
/// [`CODES`].
pub fn problem(code: &str, detail: impl Into<String>) -> Problem {
    let (status, title) = CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, s, t)| (*s, *t))
        .unwrap_or((500, "Internal error"));
    Problem::new(status, code, title, detail)
}

/// What went wrong, as every adapter reports it.
#[derive(Debug, Clone)]
pub struct AppError(Box<Problem>);

impl AppError {
    pub fn new(code: &str, detail: impl Into<String>) -> Self {
        Self(Box::new(problem(code, detail)))
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new("bad_request", detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new("unauthorized", detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new("forbidden", detail)
    }
    /// The one answer for "missing" and "not yours": never a hint that the
    /// object exists.
    pub fn not_found(what: &str) -> Self {
        Self::new("not_found", format!("no such {what}"))
    }
    /// One invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::invalid_fields(vec![(field.to_owned(), message.into())])
    }
    /// Several invalid fields, each with its message.
    pub fn invalid_fields(fields: Vec<(String, String)>) -> Self {
        let mut p = problem(
            "invalid_input",
            format!(
                "invalid input: {}",
                fields
                    .iter()
                    .map(|(f, m)| format!("{f}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        );
        p.fields = Some(
            fields
                .into_iter()
                .map(|(field, message)| FieldProblem { field, message })
                .collect(),
        );
        Self(Box::new(p))
    }
    /// A definition that fails its check: every problem by line and column.
    pub fn invalid_definition(problems: Vec<orderflow_api::DefinitionProblem>) -> Self {
        let mut p = problem(
            "invalid_definition",
            problems
                .iter()
                .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        p.problems = Some(problems);
        Self(Box::new(p))
    }
    /// A failure of ours: logged in full, reported without internals.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "{context}");
        Self::new("internal", "the server failed; the failure is logged")
    }
    pub fn with_current_version(mut self, version: u64) -> Self {
        self.0.current_version = Some(version);
        self
    }
    /// The stable code (see the table above).
    pub fn code(&self) -> &str {
        &self.0.code
    }
    /// The HTTP status the code stands for.
    pub fn status(&self) -> u16 {
        self.0.status
    }
    /// What is wrong, in a sentence.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }
    /// Every invalid field with its message (`invalid_input`).
    pub fn fields(&self) -> &[FieldProblem] {
        self.0.fields.as_deref().unwrap_or_default()
    }
    /// The version the order is at now, when the refusal is about one.
    pub fn current_version(&self) -> Option<u64> {
        self.0.current_version
    }
    /// Everything, as problem JSON shows it.
    pub fn problem(&self) -> &Problem {
        &self.0
    }
    pub fn into_problem(self) -> Problem {
        *self.0
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0.code, self.0.detail)
    }
}

impl std::error::Error for AppError {}

impl From<Problem> for AppError {
    fn from(p: Problem) -> Self {
        Self(Box::new(p))
    }
}

/// An engine refusal as a problem, every member it names kept.
pub fn rejection_problem(r: &Rejection) -> Problem {
    let mut p = match r {
        // A workflow's own expression failed: a bug to log, not to show.
        Rejection::Definition { what, message } => {
            tracing::error!(%what, %message, "workflow expression failed");
            return problem(
                "internal",
                "the workflow could not evaluate this order; the failure is logged",
            );
        }
        _ => problem(r.code(), r.to_string()),
    };
    p.status = r.http_status();
    match r {
        Rejection::UnknownAction { action } => p.action = Some(action.clone()),
        Rejection::NotAvailable {
            action,
            status,
            available_in,
        } => {
            p.action = Some(action.clone());
            p.order_status = Some(status.clone());
            p.available_in = Some(available_in.clone());
        }
        Rejection::Forbidden { action, allowed } => {
            p.action = Some(action.clone());
            p.allowed = Some(allowed.clone());
        }
        Rejection::InvalidInput { fields } => {
            p.fields = Some(
                fields
                    .iter()
                    .map(|f| FieldProblem {
                        field: f.field.clone(),
                        message: f.message.clone(),
                    })
                    .collect(),
            );
        }
        Rejection::GuardFailed {
            rule,
            message,
            values,
            beside,
        } => {
            p.rule = Some(rule.clone());
            p.message = Some(message.clone());
            p.values = Some(values.clone());
            p.fields = beside.as_ref().map(|field| {
                vec![FieldProblem {
                    field: field.clone(),
                    message: message.clone(),
                }]
            });
        }
        Rejection::InvalidSetting { field, message, .. } => {
            p.fields = Some(vec![FieldProblem {
                field: field.clone(),
                message: message.clone(),
            }]);
        }
        Rejection::NotFound | Rejection::Definition { .. } => {}
    }
    p
}

impl From<Rejection> for AppError {
    fn from(r: Rejection) -> Self {
        Self(Box::new(rejection_problem(&r)))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionConflict { current, .. } => Self::new(
                "version_conflict",
                format!("someone changed the order first: it is at version {current} now"),
            )
            .with_current_version(current),
            StoreError::Duplicate(what) => Self::new("conflict", format!("{what} already exists")),
            StoreError::NotFound(what) => Self::not_found(&what),
            StoreError::OutOfStock(what) => Self::new("conflict", what),
            StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "the store is unavailable");
                Self::new(
                    "unavailable",
                    "the database cannot take requests now; nothing was changed, try again shortly",
                )
            }
            other => Self::internal("store failed", other),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use orderflow_core::rejection::FieldError;

    use super::*;

    #[test]
    fn every_code_is_listed_once_with_a_matching_status() {
        let mut seen = std::collections::BTreeSet::new();
        for (code, status, _) in CODES {
            assert!(seen.insert(*code), "{code} twice");
            assert_eq!(problem(code, "x").status, *status);
        }
    }

    #[test]
    fn rejections_keep_their_members() {
        let p = rejection_problem(&Rejection::NotAvailable {
            action: "ship".into(),
            status: "draft".into(),
            available_in: vec!["produced".into()],
        });
        assert_eq!((p.status, p.code.as_str()), (409, "not_available"));
        assert_eq!(p.available_in, Some(vec!["produced".to_owned()]));

        let e = AppError::from(Rejection::InvalidInput {
            fields: vec![FieldError {
                field: "lines.0.quantity".into(),
                message: "must be at least 1".into(),
            }],
        });
        assert_eq!((e.status(), e.code()), (422, "invalid_input"));
        assert_eq!(
            e.fields().first().map(|f| f.field.as_str()),
            Some("lines.0.quantity")
        );

        let p = rejection_problem(&Rejection::GuardFailed {
            rule: "tasks_done".into(),
            message: "you need mark tasks".into(),
            values: BTreeMap::new(),
            beside: None,
        });
        assert_eq!((p.status, p.code.as_str()), (409, "guard_failed"));
        assert_eq!(p.rule.as_deref(), Some("tasks_done"));
        assert!(p.fields.is_none());

        // A guard about one input names it, and stays a conflict.
        let p = rejection_problem(&Rejection::GuardFailed {
            rule: "within_ordered".into(),
            message: "too many".into(),
            values: BTreeMap::new(),
            beside: Some("lines.1.quantity".into()),
        });
        assert_eq!((p.status, p.code.as_str()), (409, "guard_failed"));
        assert_eq!(
            p.fields,
            Some(vec![FieldProblem {
                field: "lines.1.quantity".into(),
                message: "too many".into(),
            }])
        );

        let p = rejection_problem(&Rejection::Forbidden {
            action: "approve".into(),
            allowed: vec!["outlet:approver".into()],
        });
        assert_eq!((p.status, p.code.as_str()), (403, "forbidden"));
    }

    #[test]
    fn internal_failures_do_not_leak() {
        let p = rejection_problem(&Rejection::Definition {
            what: "computed total".into(),
            message: "secret detail".into(),
        });
        assert_eq!((p.status, p.code.as_str()), (500, "internal"));
        assert!(!p.detail.contains("secret"));
        let e = AppError::from(StoreError::Backend("disk on fire at /var/x".into()));
        assert_eq!(e.status(), 500);
        assert!(!e.detail().contains("disk"));
    }

    #[test]
    fn outages_are_503_and_say_nothing_changed() {
        let e = AppError::from(StoreError::Unavailable(
            "(code: 13) database or disk is full".into(),
        ));
        assert_eq!((e.status(), e.code()), (503, "unavailable"));
        assert!(e.detail().contains("nothing was changed"));
        assert!(!e.detail().contains("code: 13"));
    }

    #[test]
    fn version_conflicts_name_the_current_version() {
        let e = AppError::from(StoreError::VersionConflict {
            what: "order o1".into(),
            expected: 3,
            current: 4,
        });
        assert_eq!((e.status(), e.code()), (409, "version_conflict"));
        assert_eq!(e.current_version(), Some(4));
    }

    #[test]
    fn several_fields_are_named_each() {
        let e = AppError::invalid_fields(vec![
            ("parties.lab".into(), "required".into()),
            ("workflow".into(), "unknown".into()),
        ]);
        assert_eq!(e.fields().len(), 2);
        assert_eq!(
            e.detail(),
            "invalid input: parties.lab: required; workflow: unknown"
        );
    }
}
