//! CPU and memory of processes and their threads, read from /proc: what a
//! program costs and where its time goes, without a profiler, for figures
//! printed side by side.

use std::collections::BTreeMap;

/// Every process descended from `root` (not `root` itself).
pub fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(fields) = stat_fields(&format!("/proc/{pid}/stat")) {
            if let Some(ppid) = fields.get(1).and_then(|f| f.parse::<u32>().ok()) {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut ours = vec![root];
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid) in &parent_of {
            if !ours.contains(pid) && ours.contains(ppid) {
                ours.push(*pid);
                grew = true;
            }
        }
    }
    ours.retain(|p| *p != root);
    ours
}

/// The fields of a stat file after the command's name (which may hold
/// spaces): state, ppid, ... utime is [11], stime [12].
fn stat_fields(path: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let (_, rest) = text.rsplit_once(") ")?;
    Some(rest.split(' ').map(str::to_owned).collect())
}

/// What kind of process `pid` is: Chromium's `--type=` (renderer, gpu-process,
/// utility...) or "browser", else its command name.
fn process_kind(pid: u32) -> String {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let comm = comm.trim().to_owned();
    if !comm.starts_with("chrom") {
        return comm;
    }
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    // Chromium rewrites its children's command lines into one string with
    // spaces (setproctitle), so split on both.
    let args: Vec<String> = cmdline
        .split(|b| *b == 0 || *b == b' ')
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let kind = args
        .iter()
        .find_map(|a| a.strip_prefix("--type="))
        .unwrap_or("browser");
    let service = args
        .iter()
        .find_map(|a| a.strip_prefix("--utility-sub-type="))
        .map(|s| s.rsplit('.').next().unwrap_or(s).to_owned());
    match service {
        Some(service) => format!("chromium {kind} ({service})"),
        None => format!("chromium {kind}"),
    }
}

/// What some processes cost now: CPU seconds so far (their exited threads'
/// included) and proportional set size (shared pages split among sharers).
pub struct ProcessFigures {
    pub cpu_seconds: f64,
    pub pss_bytes: u64,
    pub processes: usize,
}

/// [`ProcessFigures`] of `pids`; a process gone meanwhile is left out whole.
pub fn process_figures(pids: &[u32]) -> ProcessFigures {
    let mut figures = ProcessFigures {
        cpu_seconds: 0.0,
        pss_bytes: 0,
        processes: 0,
    };
    for pid in pids {
        let Some(fields) = stat_fields(&format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(pss_kib) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .and_then(|rollup| {
                let line = rollup.lines().find(|l| l.starts_with("Pss:"))?;
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
        else {
            continue;
        };
        figures.cpu_seconds += cpu_seconds(&fields);
        figures.pss_bytes += pss_kib * 1024;
        figures.processes += 1;
    }
    figures
}

/// utime + stime of a stat file's fields, in seconds (USER_HZ is 100).
fn cpu_seconds(fields: &[String]) -> f64 {
    [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<f64>().ok())
        .sum::<f64>()
        / 100.0
}

/// One reading of every thread of some processes: CPU seconds so far, by
/// thread id, with the name each is shown under ("process: thread").
#[derive(Default)]
pub struct ThreadTimes(BTreeMap<u32, (String, f64)>);

/// CPU seconds so far of each thread of `pids`.
pub fn cpu_by_thread(pids: &[u32]) -> ThreadTimes {
    let mut out = BTreeMap::new();
    for pid in pids {
        let kind = process_kind(*pid);
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let Some(tid) = task
                .file_name()
                .to_str()
                .and_then(|t| t.parse::<u32>().ok())
            else {
                continue;
            };
            let dir = task.path();
            let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            let Some(fields) = stat_fields(&dir.join("stat").to_string_lossy()) else {
                continue;
            };
            out.insert(
                tid,
                (format!("{kind}: {}", name.trim()), cpu_seconds(&fields)),
            );
        }
    }
    ThreadTimes(out)
}

/// CPU s/min between two readings `seconds` apart, by thread name (threads
/// of one name in one kind of process added up), the busiest first; those
/// under `floor` s/min are added up as one last row, "other threads". A
/// thread that started between the readings counts whole; one that ended
/// is missing (its time is in neither reading's difference).
pub fn busiest(
    before: &ThreadTimes,
    after: &ThreadTimes,
    seconds: f64,
    floor: f64,
) -> Vec<(String, f64)> {
    let mut by_name: BTreeMap<&str, f64> = BTreeMap::new();
    for (tid, (name, secs)) in &after.0 {
        let earlier = before.0.get(tid).map_or(0.0, |(_, s)| *s);
        *by_name.entry(name).or_insert(0.0) += (secs - earlier) * 60.0 / seconds;
    }
    let mut rows: Vec<(String, f64)> = Vec::new();
    let mut other = 0.0;
    for (name, per_minute) in by_name {
        if per_minute >= floor {
            rows.push((name.to_owned(), per_minute));
        } else {
            other += per_minute;
        }
    }
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    if other > 0.0 {
        rows.push(("other threads".to_owned(), other));
    }
    rows
}
