//! Integration tests: the real server on a loopback port, one module per
//! user story. Set `CAMVAULT_TEST_DATABASE_URL` to run them on PostgreSQL.

// Helpers outside #[test] functions are test code too: a panic is the report.
#![allow(clippy::unwrap_used)]

mod helpers;
mod instances;
mod ip_pages;
mod live;

mod access;
mod accounts;
mod album;
mod album_clips;
mod audit;
mod billing;
mod breach;
mod camera_pages;
mod cameras;
mod claims;
mod closures;
mod cluster;
mod cluster_jobs;
mod conformance;
mod consents;
mod contacts;
mod crash;
mod device;
mod errors;
mod events;
mod exports;
mod feed;
mod health;
mod ingest;
mod integrations;
mod key_rotation;
mod marketing;
mod masking;
mod matrix;
mod metrics;
mod minors;
mod motion;
mod mqtt;
mod oidc;
mod oidc_provider;
mod pages;
mod privacy;
mod provisioning;
mod push;
mod recordings;
mod requests;
mod residency;
mod retention;
mod rtsp;
mod rtsp_ingest;
mod s3;
mod scale_out;
mod search;
mod second_factor;
mod service_log;
mod sessions;
mod setup;
mod sharing;
mod sharing_pages;
mod signin;
mod simulate;
mod statistics;
mod support;
mod tls;
mod tokens;
mod usage;
mod webhooks;
