//! `pilothouse audit`: an environment's audit records as its host keeps them (every
//! operator's, newest first), as a table or as JSON lines.

use pilothouse_backend::Link;
use pilothouse_backend::read_audit;
use pilothouse_core::config::Environment;
use pilothouse_core::model::job::AuditEntry;

/// Exit code when the host cannot be reached or read.
pub const EXIT_UNREACHABLE: u8 = 3;

/// Reads the records of `env`'s host; the text to print, or why not (exit code 3).
pub async fn run(env: &Environment, json: bool) -> Result<String, String> {
    let link = Link::open(env).await?;
    // Another tool's record can hold a secret: the env file's are masked.
    if let Err(e) = pilothouse_backend::learn_secrets(&link.remote(), env).await {
        eprintln!("pilothouse audit: {e}: only URL passwords are masked");
    }
    let records = read_audit(&link.remote(), env.host_dir().as_str()).await;
    link.close().await;
    let records = records?;
    Ok(if json {
        as_json_lines(&records)
    } else {
        as_table(&records)
    })
}

/// One JSON object per record; strings were cleaned when read.
pub fn as_json_lines(records: &[AuditEntry]) -> String {
    records
        .iter()
        .filter_map(|r| serde_json::to_string(r).ok())
        .map(|l| l + "\n")
        .collect()
}

use pilothouse_core::model::job::as_table;
