//! The domain's one error type; `web` maps each variant to an HTTP status.

/// Everything a domain operation can refuse or fail with.
///
/// Variants carry context (which field, which limit) but never personal
/// data, so they are safe to log.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named thing does not exist or is not visible to the caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// No valid credentials; deliberately silent about whether the user exists.
    #[error("authentication required")]
    Unauthenticated,
    /// The first sign-in step succeeded; the session waits for its second.
    #[error("the second sign-in step is still due")]
    SecondFactorRequired,
    /// Staff must set up a second factor before they can act.
    #[error("a second factor must be set up first")]
    SecondFactorEnrolmentRequired,
    /// Credentials are valid but do not allow this action.
    #[error("forbidden")]
    Forbidden,
    /// A field failed validation.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which input field.
        field: &'static str,
        /// Why, in words safe to show the user.
        reason: String,
    },
    /// The password breaks the password policy (promise G7).
    #[error("weak password: {0}")]
    WeakPassword(&'static str),
    /// A unique thing (username, contact) is already taken.
    #[error("{0} already taken")]
    Taken(&'static str),
    /// Too many attempts; try again after the given number of seconds.
    #[error("too many attempts, retry after {retry_after_secs}s")]
    Throttled {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// A one-time code is wrong.
    #[error("wrong code")]
    WrongCode,
    /// A one-time code expired or was never issued.
    #[error("code expired")]
    CodeExpired,
    /// A one-time code was guessed wrongly too often and is void.
    #[error("code attempts exhausted")]
    CodeAttemptsExhausted,
    /// An import file was refused; one entry per bad line.
    #[error("import refused: {}", .0.join("; "))]
    ImportRejected(Vec<String>),
    /// A camera is already bound to another account; its holder may file an ownership claim.
    #[error("this camera belongs to another account; file an ownership claim if you hold it")]
    AlreadyBound,
    /// A serial number and verification code do not match (or the serial is unknown).
    #[error("serial number and verification code do not match")]
    BindRefused,
    /// A message could not be handed to the delivery service.
    #[error("delivery failed: {0}")]
    Delivery(String),
    /// Well-formed but refused upload: unbound camera, privacy mode,
    /// recording off or outside the schedule (C3). Nothing was stored.
    #[error("{}", .0.message())]
    Refused(crate::recordings::Refusal),
    /// Uploaded media failed validation.
    #[error("invalid media: {0}")]
    InvalidMedia(String),
    /// An upload is larger than its limit.
    #[error("{what} is larger than {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// The account waits for a guardian to confirm it (A7).
    #[error(
        "this account waits for a parent or guardian to confirm it by the link we mailed them"
    )]
    AwaitingGuardian,
    /// The named thing existed but its time is over (an export's link).
    #[error("this {0} has expired")]
    Expired(&'static str),
    /// The named thing is not ready yet (an export still being written).
    #[error("this {0} is not ready yet")]
    NotReady(&'static str),
    /// Sign-in through the external provider failed: a wrong or replayed
    /// state, a refused code, or an ID token that does not verify (A3).
    #[error("sign-in with the external provider failed: {0}")]
    ExternalSignIn(String),
    /// The provider's verified email belongs to an account already: the
    /// person signs in there and links the provider from the account page.
    #[error("an account already uses this email; sign in to it and link the provider from your account page")]
    ExternalEmailInUse,
    /// The storage backend failed.
    #[error("storage: {0}")]
    Storage(String),
}

/// Shorthand for domain results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an [`Error::Invalid`] for `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
