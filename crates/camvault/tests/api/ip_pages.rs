//! The IP-camera pages: adding by RTSP address and testing the connection.

use domain::ports::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

fn csrf_in(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field on the page")
        .to_string()
}

// promise: B7
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ip_camera_is_added_and_tested_through_the_pages() {
    let Some(cam) = testkit::rtsp::start(&["--user", "cam", "--password", "pagesecret-77"]) else {
        return;
    };
    let app = TestApp::spawn().await;
    let owner = app.person("ippages", Role::User).await;
    let form = owner
        .client
        .get(app.url("/cameras/add-ip"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let csrf = csrf_in(&form.text().await.unwrap());

    let resp = owner
        .client
        .post(app.url("/cameras/add-ip"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Shed"),
            ("url", "ftp://nope"),
            ("username", ""),
            ("password", ""),
            ("channels", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("class=\"error\""));

    let resp = owner
        .client
        .post(app.url("/cameras/add-ip"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Shed"),
            ("url", cam.url.as_str()),
            ("username", "cam"),
            ("password", "pagesecret-77"),
            ("channels", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let page = owner
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Stream source") && page.contains(&cam.url));
    assert!(
        !page.contains("pagesecret-77"),
        "credentials are never shown"
    );

    let resp = owner
        .client
        .post(app.url(&format!("{location}/test-connection")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let html = resp.text().await.unwrap();
    assert!(html.contains("Connection works: H264 640×360"), "{html}");

    let forged = owner
        .client
        .post(app.url(&format!("{location}/source")))
        .form(&[("csrf", "forged"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let resp = owner
        .client
        .post(app.url(&format!("{location}/source")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("url", ""),
            ("username", ""),
            ("password", "wrong-one"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = owner
        .client
        .post(app.url(&format!("{location}/test-connection")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Connection failed (auth_failed)"), "{html}");
    assert!(!html.contains("wrong-one"));
}
