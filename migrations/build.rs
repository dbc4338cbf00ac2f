//! Embeds every `steps/NNNN_*.sql` file, in name order, into the library.
use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=steps");
    println!("cargo:rerun-if-changed=schema.sql");
    println!("cargo:rerun-if-changed=views.sql");
    let mut names: Vec<String> = std::fs::read_dir(dir.join("steps"))
        .expect("migrations/steps exists")
        .map(|e| {
            e.expect("readable steps dir")
                .file_name()
                .into_string()
                .expect("utf-8 name")
        })
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let mut out = String::from("pub(crate) static EMBEDDED_STEPS: &[(&str, &str)] = &[\n");
    for n in &names {
        let path = dir.join("steps").join(n);
        writeln!(
            out,
            "    ({n:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("steps.rs");
    std::fs::write(dest, out).unwrap();
}
