//! TLS for every connection (G1): rustls (with `ring`) serving the
//! configured certificate and key, or a self-signed certificate made once
//! with rcgen and kept in `<data_dir>/tls/`, for a box on the LAN whose
//! owner accepts it once in the browser.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::Config;

/// Where the self-signed certificate and its key are kept.
pub fn self_signed_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// The TLS configuration in force, if TLS is on.
pub fn server_config(config: &Config) -> anyhow::Result<Option<Arc<rustls::ServerConfig>>> {
    let (cert, key) = match (&config.tls_cert, &config.tls_key, config.tls_self_signed) {
        (Some(c), Some(k), _) => (c.clone(), k.clone()),
        (None, None, true) => self_signed(config)?,
        (None, None, false) => return Ok(None),
        _ => anyhow::bail!("tls_cert and tls_key go together"),
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .with_context(|| format!("reading {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no certificate", cert.display());
    let key = PrivateKeyDer::from_pem_file(&key)
        .with_context(|| format!("{} is not a PEM private key", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate and key do not go together")?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(server)))
}

/// The self-signed certificate, made on first use for `localhost`, the
/// loopback addresses and the public URL's host.
fn self_signed(config: &Config) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (cert, key) = self_signed_paths(&config.data_dir);
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    if let Some(host) = config
        .public_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
    {
        names.push(host);
    }
    // A box listening on one LAN address is reached by it.
    if let Ok(addr) = config.listen.parse::<std::net::SocketAddr>() {
        if !addr.ip().is_unspecified() && !addr.ip().is_loopback() {
            names.push(addr.ip().to_string());
        }
    }
    let made = rcgen::generate_simple_self_signed(names).context("making a certificate")?;
    let dir = cert.parent().context("certificate directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_private(&key, made.key_pair.serialize_pem().as_bytes())?;
    std::fs::write(&cert, made.cert.pem())
        .with_context(|| format!("writing {}", cert.display()))?;
    tracing::info!(cert = %cert.display(), "self-signed TLS certificate made");
    Ok((cert, key))
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

/// The plain-HTTP listener's only answer: the same path on HTTPS. The host
/// is the public URL's when it is HTTPS, else the one the request named
/// (a redirect only ever goes back to whoever asked).
pub async fn to_https(
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    port: u16,
    public: Option<String>,
) -> axum::response::Redirect {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let base = public.unwrap_or_else(|| {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<axum::http::uri::Authority>().ok())
            .map_or_else(|| "localhost".to_string(), |a| a.host().to_string());
        // IPv6 literals keep their brackets in a URL.
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        match port {
            443 => format!("https://{host}"),
            p => format!("https://{host}:{p}"),
        }
    });
    axum::response::Redirect::permanent(&format!("{base}{path}"))
}
