//! What the data itself says about how far a product's findings can be trusted: restarts,
//! gaps, counter noise, glitches set aside, and the parameters that could not be tested.

use super::finding::NotAssessable;
use super::intervals::ProductIntervals;
use super::summaries::ParameterSummary;

/// A product's data-quality notes, as `top3.json` gives them.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DataQuality {
    /// Times the product's counter restarted (a new run or work order).
    pub restarts: usize,
    /// Silences too long to be one interval, left out.
    pub gaps: usize,
    /// Small falls of the counter, kept as reading noise.
    pub noise_steps: usize,
    /// Work-order records sharing a timestamp with the one before.
    pub same_time: usize,
    /// Parameter readings set aside as glitches, over every parameter.
    pub glitches: u64,
    /// Which parameters had glitches, and how many.
    pub glitches_by_parameter: Vec<ParameterGlitches>,
    /// Parameters that could not be tested for this product, and why.
    pub not_assessable: Vec<NotAssessable>,
    /// On a pruned store: the intervals that rest on rollups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_up: Option<RolledUp>,
}

/// The part of a product's intervals that rests on per-minute rollups, its raw readings
/// pruned (see the report's method).
#[derive(Clone, Debug, serde::Serialize)]
pub struct RolledUp {
    /// Where raw readings begin, ISO 8601 UTC.
    pub raw_from: String,
    /// Intervals that begin before it.
    pub intervals: usize,
    /// Readings, over every parameter, known only by their rollups.
    pub readings: u64,
}

impl RolledUp {
    /// What rests on rollups for `product` when raw readings begin at `raw_from`.
    pub fn of(product: &ProductIntervals, parameters: &[ParameterSummary], raw_from: i64) -> Self {
        RolledUp {
            raw_from: crate::support::timefmt::iso8601(raw_from),
            intervals: product
                .intervals
                .iter()
                .take_while(|i| i.start < raw_from)
                .count(),
            readings: parameters.iter().map(|p| p.rolled_up).sum(),
        }
    }
}

/// How many readings of one parameter were set aside as glitches.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ParameterGlitches {
    /// The parameter's number, as in the metrics' `id`.
    pub parameter: i64,
    /// Readings set aside.
    pub glitches: u64,
}

impl DataQuality {
    /// Gathers a product's notes from its intervals, the parameters' summaries and the
    /// parameters that could not be tested against it.
    pub fn of(
        product: &ProductIntervals,
        parameters: &[ParameterSummary],
        not_assessable: &[NotAssessable],
    ) -> DataQuality {
        let glitches_by_parameter: Vec<ParameterGlitches> = parameters
            .iter()
            .filter(|p| p.glitches > 0)
            .map(|p| ParameterGlitches {
                parameter: p.id,
                glitches: p.glitches,
            })
            .collect();
        DataQuality {
            restarts: product.runs.saturating_sub(1),
            gaps: product.gaps,
            noise_steps: product.noise_steps,
            same_time: product.same_time,
            glitches: glitches_by_parameter.iter().map(|g| g.glitches).sum(),
            glitches_by_parameter,
            not_assessable: not_assessable.to_vec(),
            rolled_up: None,
        }
    }
}
