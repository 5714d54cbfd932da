//! The model: every type that crosses the boundary between an environment's actor
//! (`backend`) and the console (`state`, `update`, `ui`). Plain data and pure parsing;
//! no I/O, no terminal types. The layers above the engine name these, never `backend`.

pub mod container;
pub mod event;
pub mod forwards;
pub mod health;
pub mod job;
pub mod pool;
pub mod queues;
pub mod requests;
pub mod swarm;
pub mod timeline;
