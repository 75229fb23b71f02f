//! How the report prints numbers, the same in the HTML and the Markdown.

/// A coefficient or p-value as the report prints it.
pub fn number(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else {
        format!("{x:.3}")
    }
}

/// A parameter's lowest reading, as the kind rule reads it: below zero or not ("—" for a
/// parameter with no reading left).
pub fn lowest(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    // Four significant figures, never in exponent form: the sign is what matters.
    let digits = if x == 0.0 {
        0
    } else {
        (3 - x.abs().log10().floor() as i32).clamp(0, 12) as usize
    };
    format!("{x:.digits$}")
}

/// A fall share as a percentage ("—" for a parameter that never rose).
pub fn share(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "—".into()
    }
}
