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

/// Why the CA certificate given with `--ca-cert` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaCertError {
    /// The file cannot be read.
    #[error("cannot read the CA certificate {}", path.display())]
    Read {
        /// The file given.
        path: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no certificate in PEM form.
    #[error("{} is not a PEM certificate", path.display())]
    NotPem {
        /// The file given.
        path: PathBuf,
        /// What the parser said.
        #[source]
        source: reqwest::Error,
    },
}

/// A CA certificate (PEM) the streamer should trust, e.g. for a self-signed webhook.
pub fn ca_certificate(path: &Path) -> Result<reqwest::Certificate, CaCertError> {
    let pem = std::fs::read(path).map_err(|source| CaCertError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    reqwest::Certificate::from_pem(&pem).map_err(|source| CaCertError::NotPem {
        path: path.to_path_buf(),
        source,
    })
}
