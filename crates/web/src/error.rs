//! The one mapping from errors to HTTP: status, stable code, message.
//!
//! Error bodies are `{"error":{"code":"…","message":"…"}}`. Codes are part
//! of the API contract; messages are for people and may change.

use axum::extract::rejection::{
    BytesRejection, FormRejection, JsonRejection, PathRejection, QueryRejection,
};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable explanation (never personal data).
    pub message: String,
    /// Seconds for the `Retry-After` header, for 429.
    pub retry_after: Option<u64>,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code, e.g. `username_taken`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 401 with no hint about why.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first, or check your credentials",
        )
    }

    /// 403 for a missing or wrong CSRF token.
    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "missing or wrong CSRF token for a cookie-authenticated request",
        )
    }

    /// 404 for unknown routes.
    pub fn route_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
    }
}

impl From<domain::Error> for ApiError {
    fn from(e: domain::Error) -> Self {
        use domain::Error as E;
        let msg = e.to_string();
        match e {
            E::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", msg),
            E::Unauthenticated => ApiError::unauthenticated(),
            E::SecondFactorRequired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "second_factor_required",
                format!("{msg}: POST /api/v1/sessions/second-factor"),
            ),
            E::SecondFactorEnrolmentRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "second_factor_enrollment_required",
                format!("{msg}: POST /api/v1/me/second-factor/totp"),
            ),
            E::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", msg),
            E::ExternalSignIn(_) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "external_sign_in_failed", msg)
            }
            E::ExternalEmailInUse => ApiError::new(StatusCode::CONFLICT, "email_in_use", msg),
            E::Taken("external_identity") => ApiError::new(
                StatusCode::CONFLICT,
                "external_identity_taken",
                "that provider account is linked to a camvault account already",
            ),
            E::Invalid {
                field: "upload_offset",
                ..
            } => ApiError::new(StatusCode::CONFLICT, "upload_offset_mismatch", msg),
            E::Invalid { .. } => ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", msg),
            E::WeakPassword(_) => ApiError::new(StatusCode::BAD_REQUEST, "weak_password", msg),
            E::Taken("username") => ApiError::new(StatusCode::CONFLICT, "username_taken", msg),
            E::Taken("contact") => ApiError::new(StatusCode::CONFLICT, "contact_taken", msg),
            E::Taken("plan") => ApiError::new(StatusCode::CONFLICT, "plan_name_taken", msg),
            E::Taken("order") => ApiError::new(
                StatusCode::CONFLICT,
                "order_changed",
                "the order changed meanwhile; look at it again",
            ),
            E::Taken(_) => ApiError::new(StatusCode::CONFLICT, "conflict", msg),
            E::Throttled { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", msg)
            },
            E::ImportRejected(_) => ApiError::new(StatusCode::BAD_REQUEST, "import_rejected", msg),
            E::AlreadyBound => ApiError::new(
                StatusCode::CONFLICT,
                "camera_already_bound",
                format!("{msg}: POST /api/v1/claims"),
            ),
            E::BindRefused => ApiError::new(StatusCode::BAD_REQUEST, "serial_or_code_wrong", msg),
            E::WrongCode => ApiError::new(StatusCode::BAD_REQUEST, "wrong_code", msg),
            E::CodeExpired => ApiError::new(
                StatusCode::BAD_REQUEST,
                "code_expired",
                "the code expired or was never issued; ask for a new one",
            ),
            E::CodeAttemptsExhausted => ApiError::new(
                StatusCode::BAD_REQUEST,
                "code_attempts_exhausted",
                "too many wrong tries; ask for a new code",
            ),
            E::Refused(r) => ApiError::new(
                if r == domain::recordings::Refusal::Unbound {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::CONFLICT
                },
                r.code(),
                msg,
            ),
            E::AwaitingGuardian => {
                ApiError::new(StatusCode::FORBIDDEN, "guardian_consent_pending", msg)
            }
            E::Expired("export") => ApiError::new(StatusCode::GONE, "export_expired", msg),
            E::Expired(_) => ApiError::new(StatusCode::GONE, "expired", msg),
            E::NotReady("export") => ApiError::new(StatusCode::CONFLICT, "export_not_ready", msg),
            E::NotReady(_) => ApiError::new(StatusCode::CONFLICT, "not_ready", msg),
            E::InvalidMedia(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_media", msg)
            }
            E::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", msg)
            }
            E::Delivery(_) => {
                tracing::warn!(error = %msg, "delivery failed");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "delivery_failed",
                    "the message could not be sent; try again later",
                )
            }
            E::Storage(_) => {
                tracing::error!(error = %msg, "storage failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        body_rejection(r.status(), r.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        body_rejection(r.status(), r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        body_rejection(r.status(), r.body_text())
    }
}

fn body_rejection(status: StatusCode, text: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "request body is larger than allowed",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            text,
        ),
        StatusCode::UNPROCESSABLE_ENTITY => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", text)
        }
        _ => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", text),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// Result type of API handlers.
pub type ApiResult<T> = Result<T, ApiError>;
