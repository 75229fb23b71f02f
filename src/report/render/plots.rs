//! The report's plots, drawn as inline SVG by plotters: no files to lose, nothing fetched.

use super::super::finding::Finding;
use super::super::intervals::ProductIntervals;
use super::super::shape::Summary;
use super::super::sigfig::signed;
use crate::support::timefmt::{date, utc};
use plotters::prelude::*;

/// Drawn about as wide as a plot shows on a phone or in a third of a desktop page, so that
/// scaled to fit its text stays readable everywhere.
const SIZE: (u32, u32) = (400, 290);
/// Font sizes of titles and of axis text, as plotters takes them: it writes 0.81 of them into
/// the SVG, so axis text is 13.7 units high, which is 11 px or more down to a plot shown
/// 320 px wide (a 420 px phone shows it about 370 px wide).
const CAPTION: u32 = 19;
const LABEL: u32 = 17;
const OUTPUT: RGBColor = RGBColor(31, 119, 180);
const PARAMETER: RGBColor = RGBColor(214, 96, 39);
/// Above this many intervals the scatter plot shades a grid by how many intervals fall in
/// each cell instead of drawing a dot per interval: a dot per interval would make a report
/// over months of data hundreds of megabytes of SVG that no browser opens, while a
/// few thousand dots still show each one.
const MAX_DOTS: usize = 4_000;
/// Grid of the density view, in cells across and down the plotting area.
const GRID: (usize, usize) = (96, 60);
/// The time series are smoothed, then drawn with at most this many points per line: about
/// two per horizontal pixel, beyond which more points change nothing visible.
const MAX_LINE_POINTS: usize = 1_000;

/// Output rate (per hour) against the parameter's summary `lag` intervals before, one dot per
/// interval, with the finding's slope drawn through the middle of the dots: the effect the
/// report states, shown against the data it comes from. (The slope is fitted to the
/// prewhitened pairs, so it need not be the line a ruler would lay through these raw dots.)
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
                ("sans-serif", CAPTION),
            )
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x_range.clone(), y_range.clone())?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", LABEL))
            .axis_desc_style(("sans-serif", LABEL))
            .x_desc(format!(
                "parameter {} — {} over the interval{}",
                finding.parameter,
                finding.summary,
                before(finding.lag)
            ))
            .x_labels(5)
            .x_label_formatter(&ticks(&x_range))
            .y_label_formatter(&ticks(&y_range))
            .y_desc("output, units/hour")
            .light_line_style(WHITE)
            .draw()?;
        if points.len() <= MAX_DOTS {
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 3, OUTPUT.mix(0.55).filled())),
            )?;
        } else {
            let cells = density(&points, &x_range, &y_range, GRID);
            let most = cells.iter().map(|c| c.count).max().unwrap_or(1) as f64;
            chart.draw_series(cells.iter().map(|c| {
                // Log shading, so that a cell of one interval still shows.
                let shade = 0.15 + 0.85 * (1.0 + c.count as f64).ln() / (1.0 + most).ln();
                Rectangle::new([c.from, c.to], OUTPUT.mix(shade).filled())
            }))?;
        }
        if let Some(line) = slope_line(&points, finding.slope, &x_range, &y_range) {
            chart
                .draw_series(LineSeries::new(line, PARAMETER.stroke_width(2)))?
                .label(format!(
                    "slope {} units/hour per {}",
                    signed(finding.slope),
                    match finding.which {
                        Summary::Mean => "unit",
                        Summary::Rate => "unit/hour",
                    }
                ))
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], PARAMETER.stroke_width(2))
                });
            chart
                .configure_series_labels()
                .label_font(("sans-serif", LABEL))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()?;
        }
        root.present()?;
        Ok(())
    })();
    finish(svg, drawn.is_ok())
}

/// Output rate and the parameter over time, both as standard scores so one axis serves, and
/// smoothed by a moving average when there are many intervals, so that moving together
/// shows rather than drowning in interval-to-interval noise. Each line is broken where the
/// data are (`gaps`, from [`gaps`]): a line drawn across a day without work orders would
/// show a change that nobody measured.
pub fn series(pairs: &[(f64, f64, f64)], gaps: &[f64], finding: &Finding) -> String {
    let Some(start) = pairs.iter().map(|p| p.0).reduce(f64::min) else {
        return String::new();
    };
    let end = pairs.iter().map(|p| p.0).fold(start, f64::max);
    let times: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let xs = standardise(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    let ys = standardise(&pairs.iter().map(|p| p.2).collect::<Vec<_>>());
    let window = (pairs.len() / 80).max(1);
    // The smoothed lines vary over `window` intervals, so keeping every `step`-th point
    // (step ≤ window) loses nothing the eye could see.
    let step = pairs.len().div_ceil(MAX_LINE_POINTS).max(1);
    let smoothing = if window > 1 {
        format!(", moving average of {window} intervals")
    } else {
        String::new()
    };
    let lines = |z: &[f64]| pieces(&times, z, gaps, window, step);
    let (output, parameter) = (lines(&ys), lines(&xs));
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let x_range = padded(output.iter().flatten().map(|p| p.0));
        let y_range = padded(output.iter().chain(&parameter).flatten().map(|p| p.1));
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(
                format!("over time: output and parameter {}", finding.parameter),
                ("sans-serif", CAPTION),
            )
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x_range, y_range.clone())?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", LABEL))
            .axis_desc_style(("sans-serif", LABEL))
            .x_labels(3)
            .x_label_formatter(&calendar((end - start) / 86_400.0))
            .y_label_formatter(&ticks(&y_range))
            .x_desc(format!("date (UTC){smoothing}"))
            .y_desc("standard score")
            .light_line_style(WHITE)
            .draw()?;
        let named = [
            ("output rate".to_string(), OUTPUT, output),
            (
                format!("parameter {} ({})", finding.parameter, finding.summary),
                PARAMETER,
                parameter,
            ),
        ];
        for (name, colour, lines) in named {
            for (k, line) in lines.into_iter().enumerate() {
                let drawn = chart.draw_series(LineSeries::new(line, colour.stroke_width(1)))?;
                // One legend entry per series, however many pieces the gaps cut it into.
                if k == 0 {
                    drawn.label(name.clone()).legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2))
                    });
                }
            }
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", LABEL))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        root.present()?;
        Ok(())
    })();
    finish(svg, drawn.is_ok())
}

/// The line of `z` over `times` (in days), one piece per stretch without a gap: each
/// smoothed within itself by a moving average of `window`, and every `step`-th point kept.
fn pieces(
    times: &[f64],
    z: &[f64],
    gaps: &[f64],
    window: usize,
    step: usize,
) -> Vec<Vec<(f64, f64)>> {
    let day = |i: usize| times[i] / 86_400.0;
    runs(times, gaps)
        .into_iter()
        .map(|run| {
            let smooth = moving_average(&z[run.clone()], window);
            let mut line: Vec<(f64, f64)> = run
                .clone()
                .zip(&smooth)
                .step_by(step)
                .map(|(i, z)| (day(i), *z))
                .collect();
            // The stretch's end stays where it is, whatever the thinning kept.
            if (run.len() - 1) % step != 0 {
                line.push((day(run.end - 1), smooth[run.len() - 1]));
            }
            line
        })
        .collect()
}

/// Where the product's data have gaps: the start of each interval that does not begin where
/// the one before it ended (a gap in the work orders, or a restart), in Unix seconds.
pub fn gaps(product: &ProductIntervals) -> Vec<f64> {
    product
        .intervals
        .windows(2)
        .filter(|w| w[0].end != w[1].start)
        .map(|w| w[1].start as f64)
        .collect()
}

/// The stretches of `times` (ascending) that no gap divides: a new stretch begins at the
/// first time at or after each gap's start.
fn runs(times: &[f64], gaps: &[f64]) -> Vec<std::ops::Range<usize>> {
    let stretch = |t: f64| gaps.partition_point(|g| *g <= t);
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, &t) in times.iter().enumerate() {
        match out.last_mut() {
            Some(run) if stretch(times[run.start]) == stretch(t) => run.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// Spearman's ρ at each lag tried (`rho_by_lag`), the reported lag drawn larger and in the
/// parameter's colour: shows whether output follows the parameter at once or later, and
/// whether the lag chosen stands out or merely won by a hair. Untestable lags have no point.
pub fn lags(finding: &Finding) -> String {
    let points: Vec<(i32, f64)> = finding
        .rho_by_lag
        .iter()
        .enumerate()
        .filter_map(|(lag, rho)| rho.map(|r| (lag as i32, r)))
        .collect();
    let last = finding.rho_by_lag.len().saturating_sub(1) as i32;
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        // Zero is always on the axis, so that a weak ρ looks weak.
        let y_range = padded(points.iter().map(|p| p.1).chain([0.0]));
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .caption(
                format!(
                    "ρ by lag, parameter {} ({}): reported lag {}",
                    finding.parameter, finding.summary, finding.lag
                ),
                ("sans-serif", CAPTION),
            )
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-1..last + 1, y_range.clone())?;
        let in_range = |lag: &i32| (0..=last).contains(lag);
        chart
            .configure_mesh()
            .label_style(("sans-serif", LABEL))
            .axis_desc_style(("sans-serif", LABEL))
            .x_labels((last as usize + 3).min(12))
            .x_label_formatter(&|lag| {
                if in_range(lag) {
                    lag.to_string()
                } else {
                    String::new()
                }
            })
            .x_desc("lag: intervals by which the parameter leads output")
            .y_label_formatter(&ticks(&y_range))
            .y_desc("Spearman ρ")
            .light_line_style(WHITE)
            .draw()?;
        chart.draw_series(LineSeries::new(
            [(-1, 0.0), (last + 1, 0.0)],
            BLACK.mix(0.3).stroke_width(1),
        ))?;
        for run in points.chunk_by(|a, b| b.0 == a.0 + 1) {
            chart.draw_series(LineSeries::new(
                run.to_vec(),
                OUTPUT.mix(0.6).stroke_width(2),
            ))?;
        }
        chart.draw_series(points.iter().map(|&(lag, rho)| {
            if lag as usize == finding.lag {
                Circle::new((lag, rho), 7, PARAMETER.filled())
            } else {
                Circle::new((lag, rho), 4, OUTPUT.filled())
            }
        }))?;
        root.present()?;
        Ok(())
    })();
    finish(svg, drawn.is_ok())
}

/// How far before the output interval a parameter's summary was taken, for axis titles.
fn before(lag: usize) -> String {
    match lag {
        0 => String::new(),
        1 => ", 1 interval before".into(),
        k => format!(", {k} intervals before"),
    }
}

/// Tick labels for a time axis in days since 1970: the calendar date, or the date and time
/// when the data span only a few days and ticks fall within a day.
fn calendar(span_days: f64) -> impl Fn(&f64) -> String {
    move |day| {
        let seconds = (day * 86_400.0).round() as i64;
        if span_days >= 3.0 {
            date(seconds)
        } else {
            utc(seconds).trim_end_matches(" UTC").to_string()
        }
    }
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

/// Centered moving average over `window` values (shorter at the ends), from running sums so
/// that it costs the same whatever the window.
fn moving_average(values: &[f64], window: usize) -> Vec<f64> {
    let half = window / 2;
    let mut prefix = Vec::with_capacity(values.len() + 1);
    prefix.push(0.0);
    let mut total = 0.0;
    for v in values {
        total += v;
        prefix.push(total);
    }
    (0..values.len())
        .map(|i| {
            let from = i.saturating_sub(half);
            let to = (i + half + 1).min(values.len());
            (prefix[to] - prefix[from]) / (to - from) as f64
        })
        .collect()
}

/// One occupied cell of the scatter plot's density grid, in data coordinates.
#[derive(Debug, PartialEq)]
struct Cell {
    from: (f64, f64),
    to: (f64, f64),
    count: u32,
}

/// The points counted into a `grid` of equal cells over the plotted ranges; only cells
/// holding at least one point are returned.
fn density(
    points: &[(f64, f64)],
    x: &std::ops::Range<f64>,
    y: &std::ops::Range<f64>,
    grid: (usize, usize),
) -> Vec<Cell> {
    let (columns, rows) = grid;
    let (width, height) = (
        (x.end - x.start) / columns as f64,
        (y.end - y.start) / rows as f64,
    );
    let mut counts = vec![0u32; columns * rows];
    for &(px, py) in points {
        if !(px.is_finite() && py.is_finite()) {
            continue;
        }
        let column = (((px - x.start) / width) as usize).min(columns - 1);
        let row = (((py - y.start) / height) as usize).min(rows - 1);
        counts[row * columns + column] += 1;
    }
    counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(at, &count)| {
            let (column, row) = ((at % columns) as f64, (at / columns) as f64);
            Cell {
                from: (x.start + column * width, y.start + row * height),
                to: (
                    x.start + (column + 1.0) * width,
                    y.start + (row + 1.0) * height,
                ),
                count,
            }
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

/// The line of `slope` through the centroid of `points`, cut to where it is inside the
/// plotted ranges; `None` when there are no points, no slope, or it passes outside.
fn slope_line(
    points: &[(f64, f64)],
    slope: f64,
    x: &std::ops::Range<f64>,
    y: &std::ops::Range<f64>,
) -> Option<[(f64, f64); 2]> {
    let finite: Vec<&(f64, f64)> = points
        .iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    if finite.is_empty() || !slope.is_finite() {
        return None;
    }
    let n = finite.len() as f64;
    let (mx, my) = (
        finite.iter().map(|p| p.0).sum::<f64>() / n,
        finite.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let at = |px: f64| my + slope * (px - mx);
    // Where the line crosses the bottom and top of the plot, if it is not level.
    let (mut from, mut to) = (x.start, x.end);
    if slope != 0.0 {
        let (a, b) = ((y.start - my) / slope + mx, (y.end - my) / slope + mx);
        from = from.max(a.min(b));
        to = to.min(a.max(b));
    } else if !y.contains(&my) {
        return None;
    }
    (from < to).then(|| [(from, at(from)), (to, at(to))])
}

/// Ticks of an axis over `range`, as [`tick`] writes them, each first snapped to a millionth
/// of the range: plotters adds its steps in floating point, so the tick meant for zero may
/// come as 1.1e-17.
fn ticks(range: &std::ops::Range<f64>) -> impl Fn(&f64) -> String {
    let span = (range.end - range.start).abs();
    let quantum = if span > 0.0 && span.is_finite() {
        10f64.powi(span.log10().floor() as i32 - 6)
    } else {
        0.0
    };
    move |x| {
        if quantum > 0.0 {
            tick(&((x / quantum).round() * quantum))
        } else {
            tick(x)
        }
    }
}

/// An axis tick as a number reads: "5", not "5.0"; "0.25", not "0.25000000000000006"; "0",
/// not "-0".
fn tick(x: &f64) -> String {
    let rounded: f64 = format!("{x:.9e}").parse().unwrap_or(*x);
    if rounded == 0.0 {
        "0".into()
    } else {
        format!("{rounded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_average(values: &[f64], window: usize) -> Vec<f64> {
        let half = window / 2;
        (0..values.len())
            .map(|i| {
                let (from, to) = (i.saturating_sub(half), (i + half + 1).min(values.len()));
                values[from..to].iter().sum::<f64>() / (to - from) as f64
            })
            .collect()
    }

    #[test]
    fn the_running_sum_average_matches_the_direct_one() {
        let values: Vec<f64> = (0..500).map(|i| ((i * 37) % 101) as f64 - 50.0).collect();
        for window in [1, 2, 7, 80, 499, 1000] {
            let fast = moving_average(&values, window);
            let slow = naive_average(&values, window);
            assert_eq!(fast.len(), values.len());
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() < 1e-9, "window {window}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn the_density_grid_counts_every_point_once_in_its_cell() {
        let points = [
            (0.0, 0.0),
            (0.1, 0.1),
            (9.9, 9.9),
            (10.0, 10.0),
            (5.0, 2.5),
            (f64::NAN, 1.0),
        ];
        let cells = density(&points, &(0.0..10.0), &(0.0..10.0), (4, 4));
        assert_eq!(
            cells.iter().map(|c| c.count).sum::<u32>(),
            5,
            "finite points only"
        );
        let corner = cells.iter().find(|c| c.from == (0.0, 0.0)).unwrap();
        assert_eq!(corner.count, 2);
        let top = cells.iter().find(|c| c.to == (10.0, 10.0)).unwrap();
        assert_eq!(top.count, 2, "the upper edge belongs to the last cell");
        let middle = cells.iter().find(|c| c.from == (5.0, 2.5)).unwrap();
        assert_eq!((middle.to, middle.count), ((7.5, 5.0), 1));
    }

    /// (time, parameter, output) for `n` hourly intervals with a little structure.
    fn pairs(n: usize) -> Vec<(f64, f64, f64)> {
        (0..n)
            .map(|i| {
                let x = ((i * 7919) % 1000) as f64 / 10.0;
                (
                    i as f64 * 3600.0,
                    x,
                    0.01 * x + ((i * 31) % 17) as f64 / 1e4,
                )
            })
            .collect()
    }

    #[test]
    fn plots_of_many_intervals_stay_small() {
        let few = scatter(&pairs(MAX_DOTS), &Finding::example());
        let many = scatter(&pairs(400_000), &Finding::example());
        assert!(few.starts_with("<svg") && many.starts_with("<svg"));
        assert_eq!(
            few.matches("<circle").count(),
            MAX_DOTS,
            "a dot per interval"
        );
        assert_eq!(many.matches("<circle").count(), 0, "a density grid instead");
        assert!(many.matches("<rect").count() > 100, "the grid is drawn");
        assert!(
            many.len() < 1_000_000,
            "scatter of 400,000 intervals: {} bytes",
            many.len()
        );
        let line = series(&pairs(400_000), &[], &Finding::example());
        assert!(
            line.len() < 200_000,
            "series of 400,000 intervals: {} bytes",
            line.len()
        );
        assert!(line.contains("moving average of 5000 intervals"));
    }

    #[test]
    fn the_lag_plot_draws_one_point_per_testable_lag() {
        let mut f = Finding::example();
        f.lag = 2;
        let svg = lags(&f);
        assert!(svg.starts_with("<svg"));
        let testable = f.rho_by_lag.iter().flatten().count();
        assert_eq!(svg.matches("<circle").count(), testable, "{svg}");
        assert!(svg.contains("reported"), "the reported lag is marked");
        f.rho_by_lag = vec![None; 4];
        assert_eq!(lags(&f).matches("<circle").count(), 0);
    }

    #[test]
    fn the_time_axis_shows_calendar_dates() {
        let svg = series(&pairs(24 * 30), &[], &Finding::example());
        assert!(svg.contains("\n1970-01-"), "{svg}");
        assert!(!svg.contains("days since"));
    }

    #[test]
    fn stretches_end_at_each_gap() {
        let times = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0];
        assert_eq!(runs(&times, &[]), vec![0..6]);
        assert_eq!(runs(&times, &[25.0]), vec![0..3, 3..6]);
        assert_eq!(runs(&times, &[20.0, 45.0]), vec![0..2, 2..5, 5..6]);
        assert_eq!(
            runs(&times, &[-5.0, 100.0]),
            vec![0..6],
            "gaps outside the data"
        );
        assert_eq!(runs(&[], &[3.0]), Vec::<std::ops::Range<usize>>::new());
    }

    #[test]
    fn gaps_are_where_an_interval_does_not_start_where_the_last_ended() {
        use crate::report::intervals::Interval;
        let interval = |start, end| Interval {
            start,
            end,
            rate: 1.0,
        };
        let product = ProductIntervals {
            intervals: vec![
                interval(0, 100),
                interval(100, 200),
                interval(900, 1000),
                interval(1000, 1100),
                interval(1150, 1200),
            ],
            ..ProductIntervals::default()
        };
        assert_eq!(gaps(&product), vec![900.0, 1150.0]);
    }

    #[test]
    fn the_timeline_is_broken_at_gaps() {
        let all = pairs(200);
        let whole = series(&all, &[], &Finding::example());
        // A day without data after the hundredth interval.
        let mut parted = all.clone();
        for p in &mut parted[100..] {
            p.0 += 86_400.0;
        }
        let broken = series(&parted, &[100.0 * 3600.0 + 86_400.0], &Finding::example());
        let lines = |svg: &str| svg.matches("<polyline").count();
        assert_eq!(
            lines(&broken),
            lines(&whole) + 2,
            "output and parameter each drawn in two pieces"
        );
        let pieces = |svg: &str| -> Vec<usize> {
            svg.split("<polyline")
                .skip(1)
                .map(|p| p[..p.find("/>").unwrap()].matches(',').count())
                .collect()
        };
        assert!(
            pieces(&broken).contains(&100),
            "a piece of 100 points on each side: {:?}",
            pieces(&broken)
        );
    }

    #[test]
    fn ticks_carry_no_needless_zeros() {
        assert_eq!(tick(&5.0), "5");
        assert_eq!(tick(&-1.5), "-1.5");
        assert_eq!(tick(&0.30000000000000004), "0.3");
        assert_eq!(tick(&-0.0), "0");
        assert_eq!(tick(&1e-12), "0.000000000001");
        assert_eq!(tick(&12000.0), "12000");
        assert_eq!(
            ticks(&(-0.45..0.05))(&1.115_123e-17),
            "0",
            "zero, as plotters adds up to it"
        );
        assert_eq!(
            ticks(&(0.0..1e-9))(&5e-10),
            "0.0000000005",
            "tiny ranges keep their ticks"
        );
        for svg in [
            scatter(&pairs(300), &Finding::example()),
            series(&pairs(300), &[], &Finding::example()),
            lags(&Finding::example()),
        ] {
            let texts: Vec<&str> = svg
                .split("<text")
                .skip(1)
                .map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].trim())
                .collect();
            assert!(texts.len() > 5, "{texts:?}");
            for text in texts {
                assert!(
                    !text.ends_with(".0") && !text.contains(".0 ") && !text.ends_with(".00"),
                    "{text:?} in {svg}"
                );
            }
        }
    }

    #[test]
    fn the_scatter_draws_the_findings_slope_through_the_middle_of_the_dots() {
        let points = [(0.0, 1.0), (2.0, 3.0), (4.0, 2.0)];
        let [(x0, y0), (x1, y1)] = slope_line(&points, 0.5, &(-10.0..10.0), &(-10.0..10.0))
            .expect("a line inside the plot");
        assert_eq!((x0, x1), (-10.0, 10.0));
        assert!(
            ((y1 - y0) / (x1 - x0) - 0.5).abs() < 1e-12,
            "the finding's slope"
        );
        assert!(
            (y0 + 0.5 * (2.0 - x0) - 2.0).abs() < 1e-12,
            "through (2, 2)"
        );
        let [(a, _), (b, _)] = slope_line(&points, 10.0, &(-10.0..10.0), &(0.0..4.0)).unwrap();
        assert!(
            (a - 1.8).abs() < 1e-12 && (b - 2.2).abs() < 1e-12,
            "cut at the top and bottom"
        );
        assert_eq!(
            slope_line(&points, f64::NAN, &(0.0..1.0), &(0.0..1.0)),
            None
        );
        assert_eq!(slope_line(&[], 1.0, &(0.0..1.0), &(0.0..1.0)), None);
        let svg = scatter(&pairs(300), &Finding::example());
        assert!(svg.contains("slope +1.00 units/hour per unit"), "{svg}");
    }
}
