//! Typed identifiers, so an account id can never be passed as a session id.

use serde::Serialize;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// An account.
    AccountId
);
id_type!(
    /// A contact (email address or phone number) of an account.
    ContactId
);
id_type!(
    /// A signed-in browser session.
    SessionId
);
id_type!(
    /// A personal API token.
    ApiTokenId
);
id_type!(
    /// A camera (a provisioned device or an added IP camera).
    CameraId
);
id_type!(
    /// A storage plan.
    PlanId
);
id_type!(
    /// An order for a plan.
    OrderId
);
