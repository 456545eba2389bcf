//! A small OpenID Connect provider on loopback for the sign-in tests:
//! discovery, JWKS, an authorization endpoint that signs in whoever the
//! test says, and a token endpoint that checks the client secret, the
//! redirect URL and the PKCE verifier before it signs an Ed25519 ID token.
//! Written from the specifications (OIDC Core, RFC 7636, RFC 8037), not
//! with the library camvault uses, so the two check each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The client camvault is registered as.
pub const CLIENT_ID: &str = "camvault-test";
/// Its secret.
pub const CLIENT_SECRET: &str = "provider-side-secret";

/// Who the provider signs in next.
#[derive(Debug, Clone)]
pub struct User {
    /// `sub`.
    pub subject: String,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified`.
    pub email_verified: bool,
}

/// Ways the provider misbehaves, for the refusal tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// None: a correct ID token.
    None,
    /// The ID token carries another nonce.
    WrongNonce,
    /// Signed with a key the JWKS does not hold.
    ForeignKey,
    /// Issued to another client.
    WrongAudience,
    /// Expired an hour ago.
    Expired,
    /// Names another issuer.
    WrongIssuer,
}

struct Grant {
    redirect_uri: String,
    challenge: String,
    nonce: String,
    user: User,
}

struct Inner {
    issuer: String,
    key: Ed25519KeyPair,
    foreign: Ed25519KeyPair,
    next: User,
    fault: Fault,
    grants: HashMap<String, Grant>,
    counter: u64,
    /// Every authorization request's query, for the tests to inspect.
    authorizations: Vec<HashMap<String, String>>,
    /// Token requests the provider refused, with why.
    refusals: Vec<String>,
}

/// The running provider.
#[derive(Clone)]
pub struct Provider {
    /// Its issuer URL.
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
}

fn new_key() -> Ed25519KeyPair {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

impl Provider {
    /// Starts a provider on a loopback port.
    pub async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner {
            issuer: issuer.clone(),
            key: new_key(),
            foreign: new_key(),
            next: User {
                subject: "nobody".into(),
                email: None,
                email_verified: false,
            },
            fault: Fault::None,
            grants: HashMap::new(),
            counter: 0,
            authorizations: Vec::new(),
            refusals: Vec::new(),
        }));
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Provider { issuer, inner }
    }

    /// The person the next authorization signs in.
    pub fn sign_in_as(&self, user: User) {
        self.inner.lock().unwrap().next = user;
    }

    /// Makes the next ID tokens faulty (or correct again).
    pub fn fault(&self, fault: Fault) {
        self.inner.lock().unwrap().fault = fault;
    }

    /// The query of the latest authorization request.
    pub fn last_authorization(&self) -> HashMap<String, String> {
        self.inner
            .lock()
            .unwrap()
            .authorizations
            .last()
            .cloned()
            .unwrap()
    }

    /// Why token requests were refused, oldest first.
    pub fn refusals(&self) -> Vec<String> {
        self.inner.lock().unwrap().refusals.clone()
    }
}

type Shared = State<Arc<Mutex<Inner>>>;

async fn discovery(State(s): Shared) -> Json<Value> {
    let issuer = s.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "scopes_supported": ["openid", "email", "profile", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "email", "email_verified", "name", "phone_number", "birthdate"]
    }))
}

async fn jwks(State(s): Shared) -> Json<Value> {
    let s = s.lock().unwrap();
    Json(json!({"keys": [{
        "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": "k1",
        "x": URL_SAFE_NO_PAD.encode(s.key.public_key().as_ref()),
    }]}))
}

async fn authorize(State(s): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut s = s.lock().unwrap();
    s.authorizations.push(q.clone());
    let need = |k: &str| q.get(k).cloned().unwrap_or_default();
    if need("response_type") != "code"
        || need("client_id") != CLIENT_ID
        || need("code_challenge_method") != "S256"
        || need("code_challenge").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    s.counter += 1;
    let code = format!("code-{}", s.counter);
    let grant = Grant {
        redirect_uri: need("redirect_uri"),
        challenge: need("code_challenge"),
        nonce: need("nonce"),
        user: s.next.clone(),
    };
    let back = format!(
        "{}?code={code}&state={}",
        grant.redirect_uri,
        url::form_urlencoded::byte_serialize(need("state").as_bytes()).collect::<String>()
    );
    s.grants.insert(code, grant);
    Redirect::to(&back).into_response()
}

fn refuse(s: &mut Inner, why: &str) -> Response {
    s.refusals.push(why.to_string());
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid_grant", "error_description": why})),
    )
        .into_response()
}

async fn token(
    State(s): Shared,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let mut s = s.lock().unwrap();
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return refuse(&mut s, "client authentication");
    }
    if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse(&mut s, "grant type");
    }
    // A code works once.
    let Some(grant) = f.get("code").and_then(|c| s.grants.remove(c)) else {
        return refuse(&mut s, "unknown or used code");
    };
    if f.get("redirect_uri") != Some(&grant.redirect_uri) {
        return refuse(&mut s, "redirect_uri");
    }
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return refuse(&mut s, "PKCE verifier");
    }
    let id_token = id_token(&s, &grant);
    Json(json!({
        "access_token": "opaque-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

fn id_token(s: &Inner, grant: &Grant) -> String {
    // The relying party checks `exp` against the real clock, not camvault's.
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut claims = json!({
        "iss": s.issuer,
        "sub": grant.user.subject,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": grant.nonce,
        "email_verified": grant.user.email_verified,
        // Claims camvault has no use for: none of them may be kept.
        "name": "Provider Fullname",
        "phone_number": "+15550100999",
        "birthdate": "1990-04-01",
        "picture": "http://127.0.0.1/picture.png",
    });
    if let Some(e) = &grant.user.email {
        claims["email"] = json!(e);
    }
    match s.fault {
        Fault::None | Fault::ForeignKey => {}
        Fault::WrongNonce => claims["nonce"] = json!("another-nonce"),
        Fault::WrongAudience => claims["aud"] = json!("someone-else"),
        Fault::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
        Fault::WrongIssuer => claims["iss"] = json!("http://127.0.0.1:1"),
    }
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": "k1"});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = if s.fault == Fault::ForeignKey {
        &s.foreign
    } else {
        &s.key
    };
    let sig = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}
