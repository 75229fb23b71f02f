//! The report's plots, drawn as inline SVG by plotters: no files to lose, nothing fetched.

use super::super::analysis::Finding;
use super::super::timefmt::utc;
use plotters::prelude::*;

const SIZE: (u32, u32) = (520, 340);
const OUTPUT: RGBColor = RGBColor(31, 119, 180);
const PARAMETER: RGBColor = RGBColor(214, 96, 39);

/// Output rate (per hour) against the parameter's summary, one dot per interval, with the
/// least-squares line.
pub fn scatter(pairs: &[(f64, f64, f64)], finding: &Finding) -> String {
    let points: Vec<(f64, f64)> = pairs.iter().map(|&(_, x, y)| (x, y * 3600.0)).collect();
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let (x_range, y_range) = (
            padded(points.iter().map(|p| p.0)),
            padded(points.iter().map(|p| p.1)),
        );
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(
                format!(
                    "output rate vs parameter {} ({})",
                    finding.parameter, finding.summary
                ),
                ("sans-serif", 16),
            )
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x_range.clone(), y_range)?;
        chart
            .configure_mesh()
            .x_desc(format!(
                "parameter {} — {} over the interval",
                finding.parameter, finding.summary
            ))
            .y_desc("units per hour")
            .light_line_style(WHITE)
            .draw()?;
        chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, 3, OUTPUT.mix(0.55).filled())),
        )?;
        if let Some((slope, intercept)) = least_squares(&points) {
            let line = [x_range.start, x_range.end].map(|x| (x, intercept + slope * x));
            chart.draw_series(LineSeries::new(line, PARAMETER.stroke_width(2)))?;
        }
        root.present()?;
        Ok(())
    })();
    finish(svg, drawn.is_ok())
}

/// Output rate and the parameter over time, both as standard scores so one axis serves, and
/// smoothed by a moving average when there are many intervals, so that moving together
/// shows rather than drowning in interval-to-interval noise.
pub fn series(pairs: &[(f64, f64, f64)], finding: &Finding) -> String {
    let Some(start) = pairs.iter().map(|p| p.0).reduce(f64::min) else {
        return String::new();
    };
    let day = |t: f64| (t - start) / 86_400.0;
    let xs: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let ys: Vec<f64> = pairs.iter().map(|p| p.2).collect();
    let window = (pairs.len() / 80).max(1);
    let (zx, zy) = (
        moving_average(&standardise(&xs), window),
        moving_average(&standardise(&ys), window),
    );
    let smoothing = if window > 1 {
        format!(" (moving average of {window} intervals)")
    } else {
        String::new()
    };
    let output: Vec<(f64, f64)> = pairs.iter().zip(&zy).map(|(p, z)| (day(p.0), *z)).collect();
    let parameter: Vec<(f64, f64)> = pairs.iter().zip(&zx).map(|(p, z)| (day(p.0), *z)).collect();
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let x_range = padded(output.iter().map(|p| p.0));
        let y_range = padded(output.iter().chain(&parameter).map(|p| p.1));
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(
                format!("over time: output and parameter {}", finding.parameter),
                ("sans-serif", 16),
            )
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x_range, y_range)?;
        chart
            .configure_mesh()
            .x_desc(format!("days since {}", utc(start as i64)))
            .y_desc(format!("standard score{smoothing}"))
            .light_line_style(WHITE)
            .draw()?;
        chart
            .draw_series(LineSeries::new(output, OUTPUT.stroke_width(1)))?
            .label("output rate")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], OUTPUT.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(parameter, PARAMETER.stroke_width(1)))?
            .label(format!(
                "parameter {} ({})",
                finding.parameter, finding.summary
            ))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], PARAMETER.stroke_width(2)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        root.present()?;
        Ok(())
    })();
    finish(svg, drawn.is_ok())
}

/// The SVG, without its XML prolog so it can sit inside HTML; empty if drawing failed.
fn finish(svg: String, ok: bool) -> String {
    if !ok {
        return String::new();
    }
    match svg.find("<svg") {
        Some(at) => svg[at..].to_string(),
        None => svg,
    }
}

/// The range of `values` with a margin, never empty.
fn padded(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return 0.0..1.0;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.05
    };
    (lo - pad)..(hi + pad)
}

/// Centered moving average over `window` values (shorter at the ends).
fn moving_average(values: &[f64], window: usize) -> Vec<f64> {
    let half = window / 2;
    (0..values.len())
        .map(|i| {
            let from = i.saturating_sub(half);
            let to = (i + half + 1).min(values.len());
            values[from..to].iter().sum::<f64>() / (to - from) as f64
        })
        .collect()
}

fn standardise(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    values
        .iter()
        .map(|v| if sd > 0.0 { (v - mean) / sd } else { 0.0 })
        .collect()
}

fn least_squares(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if n < 2.0 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| {
        let slope = sxy / sxx;
        (slope, my - slope * mx)
    })
}
