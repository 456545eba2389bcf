//! The base layout every page extends.

use maud::{html, Markup, DOCTYPE};

use crate::extract::PageUser;

/// Wraps `body` in the page chrome; `user` decides the navigation.
pub fn page(title: &str, user: Option<&PageUser>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · camvault" }
                link rel="stylesheet" href="/assets/style.css";
            }
            body {
                header.top {
                    a.brand href="/" { "camvault" }
                    nav {
                        @if let Some(u) = user {
                            a href="/account" { (u.0.account.username) }
                            form.inline method="post" action="/signout" {
                                input type="hidden" name="csrf" value=(u.csrf());
                                button.link type="submit" { "Sign out" }
                            }
                        } @else {
                            a href="/signin" { "Sign in" }
                            a href="/signup" { "Sign up" }
                        }
                    }
                }
                main { (body) }
                footer { a href="/privacy" { "Privacy" } " · " a href="/api/docs" { "API" } }
            }
        }
    }
}

/// An error box, if there is an error.
pub fn error_box(error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
    }
}

/// A notice box, if there is a notice.
pub fn notice_box(notice: Option<&str>) -> Markup {
    html! {
        @if let Some(n) = notice {
            p.notice role="status" { (n) }
        }
    }
}
