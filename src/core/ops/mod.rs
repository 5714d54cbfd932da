//! The typed steps of every action, built without any I/O: what a plan is (`plan.rs`),
//! and the planners of a compose project ([`Project`]) and of a swarm ([`Swarm`]).

mod compose;
mod image;
mod plan;
mod shell_in;
mod shell_target;
mod swarm;

pub use compose::{Project, declared_services_command};
pub use image::{ImageRef, image_ref};
pub use plan::{
    CustomOp, CustomParam, Exec, Job, MAINTENANCE_MESSAGE_MAX, OpKind, PARAM_VALUE_MAX, Plan,
    QUEUE_RUNNER, QueueOp, ROLLBACK_TAG, Refused, Risk, Step, Undo, audit_file, custom_step,
    lock_dir, maintenance_steps, queue_step, reveal_plan, terminate_sql, valid_maintenance_message,
    valid_param, valid_tag,
};
pub use shell_in::shell_plan;
pub use shell_target::{DEFAULT_SHELL, ShellTarget};
pub use swarm::{AVAILABILITIES, Swarm};
