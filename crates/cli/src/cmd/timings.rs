//! `TRAILHOUND_TIMINGS=1`: each phase of a long command timed on stderr.

/// Phase timings on stderr when `TRAILHOUND_TIMINGS` is set: where a large run spends its time
/// (wall clock, CPU time of all threads, and resident memory after the phase; the last two from
/// /proc, so Linux only).
pub struct Timings {
    last: Option<std::sync::Mutex<(std::time::Instant, f64)>>,
}

/// This process's user + system CPU seconds so far, from /proc/self/stat (0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are
    // state, ppid, ... with utime and stime 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let mut fields = after.split_whitespace().skip(11);
    let ticks: u64 = fields.next().and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    // USER_HZ is 100 on every Linux platform Rust supports.
    ticks as f64 / 100.0
}

impl Timings {
    pub fn from_env() -> Timings {
        Timings {
            last: std::env::var_os("TRAILHOUND_TIMINGS")
                .map(|_| std::sync::Mutex::new((std::time::Instant::now(), cpu_seconds()))),
        }
    }

    pub fn lap(&self, phase: &str) {
        if let Some(last) = &self.last {
            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
            let (wall, cpu) = *last;
            let rss_mib = std::fs::read_to_string("/proc/self/statm")
                .ok()
                .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
                .map_or(0, |pages| pages * 4096 / (1 << 20));
            let now_cpu = cpu_seconds();
            eprintln!(
                "trailhound: timing: {phase} {:.3} s wall, {:.2} s cpu, {rss_mib} MiB resident",
                wall.elapsed().as_secs_f64(),
                now_cpu - cpu
            );
            *last = (std::time::Instant::now(), now_cpu);
        }
    }
}
