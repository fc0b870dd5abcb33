//! The comparison of an exported interface with the spec.

use super::{hex, types::closing, Function, Spec, SpecFunction};

/// The comparison of one contract's interface with its spec section.
#[derive(Debug, Default)]
pub struct Report {
    /// Spec functions found in the interface as the spec wants them.
    pub matched: Vec<SpecFunction>,
    /// Interface functions the spec does not list as public, with a note
    /// when the spec lists them as internal.
    pub extras: Vec<(Function, bool)>,
    /// One line per difference.
    pub mismatches: Vec<String>,
    /// Public functions in the spec section.
    pub expected: usize,
}

fn outputs_str(types: &[String]) -> String {
    format!("({})", types.join(","))
}

/// Checks `exported` (the interface of the contract of spec section
/// `section`) against the spec.
pub fn check(spec: &Spec, section: &str, exported: &[Function]) -> Report {
    let mut report = Report::default();
    let Some(sec) = spec.section(section) else {
        report
            .mismatches
            .push(format!("{section}: the spec has no section `## {section}`"));
        return report;
    };
    report.expected = sec.public.len();
    if sec.public.is_empty() {
        report.mismatches.push(format!(
            "{section}: the spec section lists no public function"
        ));
    }
    for (i, f) in exported.iter().enumerate() {
        if exported[..i].iter().any(|g| g.selector() == f.selector()) {
            report.mismatches.push(format!(
                "{section}: {} {} is exported twice (or its selector collides)",
                f.signature(),
                hex(f.selector())
            ));
        }
    }
    for want in &sec.public {
        let at = format!("{section}: {} {}", want.signature, hex(want.selector));
        let Some(got) = exported.iter().find(|f| f.selector() == want.selector) else {
            let same_name: Vec<String> = exported
                .iter()
                .filter(|f| f.name == want.name)
                .map(Function::signature)
                .collect();
            let hint = if same_name.is_empty() {
                String::new()
            } else {
                format!(" (exported: {})", same_name.join(", "))
            };
            report.mismatches.push(format!("{at}: missing{hint}"));
            continue;
        };
        let mut problems = Vec::new();
        if got.mutability.class() != want.mutability.class() {
            problems.push(format!(
                "mutability {} but the spec wants {}",
                got.mutability, want.mutability
            ));
        }
        if let Some(outs) = &want.outputs {
            if outs.len() != got.outputs.len() {
                problems.push(format!(
                    "{} outputs {} but the spec wants {} {}",
                    got.outputs.len(),
                    outputs_str(&got.outputs),
                    outs.len(),
                    outputs_str(outs)
                ));
            } else {
                for (k, (w, g)) in outs.iter().zip(&got.outputs).enumerate() {
                    if let Some(p) = output_problem(spec, section, w, g) {
                        problems.push(format!("output {k}: {p}"));
                    }
                }
            }
        }
        if problems.is_empty() {
            report.matched.push(want.clone());
        }
        for p in problems {
            report.mismatches.push(format!("{at}: {p}"));
        }
    }
    for f in exported {
        if !sec.public.iter().any(|w| w.selector == f.selector()) {
            let internal = sec.internal.iter().any(|s| *s == f.signature());
            report.extras.push((f.clone(), internal));
        }
    }
    report
}

/// Exact comparison where the spec's type is elementary or its structs
/// are known; otherwise only that a struct is a tuple with the same array
/// dimensions.
fn output_problem(spec: &Spec, section: &str, want: &str, got: &str) -> Option<String> {
    match spec.expand(section, want) {
        Some(t) if t == got => None,
        Some(t) if t == want => Some(format!("{got} but the spec wants {want}")),
        Some(t) => Some(format!("{got} but the spec wants {want} = {t}")),
        None => {
            let suffix = &want[want.find('[').unwrap_or(want.len())..];
            let is_tuple =
                got.starts_with('(') && closing(got).is_ok_and(|end| &got[end + 1..] == suffix);
            (!is_tuple).then(|| format!("{got} but the spec wants the struct {want}"))
        }
    }
}
