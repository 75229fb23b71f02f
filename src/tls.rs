//! TLS for the webhook (rustls, with the `ring` crypto provider): serving from certificate and
//! key files, and the streamer trusting a private certificate authority.

use std::path::{Path, PathBuf};

/// The webhook's certificate chain and private key, as PEM files.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain the webhook presents to clients (`--tls-cert`).
    pub cert: PathBuf,
    /// The private key of that certificate (`--tls-key`).
    pub key: PathBuf,
}

/// Makes `ring` the process's TLS crypto provider; harmless when called again.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Loads the server's TLS settings, naming the files if they will not do.
pub async fn server_config(
    files: &TlsFiles,
) -> std::io::Result<axum_server::tls_rustls::RustlsConfig> {
    install_crypto();
    axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
        .await
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot load the TLS certificate {} and key {}: {e}",
                    files.cert.display(),
                    files.key.display()
                ),
            )
        })
}

/// A CA certificate (PEM) the streamer should trust, e.g. for a self-signed webhook.
pub fn ca_certificate(path: &Path) -> Result<reqwest::Certificate, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("cannot read the CA certificate {}: {e}", path.display()))?;
    reqwest::Certificate::from_pem(&pem)
        .map_err(|e| format!("{} is not a PEM certificate: {e}", path.display()))
}
