//! A server listens beyond this machine only when it is protected: credentials configured,
//! or `--insecure` given on a network the operator trusts.

use super::usage::UsageError;

/// What a server would give away if it listened beyond loopback without credentials, and
/// how to protect it: the words of [`Exposure::guard`]'s refusal.
#[derive(Clone, Copy, Debug)]
pub struct Exposure {
    risk: &'static str,
    advice: &'static str,
}

impl Exposure {
    /// `serve`.
    pub const WEBHOOK: Exposure = Exposure {
        risk: "anyone who can reach it could write data",
        advice: "Set --auth-token or --hmac-key (the streamer sends the same)",
    };
    /// `run --follow`'s dashboard, which has no credentials of its own.
    pub const RUN_DASHBOARD: Exposure = Exposure {
        risk: "anyone who can reach it could read the analysis",
        advice: "Keep `run --follow`'s dashboard on loopback, or run `millrace dashboard` with --auth-token (and --tls-cert, --tls-key) to show it to others",
    };
    /// `dashboard`.
    pub const DASHBOARD: Exposure = Exposure {
        risk: "anyone who can reach it could read the analysis",
        advice: "Set --auth-token (the browser asks for it as the password; use --tls-cert and --tls-key too)",
    };

    /// Refuses to listen on `listen` beyond this machine unless `protected`.
    pub async fn guard(self, listen: &str, protected: bool) -> Result<(), UsageError> {
        if protected {
            return Ok(());
        }
        let addresses = tokio::net::lookup_host(listen).await.map_err(|e| {
            UsageError::because(
                format!("--listen {listen} is not an address to listen on"),
                e,
            )
        })?;
        for address in addresses {
            if !address.ip().is_loopback() {
                let Exposure { risk, advice } = self;
                return Err(UsageError::new(format!(
                    "refusing to listen on {listen} without authentication: {risk}. \
                     {advice}, or pass --insecure on a network you trust"
                )));
            }
        }
        Ok(())
    }
}
