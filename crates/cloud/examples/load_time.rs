//! Loads a snapshot folder and prints how long it took and what it holds:
//! `cargo run --release -p cloud --example load_time -- DIR`.
fn main() {
    let dir = std::env::args().nth(1).expect("usage: load_time DIR");
    let start = std::time::Instant::now();
    let (a, report) = cloud::load(std::path::Path::new(&dir)).expect("load");
    println!(
        "{} instances, {} ENIs, {} security groups, {} files, {} errors in {:.3} s",
        a.instances.len(),
        a.network_interfaces.len(),
        a.security_groups.len(),
        report.files.len(),
        report.errors.len(),
        start.elapsed().as_secs_f64()
    );
}
