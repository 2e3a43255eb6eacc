//! What Linux says about a server process: its resident memory and the CPU time it used.

use std::fs;
use std::time::Duration;

/// The process's resident set size, in KiB (`VmRSS` in `/proc/PID/status`).
///
/// # Errors
///
/// If the process is gone or the file has no `VmRSS` line.
pub fn resident_kib(pid: u32) -> Result<u64, String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS for process {pid}"))
}

/// The CPU time (user and system, every thread) the process has used so far.
///
/// # Errors
///
/// If the process is gone or `/proc/PID/stat` cannot be read.
pub fn cpu_time(pid: u32) -> Result<Duration, String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // The command name, in parentheses, may hold spaces: count fields after its end.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks = |index: usize| -> Result<u64, String> {
        fields
            .get(index)
            .and_then(|field| field.parse().ok())
            .ok_or_else(|| format!("bad /proc/{pid}/stat"))
    };
    let ticks = ticks(11)? + ticks(12)?;
    Ok(Duration::from_nanos(
        ticks.saturating_mul(1_000_000_000) / clock_ticks_per_second(),
    ))
}

/// `sysconf(_SC_CLK_TCK)`, as `getconf` prints it; 100 on every Linux we know of.
fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_cpu_time() {
        let pid = std::process::id();
        assert!(resident_kib(pid).unwrap() > 0);
        let busy_until = std::time::Instant::now() + Duration::from_millis(50);
        while std::time::Instant::now() < busy_until {}
        assert!(cpu_time(pid).unwrap() > Duration::ZERO);
    }
}
