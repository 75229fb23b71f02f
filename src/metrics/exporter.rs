//! The process's one Prometheus recorder: installed on first use by any command that
//! exports metrics, with every metric described and the histograms given buckets.

use super::names;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder (once per process; later calls return the same handle) and
/// describes every metric, so that recording starts and a scrape lists them all.
///
/// # Panics
/// If another metrics recorder was installed first: millrace installs none but this one.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let mut builder = PrometheusBuilder::new();
        for histogram in names::HISTOGRAMS {
            // Buckets make each a Prometheus histogram (`_bucket` series), which a scraper can
            // aggregate across processes, rather than a summary, which it cannot.
            builder = builder
                .set_buckets_for_metric(Matcher::Full(histogram.into()), &names::BUCKETS)
                .expect("the bucket list is not empty");
        }
        let handle = builder
            .install_recorder()
            .expect("millrace installs no other metrics recorder");
        names::describe();
        handle
    })
}

/// The current metrics in Prometheus' text format, or `None` when no command installed
/// the recorder.
pub fn render() -> Option<String> {
    HANDLE.get().map(PrometheusHandle::render)
}

/// Work the recorder needs now and then (draining histogram samples between scrapes).
pub fn upkeep() {
    if let Some(handle) = HANDLE.get() {
        handle.run_upkeep();
    }
}
