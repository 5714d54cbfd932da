//! CPU and memory from one of the engine's stats samples, counted as `docker stats`
//! counts them: the fallback when a container's cgroup counters cannot be read
//! (`counters.rs`).

use bollard::models::ContainerStatsResponse;

use pilothouse_core::model::container::Usage;

/// CPU and memory from one stats sample; None until Docker has two CPU readings.
pub fn usage(r: &ContainerStatsResponse) -> Option<Usage> {
    let cpu = r.cpu_stats.as_ref()?;
    let pre = r.precpu_stats.as_ref()?;
    let total = cpu.cpu_usage.as_ref()?.total_usage?;
    let pre_total = pre.cpu_usage.as_ref()?.total_usage?;
    let system = cpu.system_cpu_usage?;
    let pre_system = pre.system_cpu_usage?;
    let cpus = cpu
        .online_cpus
        .map(u64::from)
        .or_else(|| {
            cpu.cpu_usage
                .as_ref()?
                .percpu_usage
                .as_ref()
                .map(|p| p.len() as u64)
        })
        .unwrap_or(1)
        .max(1);
    let cpu_delta = total.saturating_sub(pre_total) as f64;
    let system_delta = system.saturating_sub(pre_system) as f64;
    let percent = if system_delta > 0.0 {
        cpu_delta / system_delta * cpus as f64 * 100.0
    } else {
        0.0
    };
    let mem = r.memory_stats.as_ref();
    let raw = mem.and_then(|m| m.usage).unwrap_or(0);
    // Like `docker stats`: page cache the kernel can drop is not counted.
    let cache = mem
        .and_then(|m| m.stats.as_ref())
        .and_then(|s| {
            s.get("inactive_file")
                .or_else(|| s.get("total_inactive_file"))
                .or_else(|| s.get("cache"))
        })
        .copied()
        .unwrap_or(0);
    Some(Usage {
        cpu_centipercent: (percent * 100.0).round().clamp(0.0, f64::from(u32::MAX)) as u32,
        mem_used: raw.saturating_sub(cache),
        mem_limit: mem.and_then(|m| m.limit).unwrap_or(0),
        source: pilothouse_core::model::container::UsageSource::Engine,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerCpuStats, ContainerCpuUsage, ContainerMemoryStats};
    use std::collections::HashMap;

    #[test]
    fn cpu_and_memory_like_docker_stats() {
        let cpu = |total, system| ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                ..Default::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: Some(2),
            ..Default::default()
        };
        let mut stats = HashMap::new();
        stats.insert("inactive_file".to_string(), 10 * 1024 * 1024);
        let r = ContainerStatsResponse {
            cpu_stats: Some(cpu(1_500, 10_000)),
            precpu_stats: Some(cpu(1_000, 8_000)),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(60 * 1024 * 1024),
                limit: Some(1024 * 1024 * 1024),
                stats: Some(stats),
                ..Default::default()
            }),
            ..Default::default()
        };
        let u = usage(&r).unwrap_or_else(|| panic!("no usage"));
        // 500 / 2000 * 2 cpus = 50 %
        assert_eq!(u.cpu_centipercent, 5000);
        assert_eq!(u.mem_used, 50 * 1024 * 1024);
        assert_eq!(u.mem_limit, 1024 * 1024 * 1024);
    }

    #[test]
    fn no_usage_without_two_readings() {
        assert_eq!(usage(&ContainerStatsResponse::default()), None);
    }
}
