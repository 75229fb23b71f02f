//! The client's settings: a persistent QoS 1 session under a fixed client id, acknowledgements
//! sent by millrace (not by the client library on receipt), and TLS with the CA asked for.

use super::MqttConfig;
use super::error::MqttError;
use rumqttc::{MqttOptions, TlsConfiguration, Transport};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::sync::Arc;
use std::time::Duration;

/// How often the client pings an idle broker, and so how soon a dead link is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// The largest packet MQTT can carry (a remaining length of 268,435,455 bytes, plus the
/// fixed header). Incoming messages may be that large, so that one over millrace's own
/// limit reaches it and is set aside as a dead letter; a smaller client limit would drop
/// the connection instead, and the broker would deliver the message again for ever.
const MQTT_LARGEST_PACKET: usize = 268_435_455 + 5;
/// Bytes of MQTT framing allowed on top of the largest payload.
const FRAMING: usize = 64 * 1024;

/// The options to connect with.
pub fn options(config: &MqttConfig) -> Result<MqttOptions, MqttError> {
    let mut options = MqttOptions::new(&config.client_id, &config.host, config.port);
    options
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(KEEP_ALIVE);
    let largest = config.max_payload_bytes.saturating_add(FRAMING);
    options.set_max_packet_size(MQTT_LARGEST_PACKET, largest.min(MQTT_LARGEST_PACKET));
    if let Some(user) = &config.username {
        options.set_credentials(user, config.password.clone().unwrap_or_default());
    }
    if config.tls {
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(tls(config)?),
        )));
    }
    Ok(options)
}

/// TLS that trusts `--ca-cert`, or the system's certificate authorities without it.
fn tls(config: &MqttConfig) -> Result<rustls::ClientConfig, MqttError> {
    let mut roots = rustls::RootCertStore::empty();
    match &config.ca_cert {
        Some(path) => {
            let ca = |source| MqttError::CaCert {
                path: path.clone(),
                source,
            };
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect)
                .map_err(|e| ca(Box::new(e)))?;
            if certs.is_empty() {
                return Err(ca("the file holds no PEM certificate".into()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| ca(Box::new(e)))?;
            }
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(MqttError::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
