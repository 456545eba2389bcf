//! Event webhooks over HTTP: one signed POST per attempt.

use std::time::Duration;

use async_trait::async_trait;
use domain::ports::WebhookPoster;
use domain::{Error, Result};

/// The longest a webhook receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs webhook bodies with reqwest over rustls; follows no redirects, so
/// a receiver cannot bounce the signed request elsewhere.
#[derive(Debug, Clone)]
pub struct HttpPoster {
    client: reqwest::Client,
}

impl HttpPoster {
    /// Builds the client (10 s timeout, no redirects).
    pub fn new() -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("camvault-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| Error::Delivery("could not build the HTTP client".into()))?;
        Ok(HttpPoster { client })
    }
}

/// A short reason for a failed request: reqwest's own text names the URL,
/// which may carry credentials, so it never reaches the log.
fn reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "connection failed".into()
    } else if e.is_builder() {
        "invalid URL".into()
    } else {
        "request failed".into()
    }
}

#[async_trait]
impl WebhookPoster for HttpPoster {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &[u8],
    ) -> Result<u16> {
        let mut req = self.client.post(url).body(body.to_vec());
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        let resp = req.send().await.map_err(|e| Error::Delivery(reason(&e)))?;
        // Only the status matters; the body is dropped unread.
        Ok(resp.status().as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;

    async fn serve(app: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn posts_body_and_headers_and_reports_the_status() {
        let app = axum::Router::new().route(
            "/hook",
            post(|headers: HeaderMap, body: String| async move {
                let ok = headers["x-test"] == "yes" && body == "{\"a\":1}";
                if ok {
                    StatusCode::ACCEPTED
                } else {
                    StatusCode::BAD_REQUEST
                }
            }),
        );
        let base = serve(app).await;
        let poster = HttpPoster::new().unwrap();
        let status = poster
            .post(
                &format!("{base}/hook"),
                &[("X-Test", "yes".into())],
                b"{\"a\":1}",
            )
            .await
            .unwrap();
        assert_eq!(status, 202);
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let app = axum::Router::new()
            .route(
                "/hook",
                post(|| async { axum::response::Redirect::temporary("/elsewhere") }),
            )
            .route("/elsewhere", post(|| async { StatusCode::OK }));
        let base = serve(app).await;
        let poster = HttpPoster::new().unwrap();
        let status = poster
            .post(&format!("{base}/hook"), &[], b"{}")
            .await
            .unwrap();
        assert_eq!(status, 307);
    }

    #[tokio::test]
    async fn a_closed_port_is_an_error_without_the_url() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let poster = HttpPoster::new().unwrap();
        let err = poster
            .post(&format!("http://user:pw@127.0.0.1:{port}/x"), &[], b"{}")
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Delivery(_)));
        assert!(
            !text.contains("pw") && !text.contains("127.0.0.1"),
            "{text}"
        );
    }
}
