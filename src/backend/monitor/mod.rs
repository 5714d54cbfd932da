//! What is watched beside the engine, each on its own cadence: health endpoints and the
//! host's resources, the team's checks, usage counters, the database pool, the job
//! queues on Redis and the tags a deploy can pick.

pub mod checks;
pub mod counters;
pub mod db;
pub mod db_error;
pub mod db_tls;
pub mod health;
pub mod pace;
pub mod queues;
pub mod redis;
pub mod stats;
pub mod tags;
pub mod timeline;
