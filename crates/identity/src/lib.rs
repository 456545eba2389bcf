//! Sign-in through an external OpenID Connect provider (A3), as a
//! [`domain::ports::IdentityProvider`] built on the `openidconnect` crate.
//!
//! The provider's discovery document (and with it its signing keys) is
//! fetched when first needed and again when it is older than
//! [`METADATA_MAX_AGE`] or an ID token names a key it does not hold, so a
//! provider that rotates keys or is down at start-up does not need a
//! restart. The HTTP client follows no redirects (SSRF).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::ports::{
    AuthorizationRequest, IdentityProvider, PendingExternalSignIn, ProviderClaims,
};
use domain::{Error, Result};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use tokio::sync::Mutex;

/// How long a fetched discovery document is trusted.
pub const METADATA_MAX_AGE: Duration = Duration::from_secs(3600);

/// Signing algorithms accepted on ID tokens. `none` and HMAC (which would
/// make the client secret a signing key) are never accepted.
const ALGORITHMS: [CoreJwsSigningAlgorithm; 8] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// The client with the endpoints discovery gives.
type IdClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The provider as configured by the operator.
#[derive(Clone)]
pub struct OidcSettings {
    /// Issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// Client id registered at the provider.
    pub client_id: String,
    /// Client secret, for confidential clients; PKCE is used either way.
    pub client_secret: Option<String>,
    /// The provider's name on the sign-in button.
    pub label: String,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<set>"),
            )
            .field("label", &self.label)
            .finish()
    }
}

/// An OpenID Connect provider reached over HTTP.
pub struct OidcProvider {
    settings: OidcSettings,
    issuer: IssuerUrl,
    http: reqwest::Client,
    metadata: Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

fn failed(what: &str) -> Error {
    Error::ExternalSignIn(what.to_string())
}

impl OidcProvider {
    /// Checks the settings; nothing is fetched until the first sign-in.
    pub fn new(settings: OidcSettings) -> Result<Self> {
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|_| Error::invalid("oidc_issuer", "not a URL"))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Delivery(format!("HTTP client: {e}")))?;
        Ok(OidcProvider {
            settings,
            issuer,
            http,
            metadata: Mutex::new(None),
        })
    }

    /// The discovery document, fetched again when stale or `refresh`.
    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata> {
        let mut cached = self.metadata.lock().await;
        if let Some((m, at)) = cached.as_ref() {
            if !refresh && at.elapsed() < METADATA_MAX_AGE {
                return Ok(m.clone());
            }
        }
        let fetched = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "OpenID provider discovery failed");
                Error::Delivery("the sign-in provider cannot be reached".into())
            })?;
        *cached = Some((fetched.clone(), Instant::now()));
        Ok(fetched)
    }

    fn client(&self, metadata: CoreProviderMetadata, redirect: &str) -> Result<IdClient> {
        let redirect = RedirectUrl::new(redirect.to_string())
            .map_err(|_| Error::invalid("public_url", "not a URL"))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Verifies the ID token with the keys in `metadata`.
    fn claims_of(
        &self,
        client: &IdClient,
        id_token: &openidconnect::core::CoreIdToken,
        nonce: &str,
    ) -> std::result::Result<ProviderClaims, openidconnect::ClaimsVerificationError> {
        let verifier = client.id_token_verifier().set_allowed_algs(ALGORITHMS);
        let claims = id_token.claims(&verifier, &Nonce::new(nonce.to_string()))?;
        let verified_email = match claims.email_verified() {
            Some(true) => claims.email().map(|e| e.as_str().to_string()),
            _ => None,
        };
        Ok(ProviderClaims {
            issuer: self.issuer.as_str().to_string(),
            subject: claims.subject().as_str().to_string(),
            verified_email,
        })
    }
}

#[async_trait]
impl IdentityProvider for OidcProvider {
    fn label(&self) -> &str {
        &self.settings.label
    }

    fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    async fn authorization_url(&self, request: &AuthorizationRequest) -> Result<String> {
        let client = self.client(self.metadata(false).await?, &request.redirect_url)?;
        let verifier = PkceCodeVerifier::new(request.pkce_verifier.clone());
        let (state, nonce) = (request.state.clone(), request.nonce.clone());
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier))
            .url();
        Ok(url.to_string())
    }

    async fn redeem(&self, code: &str, pending: &PendingExternalSignIn) -> Result<ProviderClaims> {
        let (nonce, redirect) = (pending.nonce.as_str(), pending.redirect_url.as_str());
        let client = self.client(self.metadata(false).await?, redirect)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|_| failed("the provider has no token endpoint"))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::info!(error = %e, "provider refused the authorization code");
                failed("the provider refused the code")
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| failed("the provider sent no ID token"))?;
        match self.claims_of(&client, id_token, nonce) {
            Ok(claims) => Ok(claims),
            // A key we do not hold may be a rotated one: fetch the keys once more.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                let fresh = self.client(self.metadata(true).await?, redirect)?;
                self.claims_of(&fresh, id_token, nonce).map_err(|e| {
                    tracing::info!(error = %e, "ID token refused");
                    failed("the ID token does not verify")
                })
            }
            Err(e) => {
                tracing::info!(error = %e, "ID token refused");
                Err(failed("the ID token does not verify"))
            }
        }
    }
}
